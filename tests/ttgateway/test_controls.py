"""The controls client drives a real simulator's /_sim/ hardware and faults, async and blocking."""

from __future__ import annotations

import asyncio
import inspect
import threading

import aiohttp
import pytest

from ttgateway.client import GatewayClient
from ttgateway.controls import (
    ControlFailed,
    Faults,
    SimulatorControls,
    SyncSimulatorControls,
)
from ttgateway.simulator import Simulator, SimulatorConfig
from ttgateway.waiting import eventually

NOON = "2026-03-02T12:00:00"


async def test_pressing_the_button_opens_the_two_minute_window(controls):
    await controls.freeze_clock(NOON)

    closes = await controls.press_button()

    assert closes == "2026-03-02T12:02:00"
    assert (await controls.state()).button_window_seconds_left == 120


async def test_an_issued_token_is_one_the_gateway_api_accepts(simulator, controls):
    token = await controls.issue_token("alice-pos")

    async with GatewayClient(simulator.url, token) as client:
        assert await client.active_orders() == ()
    state = await controls.state()
    assert state.tokens == ("alice-pos",)
    assert token not in str(state)


async def test_a_tracker_is_started_located_paged_and_cleared(controls):
    await controls.freeze_clock(NOON)

    started = await controls.start_tracker("12", "TO_GO")
    await controls.advance_clock(40)
    located = await controls.locate_tracker(12, 7)
    paged = await controls.page_tracker("12")
    cleared = await controls.clear_tracker("12", "MANAGER_OVERRIDE")

    assert (started["state"], started["orderType"]) == ("started", "TO_GO")
    assert (located["state"], located["locationName"], located["elapsedTime"]) == (
        "located",
        "7",
        40,
    )
    assert paged["paged"] is True
    assert cleared["state"] == "cleared"
    assert (await controls.state()).active == ()


async def test_the_state_lists_the_active_orders_by_name(controls):
    for name in ("3", "11", "2"):
        await controls.start_tracker(name)

    assert (await controls.state()).active_names == ["11", "2", "3"]


async def test_the_clock_is_frozen_moved_and_thawed(controls):
    frozen = await controls.freeze_clock(NOON)
    moved = await controls.advance_clock(90)
    thawed = await controls.move_clock(freeze=False)

    assert (frozen.now, frozen.frozen) == (NOON, True)
    assert moved.now == "2026-03-02T12:01:30"
    assert thawed.frozen is False
    assert (await controls.state()).clock_frozen is False


async def test_faults_are_set_reported_and_cleared(controls):
    answer = await controls.set_faults(delay_ms=20, refuse=True, paging_unavailable=True)

    expected = Faults(delay_ms=20, refuse=True, paging_unavailable=True, offline=False)
    assert answer.faults == expected
    assert (await controls.state()).faults == expected
    cleared = await controls.clear_faults()
    assert cleared.faults == Faults(
        delay_ms=0, refuse=False, paging_unavailable=False, offline=False
    )


async def test_dropping_websockets_says_how_many_were_dropped(simulator, controls, token):
    async with GatewayClient(simulator.url, token) as client, client.events() as stream:
        await stream.__anext__()  # the snapshot: the socket is open

        answer = await controls.set_faults(drop_websockets=True)

    assert answer.dropped_websockets == 1


async def test_the_controls_work_again_once_an_offline_gateway_is_back(simulator, controls):
    await controls.set_faults(offline_seconds=0.3)
    await eventually(lambda: simulator.faults.offline_until, what="the gateway to go offline")
    await eventually(lambda: simulator.faults.offline_until, expect=None, what="it to come back")

    assert (await controls.start_tracker("4"))["state"] == "started"


async def test_tokens_are_revoked_by_name_or_all_at_once(controls):
    for name in ("kitchen", "bar", "bar"):
        await controls.issue_token(name)

    assert await controls.delete_tokens("bar") == 2
    assert await controls.delete_tokens() == 1
    assert (await controls.state()).tokens == ()


async def test_after_moving_the_gateway_the_controls_follow_it(simulator, controls):
    old_url = controls.base_url

    new_url = await controls.move_address("127.0.0.2")

    assert new_url == simulator.url == controls.base_url != old_url
    assert (await controls.state()).url == new_url


async def test_history_is_seeded_and_counted(controls):
    await controls.freeze_clock(NOON)

    seeded = await controls.seed_history(days=2, orders_per_day=10, seed=3)

    assert seeded.added > 0
    assert seeded.history_count == seeded.added == (await controls.state()).history_count


async def test_the_demo_traffic_starts_at_a_pace_and_stops(controls):
    running = await controls.set_traffic(running=True, speed=4)
    stopped = await controls.set_traffic(running=False)

    assert (running.running, running.speed) == (True, 4.0)
    assert stopped.running is False
    assert (await controls.state()).traffic.running is False


async def test_a_refused_control_names_itself_its_status_and_the_simulators_reason(controls):
    with pytest.raises(ControlFailed) as refused:
        await controls.clear_tracker("9")

    assert refused.value.control == "POST /_sim/trackers/9/clear"
    assert refused.value.status == 404
    assert str(refused.value).startswith(
        "simulator control POST /_sim/trackers/9/clear answered 404:"
    )
    assert "Order not found" in str(refused.value)


async def test_a_refused_input_says_what_the_simulator_wants(controls):
    with pytest.raises(ControlFailed, match="must be above zero") as refused:
        await controls.set_traffic(speed=0)

    assert refused.value.status == 400


async def test_a_gateway_that_is_not_there_is_a_connection_error():
    # A free port: the default one (8000) may be a demo's on this machine.
    async with Simulator(SimulatorConfig(host="127.0.0.1", port=0)) as sim:
        url = sim.url
    async with SimulatorControls(url) as controls:
        with pytest.raises(aiohttp.ClientConnectionError):
            await controls.press_button()


# --- the blocking face -------------------------------------------------------------------------


def test_the_blocking_controls_have_every_control_of_the_async_ones():
    def controls_of(cls: type) -> set[str]:
        return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}

    assert controls_of(SimulatorControls) - {"close"} <= controls_of(SyncSimulatorControls)


async def test_the_blocking_controls_work_from_a_thread_with_no_loop(simulator):
    def on_site() -> tuple[list[str], int]:
        with SyncSimulatorControls(simulator.url) as controls:
            controls.start_tracker("5")
            controls.locate_tracker("5", "8")
            return controls.state().active_names, controls.seed_history(days=1).added

    names, added = await asyncio.to_thread(on_site)

    assert names == ["5"]
    assert added > 0


async def test_the_blocking_controls_raise_the_same_error(simulator):
    def refused() -> ControlFailed:
        with SyncSimulatorControls(simulator.url) as controls, pytest.raises(ControlFailed) as e:
            controls.locate_tracker("5", "A1")
        return e.value

    error = await asyncio.to_thread(refused)

    assert (error.control, error.status) == ("POST /_sim/trackers/5/locate", 400)


async def test_closing_the_blocking_controls_stops_their_thread(simulator):
    def threads() -> int:
        return sum(t.name.startswith("simulator-controls") for t in threading.enumerate())

    before = threads()

    def use_and_close() -> int:
        controls = SyncSimulatorControls(simulator.url)
        controls.press_button()
        during = threads()
        controls.close()
        return during

    assert await asyncio.to_thread(use_and_close) == before + 1
    assert threads() == before
