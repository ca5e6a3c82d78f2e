"""Fixtures for the client tests: clients on the simulator, and a tiny canned gateway.

The simulator is the gateway for everything it can do. For answers it never gives (a 1001 over
HTTP, a body that is not JSON, a silent WebSocket) the tests start a real aiohttp server on
loopback that answers exactly what the test says: still real sockets, no mocks.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from ttgateway.client import GatewayClient
from ttgateway.simulator import Simulator

Reply = tuple[int, Any]
"""(HTTP status, body): a dict or list is sent as JSON, a str as is."""


class CannedGateway:
    """A real HTTP server on loopback that answers every request as the test tells it."""

    def __init__(self) -> None:
        self.reply: Reply = (200, {"status": 200, "returnCode": 0})
        self.handler: Callable[[web.Request], Awaitable[Reply]] | None = None
        self.websocket: Callable[[web.WebSocketResponse], Awaitable[None]] | None = None
        self.stream: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None
        self.autoping = True
        self.requests: list[web.Request] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request)
        if request.path.endswith("/websocket") and self.websocket is not None:
            ws = web.WebSocketResponse(autoping=self.autoping)
            await ws.prepare(request)
            await self.websocket(ws)
            return ws
        if self.stream is not None:
            return await self.stream(request)
        status, body = await self.handler(request) if self.handler else self.reply
        if isinstance(body, str):
            return web.Response(status=status, text=body, content_type="text/html")
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")


@pytest.fixture
async def canned() -> AsyncIterator[CannedGateway]:
    gateway = CannedGateway()
    await gateway.start()
    yield gateway
    await gateway.stop()


@pytest.fixture
async def client(simulator: Simulator, token: str) -> AsyncIterator[GatewayClient]:
    """A paired client of the simulator, checking inputs as the portal does."""
    async with GatewayClient(simulator.url, token) as gateway_client:
        yield gateway_client


@pytest.fixture
async def unchecked(simulator: Simulator, token: str) -> AsyncIterator[GatewayClient]:
    """A paired client that sends inputs unchecked, so the gateway's own rules answer."""
    async with GatewayClient(simulator.url, token, validate=False) as gateway_client:
        yield gateway_client
