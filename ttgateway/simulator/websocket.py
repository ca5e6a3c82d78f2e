"""The gateway's WebSocket: authenticate, send the ACTIVE_ORDERS snapshot, then every change."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from ttgateway.protocol import ReturnCode
from ttgateway.simulator.gateway import Event, GatewayError, GatewayState
from ttgateway.simulator.records import AccessToken

log = logging.getLogger(__name__)

# A client that falls this far behind is cut off rather than let the gateway's memory grow.
MAX_QUEUED_MESSAGES = 10_000


@dataclass(frozen=True)
class _Close:
    code: int
    error: dict[str, Any] | None = None


@dataclass(eq=False)
class _Client:
    ws: web.WebSocketResponse
    request: web.Request
    token: str
    queue: asyncio.Queue[str | _Close] = field(
        default_factory=lambda: asyncio.Queue(MAX_QUEUED_MESSAGES)
    )

    def abort(self) -> None:
        if self.request.transport is not None:
            self.request.transport.abort()


class WebSocketHub:
    """Every authenticated WebSocket of one simulated gateway."""

    def __init__(self, state: GatewayState, auth_timeout: float, delay: DelaySource) -> None:
        self.state = state
        self.auth_timeout = auth_timeout
        self.delay = delay
        self.clients: set[_Client] = set()
        state.subscribe(self.broadcast)
        state.on_token_deleted(self._token_deleted)

    def broadcast(self, event: Event) -> None:
        message = json.dumps(event.to_wire())
        for client in list(self.clients):
            self._enqueue(client, message)

    def _enqueue(self, client: _Client, item: str | _Close) -> None:
        try:
            client.queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("websocket client too slow; closing it")
            self.clients.discard(client)
            client.abort()

    def _token_deleted(self, token: AccessToken) -> None:
        error = GatewayError(401, ReturnCode.TOKEN_DELETED).to_wire()
        for client in [c for c in self.clients if c.token == token.token]:
            self.clients.discard(client)
            self._enqueue(client, _Close(WSCloseCode.POLICY_VIOLATION, error))

    def drop_all(self) -> int:
        """Cut every connection without a close frame, as a network blip would."""
        dropped = list(self.clients)
        self.clients.clear()
        for client in dropped:
            client.abort()
        return len(dropped)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=64 * 1024)
        await ws.prepare(request)
        token = await self._authenticate(request, ws)
        if token is None:
            return ws
        client = _Client(ws, request, token)
        # Snapshot and subscription happen with no await between them, so no event is lost
        # or doubled between the snapshot and the first notification.
        self.clients.add(client)
        client.queue.put_nowait(json.dumps(self.state.snapshot()))
        writer = asyncio.create_task(self._write(client))
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT and not _is_json(msg.data):
                    await _refuse(
                        ws, GatewayError(400, ReturnCode.INVALID_JSON), WSCloseCode.UNSUPPORTED_DATA
                    )
                    break
        finally:
            self.clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _authenticate(self, request: web.Request, ws: web.WebSocketResponse) -> str | None:
        """The token from the handshake header, or from the first message within the limit."""
        header = request.headers.get("Authorization")
        try:
            if header is not None:
                return self.state.authenticate_header(header, request.remote).token
            try:
                msg = await asyncio.wait_for(ws.receive(), self.auth_timeout)
            except TimeoutError:
                await ws.close(
                    code=WSCloseCode.POLICY_VIOLATION, message=b"Authentication timeout."
                )
                return None
            if msg.type is not WSMsgType.TEXT:
                await ws.close()
                return None
            try:
                data = json.loads(msg.data)
            except ValueError:
                await _refuse(
                    ws, GatewayError(400, ReturnCode.INVALID_JSON), WSCloseCode.UNSUPPORTED_DATA
                )
                return None
            token = data.get("accesstoken") if isinstance(data, dict) else None
            if not isinstance(token, str):
                raise GatewayError(401, ReturnCode.INVALID_TOKEN)
            return self.state.authenticate(token, request.remote).token
        except GatewayError as error:
            await _refuse(ws, error, WSCloseCode.POLICY_VIOLATION)
            return None

    async def _write(self, client: _Client) -> None:
        while True:
            item = await client.queue.get()
            delay = self.delay()
            if delay:
                await asyncio.sleep(delay)
            if isinstance(item, _Close):
                if item.error:
                    await client.ws.send_json(item.error)
                await client.ws.close(code=item.code)
                return
            await client.ws.send_str(item)


class DelaySource:
    """How long to hold each message back (the ``delay_ms`` fault), read at send time."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def _is_json(data: str) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


async def _refuse(ws: web.WebSocketResponse, error: GatewayError, code: int) -> None:
    """Say why (a message with a negative returnCode is an error) and close at once."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json(error.to_wire())
    await ws.close(code=code)
