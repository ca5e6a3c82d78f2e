"""The WebSocket stream: a snapshot, then changes in order, and a clear exception when it ends."""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import asynccontextmanager

import pytest
from aiohttp import WSCloseCode, web

from tests.ttgateway.client import vendor_payloads as vendor
from ttgateway.client import (
    DEFAULT_TIMEOUT,
    ConnectionLost,
    GatewayClient,
    GatewayTimeout,
    GatewayUnreachable,
    InvalidToken,
    MalformedAuthorization,
    OrderEvent,
    Snapshot,
    TokenDeleted,
    TokenRejected,
)
from ttgateway.protocol import EventType, OrderState, OrderType

VENDOR_ORDER = json.loads(vendor.ACTIVE_ORDER_MODEL)["activeorder"]


@asynccontextmanager
async def stream_from(url: str, client_timeout: float = DEFAULT_TIMEOUT, **options):
    """An event stream of a fresh client (token "t0ken") of the gateway at ``url``."""
    gateway_client = GatewayClient(url, "t0ken", timeout=client_timeout)
    async with gateway_client, gateway_client.events(**options) as stream:
        yield stream


async def next_event(stream, seconds: float = 2.0):
    return await asyncio.wait_for(stream.__anext__(), seconds)


async def test_the_stream_starts_with_a_snapshot_of_the_active_orders(client):
    await client.submit_order("5", OrderType.TO_GO, location="9")
    async with client.events() as stream:
        snapshot = await next_event(stream)
    assert isinstance(snapshot, Snapshot)
    assert [(o.name, o.location) for o in snapshot.orders] == [("5", "9")]


