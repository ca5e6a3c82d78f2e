"""Slow, absent and garbled gateways give the client's own exceptions, within its limits."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import aiohttp
import aiohttp.abc
import pytest
from aiohttp import web

from tests.ttgateway.client.conftest import CannedGateway
from ttgateway.client import (
    CONNECTION_LIMIT,
    GatewayClient,
    GatewayError,
    GatewayTimeout,
    GatewayUnreachable,
    MalformedResponse,
)
from ttgateway.client.transport import MAX_ANSWER_BYTES


async def test_a_gateway_slower_than_the_timeout_raises_gateway_timeout(simulator, token, controls):
    await controls.set_faults(delay_ms=1000)
    async with GatewayClient(simulator.url, token, timeout=0.2) as impatient:
        started = time.monotonic()
        with pytest.raises(GatewayTimeout) as caught:
            await impatient.active_orders()
    assert time.monotonic() - started < 0.9
    assert isinstance(caught.value, GatewayUnreachable)
    assert "0.2 s" in str(caught.value)
    assert caught.value.status is None


async def test_a_slow_gateway_within_the_timeout_is_waited_for(simulator, token, controls):
    await controls.set_faults(delay_ms=100)
    async with GatewayClient(simulator.url, token, timeout=2) as patient:
        assert await patient.active_orders() == ()


async def test_a_closed_port_raises_gateway_unreachable_not_a_timeout(closed_port):
    async with GatewayClient(f"http://127.0.0.1:{closed_port}", "t0ken") as gateway_client:
        with pytest.raises(GatewayUnreachable) as caught:
            await gateway_client.liveness()
    assert not isinstance(caught.value, GatewayTimeout)
    assert str(closed_port) in str(caught.value)


class NoSuchName(aiohttp.abc.AbstractResolver):
    """A resolver that knows no names, as a LAN's DNS after the gateway's lease expired."""

    async def resolve(self, host, port=0, family=socket.AF_INET):
        raise OSError(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        pass


async def test_a_name_that_does_not_resolve_raises_gateway_unreachable():
    connector = aiohttp.TCPConnector(resolver=NoSuchName())
    async with aiohttp.ClientSession(connector=connector) as session:
        gateway_client = GatewayClient("http://tt-gateway.lan:8000", "t0ken", session=session)
        with pytest.raises(GatewayUnreachable) as caught:
            await gateway_client.liveness()
    assert not isinstance(caught.value, GatewayTimeout)
    assert "tt-gateway.lan" in str(caught.value)


async def test_a_gateway_that_goes_offline_mid_session_raises_gateway_unreachable(
    client, simulator
):
    assert await client.active_orders() == ()
    await simulator.go_offline()
    with pytest.raises(GatewayUnreachable):
        await client.active_orders()


async def test_an_answer_that_is_not_json_raises_malformed_response(canned):
    canned.reply = (200, "<html>captive portal</html>")
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(MalformedResponse) as caught:
            await gateway_client.active_orders()
    assert "not JSON" in str(caught.value)
    assert caught.value.status == 200


async def test_an_error_page_that_is_not_json_raises_malformed_response_with_its_status(canned):
    canned.reply = (502, "<html>Bad Gateway</html>")
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(MalformedResponse) as caught:
            await gateway_client.statistics()
    assert caught.value.status == 502


async def test_a_json_answer_of_the_wrong_shape_raises_malformed_response_naming_the_field(
    canned, caplog
):
    caplog.set_level(logging.WARNING)  # a Celery test worker may have raised the root's
    canned.reply = (200, {"status": 200, "returnCode": 5, "count": 1, "items": [{"name": "1"}]})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        # One unreadable order is skipped (and logged), not the whole answer.
        assert await gateway_client.active_orders() == ()
        assert "items[0]" in caplog.text
        canned.reply = (200, {"status": 200, "returnCode": 5, "count": 1, "items": "nope"})
        with pytest.raises(MalformedResponse) as caught:
            await gateway_client.active_orders()
        assert caught.value.field == "items"
        canned.reply = (200, {"status": 200, "returnCode": 10})
        with pytest.raises(MalformedResponse) as caught:
            await gateway_client.statistics()
        assert caught.value.field == "statistics"
        canned.reply = (200, ["not", "an", "object"])
        with pytest.raises(MalformedResponse):
            await gateway_client.liveness()


async def test_the_client_opens_at_most_four_connections_to_a_gateway(canned):
    busy = 0
    most = 0

    async def slow(request: web.Request) -> tuple[int, dict[str, object]]:
        nonlocal busy, most
        busy += 1
        most = max(most, busy)
        await asyncio.sleep(0.05)
        busy -= 1
        return 200, {"status": 200, "returnCode": 5, "count": 0, "items": []}

    canned.handler = slow
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        await asyncio.gather(*(gateway_client.active_orders() for _ in range(12)))
    assert most == CONNECTION_LIMIT == 4


async def test_a_session_passed_in_is_used_and_left_open(simulator, token):
    async with aiohttp.ClientSession() as session:
        async with GatewayClient(simulator.url, token, session=session) as gateway_client:
            assert await gateway_client.active_orders() == ()
        assert not session.closed


async def test_a_closed_client_opens_a_new_session_when_used_again(client):
    await client.close()
    assert await client.active_orders() == ()


def test_every_exception_the_client_raises_is_a_gateway_error():
    for cls in (GatewayTimeout, GatewayUnreachable, MalformedResponse):
        assert issubclass(cls, GatewayError)


async def test_a_redirect_is_not_followed_and_is_not_a_gateway(canned):
    target = CannedGateway()
    await target.start()
    try:

        async def redirect(request: web.Request) -> tuple[int, object]:
            raise web.HTTPFound(f"{target.url}/healthz")

        canned.handler = redirect
        async with GatewayClient(canned.url, "t0ken") as gateway_client:
            with pytest.raises(MalformedResponse) as caught:
                await gateway_client.liveness()
        assert caught.value.status == 302
        assert target.requests == []
    finally:
        await target.stop()


async def test_a_redirected_websocket_upgrade_gets_no_token(canned):
    target = CannedGateway()
    await target.start()
    received: list[object] = []

    async def listen(ws: web.WebSocketResponse) -> None:
        received.append(await ws.receive())

    target.websocket = listen
    try:

        async def redirect(request: web.Request) -> tuple[int, object]:
            raise web.HTTPTemporaryRedirect(f"{target.url}/api/v2/websocket")

        canned.handler = redirect
        async with GatewayClient(canned.url, "t0ken") as gateway_client:
            with pytest.raises(MalformedResponse):
                async with gateway_client.events() as stream:
                    await anext(stream)
        assert all("t0ken" not in str(getattr(m, "data", "")) for m in received)
    finally:
        await target.stop()


async def test_an_answer_larger_than_a_megabyte_is_refused_unread(canned):
    canned.reply = (200, {"status": 200, "returnCode": 0, "name": "x" * (2 * MAX_ANSWER_BYTES)})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(MalformedResponse) as caught:
            await gateway_client.liveness()
    assert "too large" in str(caught.value)


async def test_a_streamed_answer_larger_than_a_megabyte_is_refused(canned):
    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        for _ in range(40):
            await response.write(b" " * 64 * 1024)
        return response

    canned.stream = endless
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(MalformedResponse) as caught:
            await gateway_client.liveness()
    assert "too large" in str(caught.value)


async def test_a_websocket_message_larger_than_a_megabyte_ends_the_stream(canned):
    async def huge(ws: web.WebSocketResponse) -> None:
        await ws.receive()  # the token
        await ws.send_str('{"type": "ACTIVE_ORDERS", "items": [], "pad": "' + "x" * 2**21 + '"}')
        await ws.receive()

    canned.websocket = huge
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(GatewayError):
            async with gateway_client.events() as stream:
                await anext(stream)
