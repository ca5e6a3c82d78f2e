"""The hardware under /_sim/ (trackers, clock) and the faults a client must survive."""

import asyncio

import aiohttp
import pytest

from tests.ttgateway.simulator.contract import API, NOON, receive, websocket
from ttgateway.waiting import eventually


async def test_a_tracker_goes_from_started_to_located_to_cleared(gateway):
    await gateway.freeze()
    started = await gateway.start("12", "TO_GO")
    assert (started["state"], started["locationName"], started["orderType"]) == (
        "started",
        "",
        "TO_GO",
    )
    await gateway.advance(40)
    located = await gateway.locate("12", "7")
    assert located == {
        **started,
        "state": "located",
        "locationName": "7",
        "stateChanged": "2026-03-02T12:00:40",
        "elapsedTime": 40,
    }
    await gateway.advance(200)
    cleared = await gateway.clear("12")
    assert cleared["state"] == "cleared"
    assert (await gateway.call("GET", "/activeorders")).body["count"] == 0
    summary = (await gateway.call("GET", f"/orders/{started['uuid']}")).body["order"]
    assert summary == {
        "name": "12",
        "uuid": started["uuid"],
        "orderType": "TO_GO",
        "locationName": "7",
        "orderStarted": "2026-03-02T12:00:00+00:00",
        "orderLocated": "2026-03-02T12:00:40+00:00",
        "orderCleared": "2026-03-02T12:04:00+00:00",
        "type": "ORDER_SUMMARY",
    }


async def test_a_started_tracker_shows_in_the_active_orders(gateway):
    started = await gateway.start("12")
    reply = await gateway.call("GET", "/activeorders/12")
    assert reply.body["activeorder"] == started


async def test_a_tracker_taken_straight_to_a_table_starts_located(gateway):
    located = await gateway.locate("8", "3")
    assert located["state"] == "located"
    assert located["locationName"] == "3"


async def test_a_tracker_started_for_a_pos_order_binds_it_for_paging(gateway):
    created = (await gateway.create("66")).body["activeorder"]
    joined = await gateway.start("66")
    assert joined["uuid"] == created["uuid"]
    assert (await gateway.call("POST", "/activeorders/66/page")).status == 200


async def test_clearing_a_tracker_with_no_order_is_not_found(http):
    async with http.post("/_sim/trackers/9/clear") as response:
        assert response.status == 404


async def test_a_table_must_be_digits(http):
    async with http.post("/_sim/trackers/9/locate", json={"table": "A1"}) as response:
        assert response.status == 400


async def test_the_clock_moves_forward_and_reports_where_it_stands(gateway):
    await gateway.freeze()
    answer = await gateway.controls.advance_clock(90)
    assert answer.now == "2026-03-02T12:01:30"
    assert answer.frozen is True
    assert (await gateway.state()).now == "2026-03-02T12:01:30"


async def test_a_thawed_clock_runs_on_from_where_it_stood(gateway):
    await gateway.freeze()
    answer = await gateway.controls.move_clock(freeze=False)
    assert answer.frozen is False
    assert answer.now in (NOON, "2026-03-02T12:00:01")


async def test_a_clock_request_without_a_move_is_refused(http):
    async with http.post("/_sim/clock", json={"forward": 5}) as response:
        assert response.status == 400


async def test_a_delay_holds_every_answer_back(gateway):
    await gateway.controls.set_faults(delay_ms=250)
    loop = asyncio.get_running_loop()
    begun = loop.time()
    reply = await gateway.call("GET", "/activeorders")
    assert reply.status == 200
    assert loop.time() - begun >= 0.25
    await gateway.controls.clear_faults()
    begun = loop.time()
    await gateway.call("GET", "/activeorders")
    assert loop.time() - begun < 0.2


async def test_a_delay_holds_websocket_messages_back(simulator, gateway, auth):
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await gateway.controls.set_faults(delay_ms=200)
        await gateway.start("3")  # a hardware control: answered at once
        loop = asyncio.get_running_loop()
        begun = loop.time()
        event = await receive(ws)
    assert event["type"] == "ORDER_CREATED"
    assert loop.time() - begun >= 0.15


async def test_a_refusing_gateway_answers_503_api_unavailable(gateway):
    await gateway.controls.set_faults(refuse=True)
    for method, path in (("GET", ""), ("GET", "/activeorders"), ("GET", "/orders")):
        reply = await gateway.call(method, path)
        assert reply.status == 503
        assert set(reply.body) == {"status", "returnCode", "message"}
        assert reply.body["status"] == 503
        assert reply.body["returnCode"] == -5
    await gateway.controls.set_faults(refuse=False)
    assert (await gateway.call("GET", "/activeorders")).status == 200


async def test_a_refusing_gateway_refuses_websockets_too(simulator, gateway, auth):
    await gateway.controls.set_faults(refuse=True)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with websocket(simulator, headers=auth):
            pass
    assert refused.value.status == 503


async def test_the_hardware_keeps_working_while_the_api_refuses(gateway):
    await gateway.controls.set_faults(refuse=True)
    assert (await gateway.start("4"))["state"] == "started"


async def test_dropped_websockets_lose_their_connection(simulator, gateway, auth):
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        answer = await gateway.controls.set_faults(drop_websockets=True)
        msg = await ws.receive(timeout=1)
    assert answer.dropped_websockets == 1
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert (await gateway.state()).websocket_clients == 0


async def test_an_unknown_fault_is_refused(http):
    async with http.post("/_sim/faults", json={"explode": True}) as response:
        assert response.status == 400


async def _answers(url: str) -> bool:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(url + API, timeout=aiohttp.ClientTimeout(total=1)) as response,
        ):
            return response.status == 200
    except aiohttp.ClientConnectionError:
        return False


async def test_an_offline_gateway_refuses_connections_then_comes_back(simulator, gateway):
    answer = await gateway.controls.set_faults(offline_seconds=1.0)
    assert answer.faults.offline is False  # it answers first, then goes
    await eventually(lambda: simulator.faults.offline_until, what="the gateway to go offline")
    assert not await _answers(simulator.url)
    await eventually(lambda: _answers(simulator.url), what="the gateway to come back")
    assert (await gateway.call("GET", "/activeorders")).status == 200


async def test_going_offline_cuts_open_websockets(simulator, gateway, auth):
    async with websocket(simulator, headers=auth) as ws:
        await receive(ws)
        await gateway.controls.set_faults(offline_seconds=0.3)
        msg = await ws.receive(timeout=1)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_the_gateway_can_move_to_another_loopback_address(simulator, http, auth):
    old_url = simulator.url
    async with http.post("/_sim/address", json={"host": "127.0.0.2", "port": 0}) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["url"] == simulator.url
    assert simulator.host == "127.0.0.2"
    assert not await _answers(old_url)
    async with (
        aiohttp.ClientSession(base_url=simulator.url) as moved,
        moved.get(API + "/activeorders", headers=auth) as response,
    ):
        assert response.status == 200  # same gateway, same token


async def test_the_gateway_moves_only_within_loopback(http):
    async with http.post("/_sim/address", json={"host": "192.168.1.20"}) as response:
        assert response.status == 400