async def test_changes_follow_the_snapshot_in_order_with_increasing_seq(client, controls):
    async with client.events() as stream:
        assert isinstance(await next_event(stream), Snapshot)
        await controls.start_tracker("7")
        await controls.locate_tracker("7", "12")
        await client.page("7")
        await controls.clear_tracker("7")
        events = [await next_event(stream) for _ in range(4)]
    assert all(isinstance(e, OrderEvent) for e in events)
    assert [e.type for e in events] == [
        EventType.ORDER_CREATED,
        EventType.ORDER_MODIFIED,
        EventType.ORDER_PAGED,
        EventType.ORDER_CLEARED,
    ]
    seqs = [e.seq for e in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 4
    assert events[1].order.location == "12"
    assert events[2].order.paged
    assert events[3].order.state is OrderState.CLEARED
    assert len({e.order.uuid for e in events}) == 1


async def test_an_unknown_token_ends_the_stream_with_invalid_token(simulator):
    async with GatewayClient(simulator.url, "cd" * 24) as stranger, stranger.events() as stream:
        with pytest.raises(InvalidToken) as caught:
            await next_event(stream)
    assert caught.value.return_code == -2


async def test_deleting_the_token_on_the_gateway_ends_the_stream_with_token_deleted(
    client, controls
):
    async with client.events() as stream:
        assert isinstance(await next_event(stream), Snapshot)
        await controls.delete_tokens()
        with pytest.raises(TokenDeleted) as caught:
            await next_event(stream)
    assert isinstance(caught.value, TokenRejected)
    assert caught.value.return_code == 1001


async def test_a_dropped_connection_ends_the_stream_with_connection_lost(client, controls):
    async with client.events() as stream:
        assert isinstance(await next_event(stream), Snapshot)
        dropped = await controls.set_faults(drop_websockets=True)
        assert dropped.dropped_websockets == 1
        with pytest.raises(ConnectionLost) as caught:
            await next_event(stream)
    assert isinstance(caught.value, GatewayUnreachable)
    assert "cut without a close frame" in str(caught.value)


async def test_a_silent_socket_ends_the_stream_after_the_receive_timeout(client):
    async with client.events(receive_timeout=0.3) as stream:
        assert isinstance(await next_event(stream), Snapshot)
        with pytest.raises(GatewayTimeout) as caught:
            await next_event(stream)
    assert "0.3 s" in str(caught.value)


async def test_a_gateway_that_stops_answering_pings_ends_the_stream_with_gateway_timeout(canned):
    async def silent_after_snapshot(ws: web.WebSocketResponse) -> None:
        await ws.receive()  # the token
        await ws.send_json({"type": "ACTIVE_ORDERS", "count": 0, "items": []})
        async for _ in ws:  # pings arrive and go unanswered (autoping off)
            pass

    canned.websocket = silent_after_snapshot
    canned.autoping = False
    async with stream_from(canned.url, heartbeat=0.2) as stream:
        assert isinstance(await next_event(stream), Snapshot)
        with pytest.raises(GatewayTimeout) as caught:
            await next_event(stream)
    assert "ping" in str(caught.value)


async def test_the_token_is_sent_as_the_first_message(canned):
    received: list[object] = []

    async def record_token(ws: web.WebSocketResponse) -> None:
        received.append(json.loads((await ws.receive()).data))
        await ws.send_json({"type": "ACTIVE_ORDERS", "count": "0", "items": []})
        await ws.receive()

    canned.websocket = record_token
    async with stream_from(canned.url) as stream:
        await next_event(stream)
    assert received == [{"accesstoken": "t0ken"}]
    assert "Authorization" not in canned.requests[0].headers


async def test_a_gateway_that_closes_right_after_the_token_means_the_token_was_rejected(canned):
    async def close_at_once(ws: web.WebSocketResponse) -> None:
        await ws.receive()
        await ws.close(code=WSCloseCode.OK)

    canned.websocket = close_at_once
    async with stream_from(canned.url) as stream:
        with pytest.raises(TokenRejected) as caught:
            await next_event(stream)
    assert "refused the token" in str(caught.value)


async def test_a_gateway_going_away_before_the_snapshot_is_a_lost_connection_not_a_bad_token(
    canned,
):
    async def restart(ws: web.WebSocketResponse) -> None:
        await ws.receive()
        await ws.close(code=WSCloseCode.GOING_AWAY)

    canned.websocket = restart
    async with stream_from(canned.url) as stream:
        with pytest.raises(ConnectionLost):
            await next_event(stream)


async def test_error_messages_with_an_auth_code_raise_the_matching_rejection(canned):
    for code, error in ((-1, MalformedAuthorization), (-2, InvalidToken), (1001, TokenDeleted)):

        async def refuse(ws: web.WebSocketResponse, code: int = code) -> None:
            await ws.receive()
            await ws.send_json({"status": 401, "returnCode": code, "message": "No."})
            await ws.close(code=WSCloseCode.POLICY_VIOLATION)

        canned.websocket = refuse
        async with stream_from(canned.url) as stream:
            with pytest.raises(error):
                await next_event(stream)


async def test_new_order_events_arrive_as_order_created_and_unknown_types_are_skipped(canned):
    async def vendor_style(ws: web.WebSocketResponse) -> None:
        await ws.receive()
        await ws.send_json({"type": "ACTIVE_ORDERS", "count": 0, "items": []})
        await ws.send_json({"type": "FIRMWARE_NEWS", "text": "hello"})
        await ws.send_json({**VENDOR_ORDER, "type": "NEW_ORDER", "seq": 1})
        await ws.receive()

    canned.websocket = vendor_style
    async with stream_from(canned.url) as stream:
        assert isinstance(await next_event(stream), Snapshot)
        event = await next_event(stream)
    assert isinstance(event, OrderEvent)
    assert event.type is EventType.ORDER_CREATED
    assert event.order.name == "27"
    assert event.order.order_type is OrderType.ON_PREMISES


async def test_a_closed_port_fails_to_open_the_stream_with_gateway_unreachable(closed_port):
    async with GatewayClient(f"http://127.0.0.1:{closed_port}", "t0ken") as gateway_client:
        with pytest.raises(GatewayUnreachable):
            async with gateway_client.events():
                pass


async def test_a_client_without_a_token_cannot_open_a_stream(simulator):
    async with GatewayClient(simulator.url) as anonymous:
        with pytest.raises(MalformedAuthorization):
            anonymous.events()


async def test_closing_the_stream_ends_the_iteration_quietly(client, controls):
    seen = []
    async with client.events() as stream:
        async for event in stream:
            seen.append(event)
            await stream.close()
    assert len(seen) == 1
    assert isinstance(seen[0], Snapshot)


async def test_a_gateway_that_takes_the_token_but_sends_no_snapshot_times_out(canned):
    async def mute(ws: web.WebSocketResponse) -> None:
        await ws.receive()  # the token, then nothing; pings are still answered
        await ws.receive()

    canned.websocket = mute
    async with stream_from(canned.url, client_timeout=0.3) as stream:
        with pytest.raises(GatewayTimeout) as caught:
            await next_event(stream)
    assert "no snapshot" in str(caught.value)


async def test_an_event_with_an_order_number_the_portal_cannot_hold_is_skipped(canned, caplog):
    caplog.set_level(logging.WARNING)  # a Celery test worker may have raised the root's
    bad = dict(VENDOR_ORDER, name="1" * 24, type="ORDER_CREATED", seq=1)
    good = dict(VENDOR_ORDER, type="ORDER_CREATED", seq=2)

    async def one_bad_then_one_good(ws: web.WebSocketResponse) -> None:
        await ws.receive()  # the token
        await ws.send_json({"type": "ACTIVE_ORDERS", "items": [dict(VENDOR_ORDER, name="1" * 24)]})
        await ws.send_json(bad)
        await ws.send_json(good)
        await ws.receive()

    canned.websocket = one_bad_then_one_good
    async with stream_from(canned.url) as stream:
        snapshot = await next_event(stream)
        event = await next_event(stream)
    assert isinstance(snapshot, Snapshot)
    assert snapshot.orders == ()
    assert isinstance(event, OrderEvent)
    assert event.seq == 2
    assert "name" in caplog.text
