"""The gateway's WebSocket as an async iterator of typed events.

::

    async with client.events() as stream:
        async for event in stream:
            ...  # a Snapshot first, then OrderEvents in ``seq`` order

The stream never ends quietly while the gateway is still expected to talk: a rejected token
raises :class:`TokenRejected`, a cut connection :class:`ConnectionLost`, a gateway that stops
answering pings (or, with ``receive_timeout``, stops sending) :class:`GatewayTimeout`. A relay
reconnects on any of these and reconciles from the next snapshot. Only closing the stream
yourself ends the iteration normally.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Final

import aiohttp
from aiohttp import WSCloseCode, WSMsgType

from ttgateway.client import transport
from ttgateway.client.errors import (
    ConnectionLost,
    GatewayError,
    GatewayTimeout,
    GatewayUnreachable,
    MalformedResponse,
    TokenRejected,
)
from ttgateway.client.models import ORDER_EVENT_TYPES, Event, OrderEvent, Snapshot
from ttgateway.protocol import EventType

log = logging.getLogger(__name__)

# Close codes that say "the gateway is going away", not "your token is bad", even before the
# snapshot: a restart or an overload is a reason to reconnect, not to re-pair.
_NOT_ABOUT_AUTH: Final = frozenset(
    {
        WSCloseCode.GOING_AWAY,
        WSCloseCode.INTERNAL_ERROR,
        WSCloseCode.SERVICE_RESTART,
        WSCloseCode.TRY_AGAIN_LATER,
    }
)
_CLOSE_TIMEOUT: Final = 2.0


class EventStream:
    """One authenticated WebSocket to a gateway. Get it from ``GatewayClient.events()``."""

    def __init__(
        self,
        session: Callable[[], aiohttp.ClientSession],
        url: str,
        token: str,
        *,
        open_timeout: float,
        heartbeat: float | None,
        receive_timeout: float | None,
    ) -> None:
        self._session = session
        self._url = url
        self._token = token
        self._open_timeout = open_timeout
        self._heartbeat = heartbeat
        self._receive_timeout = receive_timeout
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._snapshot_seen = False
        self._closed_by_us = False

    def __repr__(self) -> str:
        state = "open" if self._ws is not None and not self._ws.closed else "closed"
        return f"<EventStream {self._url} {state}>"

    async def __aenter__(self) -> EventStream:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect and send the token as the first message (the gateway's documented way)."""
        where = f"WebSocket {self._url}"
        try:
            # The handshake is an HTTP request: bound it like one, whatever the session says.
            async with asyncio.timeout(self._open_timeout):
                self._ws = await self._session().ws_connect(
                    self._url,
                    heartbeat=self._heartbeat,
                    timeout=aiohttp.ClientWSTimeout(ws_close=_CLOSE_TIMEOUT),
                    max_msg_size=transport.MAX_ANSWER_BYTES,
                )
                # aiohttp follows redirects on the upgrade, and the token goes out as the first
                # message: an upgrade that was redirected anywhere gets no token.
                handshake = getattr(self._ws, "_response", None)
                if handshake is None or handshake.history:
                    await self._abandon()
                    raise transport.not_a_gateway(where, None, "it redirects")
                await self._ws.send_json({"accesstoken": self._token})
        except aiohttp.WSServerHandshakeError as exc:
            raise GatewayError(
                f"The gateway refused the WebSocket upgrade ({where}): HTTP {exc.status}",
                status=exc.status,
            ) from None  # aiohttp's error holds the request: not chained
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self._abandon()
            raise transport.unreachable(exc, where, self._open_timeout) from transport.cause(exc)
        log.debug("websocket open: %s", self._url)

    async def close(self) -> None:
        """Close the WebSocket; iteration then ends normally."""
        self._closed_by_us = True
        await self._abandon()

    async def _abandon(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
            log.debug("websocket closed by the client: %s", self._url)

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        """The next snapshot or change; raises when the gateway ends the conversation."""
        if self._ws is None:
            raise RuntimeError("use 'async with client.events() as stream' before iterating")
        while True:
            if self._closed_by_us:
                raise StopAsyncIteration
            timeout = self._receive_timeout
            if not self._snapshot_seen:
                # A gateway that took the token owes the snapshot at once: do not wait forever.
                timeout = min(timeout or self._open_timeout, self._open_timeout)
            try:
                msg = await self._ws.receive(timeout=timeout)
            except TimeoutError:
                await self._abandon()
                what = "nothing" if self._snapshot_seen else "no snapshot"
                raise GatewayTimeout(
                    f"The gateway's WebSocket sent {what} for {timeout:g} s ({self._url})"
                ) from None
            if msg.type is WSMsgType.TEXT:
                event = self._parse(msg.data)
                if event is not None:
                    return event
            elif msg.type in (
                WSMsgType.CLOSE,
                WSMsgType.CLOSING,
                WSMsgType.CLOSED,
                WSMsgType.ERROR,
            ):
                if self._closed_by_us:
                    raise StopAsyncIteration
                raise self._ended(msg)
            # BINARY, PING and PONG carry nothing for us: aiohttp answers pings itself.

    def _parse(self, text: str) -> Event | None:
        where = f"WebSocket {self._url}"
        data = transport.decode(text, where, None)
        status = data.get("status")
        # A message with a failing returnCode is the gateway's way of saying why it will close.
        transport.raise_for_answer(
            data, status if type(status) is int else None, where, self._token
        )
        kind = data.get("type")
        try:
            event_type = EventType(str(kind))
        except ValueError:
            # Newer firmwares may add types: skipping them keeps the relay running.
            log.debug("websocket message of unknown type skipped: %.40r", kind)
            return None
        if event_type is EventType.ACTIVE_ORDERS:
            self._snapshot_seen = True
            return Snapshot.from_wire(data)
        if event_type in ORDER_EVENT_TYPES:
            try:
                return OrderEvent.from_wire(data, event_type)
            except MalformedResponse as exc:
                # One order the portal cannot hold must not end the stream for all the others.
                log.warning("gateway event skipped: %s", exc.message)
                return None
        return None

    def _ended(self, msg: aiohttp.WSMessage) -> GatewayUnreachable | TokenRejected:
        assert self._ws is not None
        problem = self._ws.exception() or (msg.data if msg.type is WSMsgType.ERROR else None)
        if isinstance(problem, TimeoutError):
            # aiohttp's heartbeat: a ping went unanswered, so the gateway (or the path) is gone.
            log.debug("websocket heartbeat lost: %s", self._url)
            return GatewayTimeout(
                f"The gateway stopped answering WebSocket pings ({self._url}): {problem}"
            )
        if msg.type is WSMsgType.CLOSE:
            code = int(msg.data) if isinstance(msg.data, int) else None
            log.debug("websocket closed by the gateway with code %s: %s", code, self._url)
            if code == WSCloseCode.POLICY_VIOLATION or (
                not self._snapshot_seen and code not in _NOT_ABOUT_AUTH
            ):
                why = (
                    "policy violation: the token was refused or revoked"
                    if self._snapshot_seen
                    else "instead of sending the snapshot: it refused the token"
                )
                return TokenRejected(
                    f"The gateway closed the WebSocket (code {code}) {why} ({self._url})"
                )
            return ConnectionLost(f"The gateway closed the WebSocket (code {code}) ({self._url})")
        log.debug("websocket dropped: %s", self._url)
        return ConnectionLost(
            f"The WebSocket to the gateway was cut without a close frame ({self._url})"
        )
