"""GET /statistics: today's orders in the gateway's local time, as spec/README reads them."""

import pytest

from tests.ttgateway.simulator.contract import STATISTICS_KEYS, Gateway, running
from ttgateway.simulator import SimulatorConfig


async def test_statistics_have_the_documented_shape_and_default_target(gateway):
    reply = await gateway.call("GET", "/statistics")
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "statistics"}
    assert reply.body["status"] == 200
    assert reply.body["returnCode"] == 10
    assert set(reply.body["statistics"]) == STATISTICS_KEYS
    assert reply.body["statistics"]["targetTime"] == 300


async def test_a_quiet_day_has_zero_figures(gateway):
    assert await gateway.statistics(target_time="200") == {
        "averageSeconds": 0,
        "exceededToday": 0,
        "ordersToday": 0,
        "targetTime": 200,
        "percentGoal": 0,
    }


async def test_figures_cover_the_delivery_times_of_orders_cleared_today(gateway):
    await gateway.freeze()
    for name, seconds in (("1", 100), ("2", 200), ("3", 400)):
        await gateway.finish(name, after=seconds)
    stats = await gateway.statistics()
    assert stats["ordersToday"] == 3
    assert stats["averageSeconds"] == pytest.approx(700 / 3, abs=0.05)
    assert stats["exceededToday"] == 1
    assert stats["percentGoal"] == pytest.approx(200 / 3, abs=0.05)


async def test_the_target_time_decides_what_is_exceeded(gateway):
    await gateway.freeze()
    for name, seconds in (("1", 100), ("2", 200), ("3", 400)):
        await gateway.finish(name, after=seconds)
    stats = await gateway.statistics(target_time="150")
    assert stats["targetTime"] == 150
    assert stats["exceededToday"] == 2
    assert stats["percentGoal"] == pytest.approx(100 / 3, abs=0.05)


async def test_an_order_delivered_exactly_on_target_is_within_it(gateway):
    await gateway.freeze()
    await gateway.finish("1", after=300)
    stats = await gateway.statistics()
    assert stats["exceededToday"] == 0
    assert stats["percentGoal"] == 100


async def test_delivery_time_runs_from_start_to_clear_not_to_the_table(gateway):
    await gateway.freeze()
    await gateway.start("1")
    await gateway.advance(50)
    await gateway.locate("1", "4")
    await gateway.advance(350)
    await gateway.clear("1")
    stats = await gateway.statistics()
    assert stats["averageSeconds"] == 400
    assert stats["exceededToday"] == 1


async def test_orders_still_active_do_not_count(gateway):
    await gateway.freeze()
    await gateway.finish("1", after=60)
    await gateway.create("2")
    await gateway.advance(10_000)
    stats = await gateway.statistics()
    assert stats["ordersToday"] == 1
    assert stats["averageSeconds"] == 60


async def test_yesterdays_orders_do_not_count(gateway):
    await gateway.freeze("2026-03-02T23:50:00")
    await gateway.finish("1", after=60)  # cleared 23:51 yesterday
    await gateway.advance(600)  # now 00:01 today
    await gateway.finish("2", after=120)
    stats = await gateway.statistics()
    assert stats["ordersToday"] == 1
    assert stats["averageSeconds"] == 120


async def test_counts_come_as_numbers(gateway):
    await gateway.freeze()
    await gateway.finish("1", after=60)
    stats = await gateway.statistics()
    for key in STATISTICS_KEYS:
        assert isinstance(stats[key], int | float), key
        assert not isinstance(stats[key], bool), key


@pytest.mark.parametrize("target", ["abc", "1.5", "", "-5", "0", "300s"])
async def test_a_target_time_that_is_not_a_positive_integer_is_refused(gateway, target):
    reply = await gateway.call("GET", "/statistics", params={"target_time": target})
    assert reply.is_error(400, -22), reply.body


def _config(timezone: str) -> SimulatorConfig:
    return SimulatorConfig(host="127.0.0.1", port=0, timezone=timezone)


async def _orders_around(gateway: Gateway, midnight: str) -> None:
    """One order cleared ten minutes before ``midnight`` (UTC), one twenty minutes after."""
    await gateway.freeze(midnight)
    await gateway.advance(-20 * 60)
    await gateway.finish("1", after=10 * 60)
    await gateway.finish("2", after=30 * 60)
    await gateway.advance(10 * 60)


@pytest.mark.parametrize(
    ("timezone", "local_midnight_in_utc"),
    [
        ("UTC", "2026-03-03T00:00:00"),
        ("America/New_York", "2026-03-03T05:00:00"),
        ("Asia/Tokyo", "2026-03-02T15:00:00"),
        ("Asia/Kolkata", "2026-03-02T18:30:00"),
    ],
)
async def test_today_starts_at_midnight_in_the_gateways_time_zone(timezone, local_midnight_in_utc):
    async with running(_config(timezone)) as (_sim, gateway):
        await _orders_around(gateway, local_midnight_in_utc)
        stats = await gateway.statistics()
    assert stats["ordersToday"] == 1
    assert stats["averageSeconds"] == 30 * 60


async def test_a_gateway_in_utc_does_not_split_the_day_at_new_york_midnight():
    async with running(_config("UTC")) as (_sim, gateway):
        await _orders_around(gateway, "2026-03-03T05:00:00")
        stats = await gateway.statistics()
    assert stats["ordersToday"] == 2
