"""The WebSocket: authentication, the ACTIVE_ORDERS snapshot, then one message per change."""

import asyncio

import aiohttp

from tests.ttgateway.simulator.contract import (
    ACTIVEORDER_KEYS,
    Gateway,
    closes,
    press_and_generate,
    receive,
    silent,
    websocket,
)
from ttgateway.simulator import SimulatorConfig

SNAPSHOT_KEYS = {"type", "status", "returnCode", "count", "items"}
EVENT_KEYS = ACTIVEORDER_KEYS | {"type", "seq"}


async def _authenticated(ws, token):
    await ws.send_json({"accesstoken": token})
    return await receive(ws)


async def test_a_header_token_is_accepted_at_the_handshake(simulator, auth):
    async with websocket(simulator, headers=auth) as ws:
        snapshot = await receive(ws)
    assert snapshot["type"] == "ACTIVE_ORDERS"


async def test_a_token_in_the_first_message_is_accepted(simulator, token):
    async with websocket(simulator) as ws:
        snapshot = await _authenticated(ws, token)
    assert snapshot["type"] == "ACTIVE_ORDERS"


async def test_nothing_is_sent_before_the_token(simulator, token):
    async with websocket(simulator) as ws:
        assert await silent(ws, 0.2)


def test_a_gateway_allows_twenty_seconds_for_the_token_by_default():
    assert SimulatorConfig().auth_timeout == 20


async def test_a_socket_without_a_token_is_closed_after_the_time_limit(simulator):
    # The limit is 20 s on a gateway; the fixture's simulator allows 1 s.
    loop = asyncio.get_running_loop()
    async with websocket(simulator) as ws:
        opened = loop.time()
        assert await closes(ws, within=3)
        waited = loop.time() - opened
    assert 0.8 <= waited < 2.5
    assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION


async def test_a_bad_token_in_the_first_message_closes_the_socket_at_once(simulator, token):
    async with websocket(simulator) as ws:
        await ws.send_json({"accesstoken": "0" * 48})
        error = await receive(ws, within=0.5)
        assert await closes(ws, within=0.5)
    assert error["returnCode"] == -2
    assert error["message"] == "Invalid token."


async def test_a_first_message_without_accesstoken_closes_the_socket(simulator, token):
    async with websocket(simulator) as ws:
        await ws.send_json({"token": token})
        assert await closes(ws, within=0.5)


async def test_a_bad_header_token_closes_the_socket_at_once(simulator):
    headers = {"Authorization": "Bearer " + "0" * 48}
    async with websocket(simulator, headers=headers) as ws:
        error = await receive(ws, within=0.5)
        assert await closes(ws, within=0.5)
    assert error["returnCode"] == -2


async def test_a_malformed_header_closes_the_socket_at_once(simulator):
    async with websocket(simulator, headers={"Authorization": "Token abc"}) as ws:
        error = await receive(ws, within=0.5)
        assert await closes(ws, within=0.5)
    assert error["returnCode"] == -1


async def test_invalid_json_as_the_first_message_closes_the_socket_at_once(simulator):
    async with websocket(simulator) as ws:
        await ws.send_str("{accesstoken:")
        error = await receive(ws, within=0.5)
        assert await closes(ws, within=0.5)
    assert error["returnCode"] < 0


async def test_invalid_json_after_authentication_closes_the_socket_at_once(simulator, auth):
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await ws.send_str("not json")
        assert await closes(ws, within=0.5)


async def test_the_snapshot_lists_the_active_orders(simulator, gateway, auth):
    await gateway.freeze()
    first = (await gateway.create("1")).body["activeorder"]
    second = (await gateway.create("2", "TO_GO", "7")).body["activeorder"]
    await gateway.advance(42)
    async with websocket(simulator, headers=auth) as ws:
        snapshot = await receive(ws)
    assert set(snapshot) == SNAPSHOT_KEYS
    assert snapshot["type"] == "ACTIVE_ORDERS"
    assert snapshot["status"] == 200
    assert snapshot["returnCode"] == 5
    assert int(snapshot["count"]) == 2
    by_uuid = {o["uuid"]: o for o in snapshot["items"]}
    assert by_uuid == {
        first["uuid"]: {**first, "elapsedTime": 42},
        second["uuid"]: {**second, "elapsedTime": 42},
    }


