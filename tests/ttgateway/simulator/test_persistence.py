"""A state file carries tokens, orders, history and the clock across restarts; seeded history."""

import json

from tests.ttgateway.simulator.contract import (
    NOON,
    ORDER_SUMMARY_KEYS,
    Gateway,
    running,
)
from ttgateway.simulator import SimulatorConfig
from ttgateway.waiting import eventually


def _config(state_file=None) -> SimulatorConfig:
    return SimulatorConfig(host="127.0.0.1", port=0, state_file=state_file)


async def test_a_restarted_simulator_remembers_tokens_orders_and_history(tmp_path):
    state_file = tmp_path / "gateway.json"
    async with running(_config(state_file)) as (_sim, gateway):
        await gateway.freeze()
        finished = await gateway.finish("1", after=60, location="4")
        active = (await gateway.create("2", "TO_GO", dummy_tracker=True)).body["activeorder"]
        history = (await gateway.orders()).body
        auth = gateway.auth
    assert state_file.exists()

    async with running(_config(state_file)) as (_sim, fresh):
        again = Gateway(fresh.http, auth, fresh.controls)  # the token issued before the restart
        assert (await again.call("GET", f"/activeorders/{active['uuid']}")).status == 200
        assert (await again.orders()).body == history
        assert (await again.call("GET", f"/orders/{finished}")).status == 200
        # The tracker address was remembered too: the order can still be paged.
        assert (await again.call("POST", "/activeorders/2/page")).status == 200


async def test_the_state_file_is_versioned_json(tmp_path):
    state_file = tmp_path / "gateway.json"
    async with running(_config(state_file)) as (_sim, gateway):
        await gateway.create("7")
    data = json.loads(state_file.read_text())
    assert data["version"] == 1
    assert [o["name"] for o in data["active"]] == ["7"]
    assert [t["name"] for t in data["tokens"]] == ["tests"]


async def test_the_clock_offset_survives_a_restart(tmp_path):
    state_file = tmp_path / "gateway.json"
    async with running(_config(state_file)) as (_sim, gateway):
        await gateway.controls.move_clock(to="2031-01-01T00:00:00")
    async with running(_config(state_file)) as (_sim, gateway):
        now = (await gateway.state()).now
    assert now.startswith("2031-01-01T00:0")


async def test_seq_keeps_increasing_across_a_restart(tmp_path):
    state_file = tmp_path / "gateway.json"
    async with running(_config(state_file)) as (sim, gateway):
        await gateway.create("1")
        before = sim.state.seq
    async with running(_config(state_file)) as (sim, gateway):
        await gateway.create("2")
        after = sim.state.seq
    assert before >= 1
    assert after == before + 1


async def test_changes_are_saved_while_running_not_only_at_stop(tmp_path):
    state_file = tmp_path / "gateway.json"
    async with running(_config(state_file)) as (_sim, gateway):
        await gateway.create("1")
        assert await eventually(state_file.exists)  # saves are debounced by half a second
        saved = json.loads(state_file.read_text())
    assert [o["name"] for o in saved["active"]] == ["1"]


async def test_a_missing_state_file_starts_an_empty_gateway(tmp_path):
    async with running(_config(tmp_path / "none-yet.json")) as (_sim, gateway):
        assert (await gateway.call("GET", "/activeorders")).body["count"] == 0


async def test_seeded_history_fills_the_order_list_with_summaries(gateway):
    await gateway.freeze()
    answer = await gateway.controls.seed_history(days=3, orders_per_day=20, seed=11)
    assert answer.added > 0
    assert answer.history_count == answer.added
    reply = await gateway.orders(limit="100")
    assert reply.body["count"] == str(answer.added)
    for item in reply.body["items"]:
        assert set(item) == ORDER_SUMMARY_KEYS
        assert item["orderStarted"] <= item["orderCleared"]
        assert item["orderCleared"] <= NOON + "+00:00"


async def test_seeded_history_is_the_same_for_the_same_seed():
    seen = []
    for _ in range(2):
        async with running(_config()) as (_sim, gateway):
            await gateway.freeze()
            await gateway.controls.seed_history(days=2, orders_per_day=15, seed=5)
            seen.append((await gateway.orders(limit="100")).body)
    assert seen[0] == seen[1]


async def test_seeded_history_stays_within_the_two_weeks_a_gateway_keeps(gateway):
    await gateway.freeze()
    answer = await gateway.controls.seed_history(days=13, orders_per_day=5, seed=2)
    oldest = (await gateway.orders(limit="1")).body["items"][0]["orderCleared"]
    assert oldest >= "2026-02-16T12:00:00+00:00"
    assert (await gateway.controls.advance_clock(0)).purged == 0
    assert (await gateway.orders()).body["count"] == str(answer.added)


async def test_seeded_history_feeds_todays_statistics(gateway):
    await gateway.freeze("2026-03-02T23:00:00")
    await gateway.controls.seed_history(days=0, orders_per_day=30, seed=9)
    stats = await gateway.statistics()
    assert stats["ordersToday"] > 0
    assert stats["averageSeconds"] > 0


async def test_a_restarted_simulator_keeps_its_serial_and_another_one_has_its_own(tmp_path):
    state_file = tmp_path / "gateway.json"
    async with running(_config(state_file)) as (_sim, gateway):
        serial = (await gateway.call("GET", "", headers={})).body["serial"]
    async with running(_config(state_file)) as (_sim, again):
        assert (await again.call("GET", "", headers={})).body["serial"] == serial
    async with running(_config(tmp_path / "other.json")) as (_sim, other):
        assert (await other.call("GET", "", headers={})).body["serial"] != serial
