"""The token never shows in an exception (str, repr, args, traceback) or a log line."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ttgateway.client import (
    GatewayClient,
    GatewayError,
    InvalidToken,
    SyncGatewayClient,
    transport,
)
from ttgateway.protocol import OrderType

STRANGER = "5eca1e7" + "0" * 41  # a well-formed token the gateway does not know


def traces(error: BaseException) -> list[str]:
    """Every way an exception is commonly shown or stored."""
    return [
        str(error),
        repr(error),
        repr(error.args),
        "".join(traceback.format_exception(error)),
        *(repr(value) for value in vars(error).values()),
    ]


async def collect(
    calls: list[Callable[[], Awaitable[object]]],
) -> list[GatewayError]:
    errors = []
    for call in calls:
        with pytest.raises(GatewayError) as caught:
            await call()
        errors.append(caught.value)
    return errors


async def test_no_exception_or_log_line_contains_the_token(
    simulator, token, controls, closed_port, canned, caplog
):
    caplog.set_level(logging.DEBUG)

    async def echo_header(request: web.Request) -> tuple[int, dict[str, object]]:
        # A careless firmware that quotes the header back in its error message.
        said = request.headers.get("Authorization", "")
        return 401, {"status": 401, "returnCode": -2, "message": f"Invalid token: {said}"}

    canned.handler = echo_header

    async def stream_until_error(gateway_client: GatewayClient) -> None:
        async with gateway_client.events(receive_timeout=2) as stream:
            async for _ in stream:
                await controls.delete_tokens()

    paired = GatewayClient(simulator.url, token)
    impatient = GatewayClient(simulator.url, token, timeout=0.1)
    stranger = GatewayClient(simulator.url, STRANGER)
    nowhere = GatewayClient(f"http://127.0.0.1:{closed_port}", token)
    echoing = GatewayClient(canned.url, token)
    try:
        errors = await collect(
            [
                lambda: paired.active_order("404"),
                lambda: paired.order("00000000-0000-4000-8000-000000000000"),
                lambda: paired.submit_order("x", OrderType.TO_GO),
                lambda: stranger.active_orders(),
                lambda: stream_with(stranger),
                lambda: nowhere.statistics(),
                lambda: echoing.active_orders(),
                lambda: slow(impatient, controls),
                lambda: stream_until_error(paired),
                lambda: paired.active_orders(),  # the token is deleted now
            ]
        )
    finally:
        for gateway_client in (paired, impatient, stranger, nowhere, echoing):
            await gateway_client.close()

    assert len(errors) == 10
    assert any(isinstance(e, InvalidToken) and "[token]" in e.message for e in errors)
    for error in errors:
        for shown in traces(error):
            assert token not in shown, shown
            assert STRANGER not in shown, shown
    assert caplog.records, "the client should log its requests at DEBUG"
    assert token not in caplog.text
    assert STRANGER not in caplog.text
    for record in caplog.records:
        assert token not in repr(record.args)


async def stream_with(gateway_client: GatewayClient) -> None:
    async with gateway_client.events() as stream:
        await stream.__anext__()


async def slow(gateway_client: GatewayClient, controls) -> None:
    await controls.set_faults(delay_ms=500)
    try:
        await gateway_client.active_orders()
    finally:
        await controls.clear_faults()


def test_the_clients_own_reprs_do_not_show_the_token():
    async_client = GatewayClient("http://127.0.0.1:1", STRANGER)
    sync_client = SyncGatewayClient("http://127.0.0.1:1", STRANGER)
    for shown in (repr(async_client), str(async_client), repr(sync_client)):
        assert STRANGER not in shown
    assert "<set>" in repr(async_client)


def test_aiohttp_errors_that_hold_the_request_headers_are_never_chained():
    headers = CIMultiDictProxy(CIMultiDict({"Authorization": f"Bearer {STRANGER}"}))
    url = URL("http://127.0.0.1:1/api/v2/activeorders")
    error = aiohttp.ClientResponseError(aiohttp.RequestInfo(url, "GET", headers, url), ())
    assert STRANGER in repr(error)  # what chaining it would leak into a traceback's repr
    assert transport.cause(error) is None
    refused = aiohttp.ClientConnectionError("refused")
    assert transport.cause(refused) is refused