async def test_an_empty_gateway_sends_an_empty_snapshot(simulator, auth):
    async with websocket(simulator, headers=auth) as ws:
        snapshot = await receive(ws)
    assert int(snapshot["count"]) == 0
    assert snapshot["items"] == []


async def test_api_changes_follow_as_flat_orders_with_type_and_increasing_seq(
    simulator, gateway, auth
):
    await gateway.freeze()
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        created = (await gateway.create("66", dummy_tracker=True)).body["activeorder"]
        modified = (await gateway.create("66", "TO_GO")).body["activeorder"]
        paged = (await gateway.call("POST", "/activeorders/66/page")).body["activeorder"]
        cleared = (await gateway.call("DELETE", "/activeorders/66")).body["activeorder"]
        events = [await receive(ws) for _ in range(4)]
        assert await silent(ws)
    assert [e["type"] for e in events] == [
        "ORDER_CREATED",
        "ORDER_MODIFIED",
        "ORDER_PAGED",
        "ORDER_CLEARED",
    ]
    for event, order in zip(events, [created, modified, paged, cleared], strict=True):
        assert set(event) == EVENT_KEYS
        assert {k: v for k, v in event.items() if k not in ("type", "seq")} == order
    seqs = [e["seq"] for e in events]
    assert all(isinstance(s, int) for s in seqs)
    assert seqs == sorted(set(seqs))
    assert events[3]["state"] == "cleared"


async def test_hardware_changes_are_announced_too(simulator, gateway, auth):
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await gateway.start("5")
        await gateway.locate("5", "12")
        await gateway.clear("5")
        events = [await receive(ws) for _ in range(3)]
    assert [(e["type"], e["state"], e["locationName"]) for e in events] == [
        ("ORDER_CREATED", "started", ""),
        ("ORDER_MODIFIED", "located", "12"),
        ("ORDER_CLEARED", "cleared", "12"),
    ]
    assert events[0]["seq"] < events[1]["seq"] < events[2]["seq"]


async def test_refused_requests_send_nothing(simulator, gateway, auth):
    await gateway.create("66")
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await gateway.create("66")  # 1009, nothing changed
        await gateway.call("POST", "/activeorders", json={"name": "x", "orderType": "TO_GO"})
        assert await silent(ws, 0.2)


async def test_seq_keeps_increasing_across_connections(simulator, gateway, auth):
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await gateway.create("1")
        before = (await receive(ws))["seq"]
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await gateway.create("2")
        after = (await receive(ws))["seq"]
    assert after > before


async def test_every_socket_hears_every_change(simulator, gateway, auth, token):
    async with (
        websocket(simulator, headers=auth) as first,
        websocket(simulator) as second,
    ):
        await receive(first)
        await _authenticated(second, token)
        await gateway.create("66")
        heard = [await receive(first), await receive(second)]
    assert heard[0] == heard[1]
    assert heard[0]["type"] == "ORDER_CREATED"


async def test_a_change_made_while_connecting_is_in_the_snapshot_or_an_event(
    simulator, gateway, auth
):
    async with websocket(simulator, headers=auth) as ws:
        await gateway.create("66")
        snapshot = await receive(ws)
        names = [o["name"] for o in snapshot["items"]]
        if not names:
            names = [(await receive(ws))["name"]]
        else:
            assert await silent(ws)
    assert names == ["66"]


async def test_deleting_a_token_closes_its_sockets_and_only_its(
    simulator, gateway, http, auth, controls
):
    other = (await press_and_generate(controls, http, "other")).body["token"]["token"]
    other_auth = {"Authorization": f"Bearer {other}"}
    async with (
        websocket(simulator, headers=auth) as doomed,
        websocket(simulator, headers=other_auth) as kept,
    ):
        await receive(doomed)
        await receive(kept)
        await gateway.controls.delete_tokens("tests")
        notice = await receive(doomed, within=0.5)
        assert await closes(doomed, within=0.5)
        await Gateway(http, other_auth, controls).create("66")
        assert (await receive(kept))["type"] == "ORDER_CREATED"
    assert notice["returnCode"] == 1001
    assert notice["message"]
