"""The async client of one Table Tracker gateway's API v2.

One :class:`GatewayClient` per gateway. It is gentle with the device (a small embedded box):
at most four connections at once, three seconds to connect, ten seconds for a whole answer.
Every documented failure arrives as its own exception (see ``ttgateway.client.errors``); inputs are
checked the gateway's way before anything is sent; answers are read tolerantly into frozen
dataclasses (see ``ttgateway.client.models``).

The token goes into the ``Authorization`` header (and the WebSocket's first message) and nowhere
else: not into exceptions, reprs or log lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Final
from urllib.parse import quote

import aiohttp

from ttgateway.client import transport, validation
from ttgateway.client.errors import MalformedAuthorization
from ttgateway.client.events import EventStream
from ttgateway.client.models import (
    ActiveOrder,
    GatewayInfo,
    IssuedToken,
    OrdersPage,
    OrderSummary,
    Snapshot,
    Statistics,
    SubmitOutcome,
    SubmitResult,
)
from ttgateway.client.wire import Reader
from ttgateway.protocol import (
    API_PREFIX,
    DEFAULT_PORT,
    ORDERS_DEFAULT_LIMIT,
    ORDERS_MAX_LIMIT,
    OrderType,
    ReturnCode,
)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 10.0
"""Seconds for a whole request, connection to last byte."""
DEFAULT_CONNECT_TIMEOUT: Final = 3.0
"""Seconds to open a TCP connection: a gateway on the LAN answers in milliseconds or not at all."""
CONNECTION_LIMIT: Final = 4
"""Connections per gateway: its HTTP server is small and also serves the POS and the WebSocket."""
DEFAULT_HEARTBEAT: Final = 30.0
"""Seconds between WebSocket pings; a gateway that misses the pong within half of it is gone."""


class GatewayClient:
    """Async client of one gateway.

    Give ``base_url`` (``http://10.0.1.2:8000``; a trailing ``/api/v2`` is fine) or ``host`` and
    ``port``. ``token`` may be None until pairing; secured calls then fail with
    :class:`MalformedAuthorization` from the gateway. With ``validate`` False, inputs go to the
    gateway unchecked (it is then the only judge); keep it True in the portal.

    Use as ``async with GatewayClient(...) as client`` or call :meth:`close`. A ``session`` you
    pass is used as is and left open; otherwise the client makes its own, with the limits above.
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        host: str | None = None,
        port: int = DEFAULT_PORT,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
        validate: bool = True,
    ) -> None:
        self.base_url = _base_url(base_url, host, port)
        self._token = _checked_token(token)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.validate = validate
        self._client_timeout = aiohttp.ClientTimeout(
            total=timeout, sock_connect=min(connect_timeout, timeout)
        )
        self._session = session
        self._owns_session = session is None

    def __repr__(self) -> str:
        return f"GatewayClient({self.base_url!r}, token={'<set>' if self._token else None})"

    @property
    def has_token(self) -> bool:
        """True when the client has a token for the secured endpoints."""
        return self._token is not None

    # --- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the client's own session (a session passed in is left open)."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running loop, as aiohttp requires.
        if self._session is None or (self._owns_session and self._session.closed):
            connector = aiohttp.TCPConnector(
                limit=CONNECTION_LIMIT, limit_per_host=CONNECTION_LIMIT
            )
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._client_timeout)
            self._owns_session = True
        return self._session

    # --- the endpoints -----------------------------------------------------------------------

    async def liveness(self) -> GatewayInfo:
        """``GET /api/v2`` without a token: any JSON answer means the gateway is online."""
        _, _, data = await self._call("GET", "", secured=False)
        return GatewayInfo.from_wire(data)

    async def generate_token(self, name: str | None = None) -> IssuedToken:
        """Ask for a token; works once within two minutes of a press of the gateway's button.

        Raises :class:`PairingWindowClosed` outside the window. The token is shown only now.
        """
        params = {"name": name} if name else None
        _, _, data = await self._call("GET", "/accesstoken/generate", params=params, secured=False)
        return IssuedToken.from_wire(Reader(data, "").raw("token"))

    async def active_orders(self) -> tuple[ActiveOrder, ...]:
        """Every active order, oldest first."""
        _, _, data = await self._call("GET", "/activeorders")
        return Snapshot.from_wire(data).orders

    async def active_order(self, order_id: str | int) -> ActiveOrder:
        """One active order by name (number) or uuid; :class:`OrderNotFound` if not active."""
        _, _, data = await self._call("GET", f"/activeorders/{self._order_id(order_id)}")
        return ActiveOrder.from_wire(Reader(data, "").raw("activeorder"))

    async def submit_order(
        self,
        name: str | int,
        order_type: OrderType | str,
        location: str | int | None = None,
        dummy_tracker: bool = False,
    ) -> SubmitResult:
        """Start an order, or modify the active order of that name.

        ``location`` (a table) makes the order located at once. ``dummy_tracker`` binds a fake
        tracker, for tests only. The result tells created / modified / already started /
        already located apart, and carries the gateway's ``warning`` when no tracker was bound.
        """
        body = self._order_body(name, order_type, location)
        params = {"dummy_tracker_address": "true"} if dummy_tracker else None
        status, code, data = await self._call("POST", "/activeorders", params=params, body=body)
        if code in (ReturnCode.ORDER_ALREADY_STARTED, ReturnCode.ORDER_ALREADY_LOCATED):
            outcome = (
                SubmitOutcome.ALREADY_STARTED
                if code == ReturnCode.ORDER_ALREADY_STARTED
                else SubmitOutcome.ALREADY_LOCATED
            )
            return SubmitResult(outcome, None, message=transport.message(data))
        order = ActiveOrder.from_wire(Reader(data, "").raw("activeorder"))
        warning = data.get("warning")
        return SubmitResult(
            SubmitOutcome.CREATED if status == 201 else SubmitOutcome.MODIFIED,
            order,
            warning=warning if isinstance(warning, str) and warning else None,
        )

    async def delete_order(self, order_id: str | int) -> ActiveOrder | None:
        """Clear one active order by hand; it moves to history.

        Returns the cleared order when the gateway includes it (the vendor pages do not promise
        a body).
        """
        _, _, data = await self._call("DELETE", f"/activeorders/{self._order_id(order_id)}")
        return _optional_order(data)

    async def delete_all(self) -> tuple[ActiveOrder, ...]:
        """Clear every active order; returns those the gateway lists as cleared (maybe none)."""
        _, _, data = await self._call("DELETE", "/activeorders")
        return Snapshot.from_wire(data).orders if "items" in data else ()

    async def page(self, order_id: str | int, tracking: bool = True) -> ActiveOrder | None:
        """Make the order's tracker vibrate (``tracking`` False cancels a page).

        Raises :class:`PagingImpossible` when no tracker is bound, :class:`PagingUnavailable`
        when the gateway cannot page now. Returns the order when the gateway includes it.
        """
        path = f"/activeorders/{self._order_id(order_id)}/page"
        _, _, data = await self._call("POST", path, body={"tracking": tracking})
        return _optional_order(data)

    async def orders(
        self,
        offset: int = 0,
        limit: int = ORDERS_DEFAULT_LIMIT,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        order_type: OrderType | str | None = None,
        location_name: str | int | None = None,
    ) -> OrdersPage:
        """One page of history, oldest first. Dates are UTC (naive datetimes are taken as UTC).

        The gateway keeps two weeks of history. ``OrdersPage.count`` is ambiguous: to read
        everything, use :meth:`iter_orders`.
        """
        params = self._orders_params(
            offset, limit, created_after, created_before, order_type, location_name
        )
        _, _, data = await self._call("GET", "/orders", params=params)
        return OrdersPage.from_wire(data)

    async def iter_orders(
        self,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        order_type: OrderType | str | None = None,
        location_name: str | int | None = None,
        page_size: int = ORDERS_MAX_LIMIT,
    ) -> AsyncGenerator[OrderSummary, None]:
        """Every history record matching the filters, oldest first, paging ``page_size`` at once.

        Stops at the first page holding fewer than ``page_size`` records; ``count`` is not
        trusted in either meaning. A record met twice (history shifting between pages when an
        order finishes meanwhile) is yielded once. Records purged at the far end while paging
        shift the rest back and can be missed: narrow with ``created_after`` for incremental pulls.
        """
        seen: set[str] = set()
        offset = 0
        while True:
            page = await self.orders(
                offset, page_size, created_after, created_before, order_type, location_name
            )
            for record in page.items:
                if record.uuid not in seen:
                    seen.add(record.uuid)
                    yield record
            if page.size < page_size:
                return
            offset += page.size

    async def order(self, uuid: str) -> OrderSummary:
        """One history record by uuid; :class:`OrderNotFound` if unknown or purged."""
        checked = validation.history_uuid(uuid) if self.validate else _segment(uuid)
        _, _, data = await self._call("GET", f"/orders/{checked}")
        return OrderSummary.from_wire(Reader(data, "").raw("order"))

    async def statistics(self, target_time: int | None = None) -> Statistics:
        """Today's delivery figures; ``target_time`` in seconds (the gateway's default: 300)."""
        params = None
        if target_time is not None:
            checked = validation.target_time(target_time) if self.validate else target_time
            params = {"target_time": str(checked)}
        _, _, data = await self._call("GET", "/statistics", params=params)
        return Statistics.from_wire(Reader(data, "").raw("statistics"))

    def events(
        self, *, heartbeat: float | None = DEFAULT_HEARTBEAT, receive_timeout: float | None = None
    ) -> EventStream:
        """The live event stream: ``async with client.events() as stream: async for e in stream``.

        ``heartbeat`` pings the gateway every so many seconds and fails the stream with
        :class:`GatewayTimeout` when a pong is missing; ``receive_timeout`` fails it when no
        message at all arrives for that long (a quiet restaurant is silent too: use with care).
        """
        if self._token is None:
            raise MalformedAuthorization("This client has no token; the WebSocket needs one.")
        url = "ws" + self.base_url.removeprefix("http") + API_PREFIX + "/websocket"
        return EventStream(
            self._http,  # the session is made when the stream opens, inside the loop
            url,
            self._token,
            open_timeout=self.timeout,
            heartbeat=heartbeat,
            receive_timeout=receive_timeout,
        )

    # --- inputs ------------------------------------------------------------------------------

    def _order_id(self, order_id: str | int) -> str:
        return validation.order_id(order_id) if self.validate else _segment(order_id)

    def _order_body(
        self, name: str | int | None, order_type: OrderType | str | None, location: str | int | None
    ) -> dict[str, Any]:
        if self.validate:
            body: dict[str, Any] = {
                "name": validation.order_name(name),
                "orderType": validation.order_type(order_type).value,
            }
            table = validation.location_name(location)
            if table is not None:
                body["locationName"] = table
            return body
        # Unchecked: what the caller gave, so the gateway's own rules can be exercised.
        raw: dict[str, Any] = {"name": name, "orderType": order_type, "locationName": location}
        return {k: str(v) for k, v in raw.items() if v is not None}

    def _orders_params(
        self,
        offset: int,
        limit: int,
        created_after: datetime | str | None,
        created_before: datetime | str | None,
        order_type: OrderType | str | None,
        location_name: str | int | None,
    ) -> dict[str, str]:
        check = self.validate
        params = {
            "offset": str(validation.offset(offset) if check else offset),
            "limit": str(validation.limit(limit) if check else limit),
        }
        for key, moment in (("created_after", created_after), ("created_before", created_before)):
            if moment is not None:
                params[key] = validation.query_datetime(moment) if check else _text(moment)
        if order_type is not None:
            params["order_type"] = (
                validation.order_type_filter(order_type).value if check else str(order_type)
            )
        if location_name is not None:
            table = validation.location_name(location_name) if check else str(location_name)
            if table is not None:
                params["location_name"] = table
        return params

    # --- the wire ----------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: dict[str, Any] | None = None,
        secured: bool = True,
    ) -> tuple[int, int | None, dict[str, Any]]:
        """One request: the HTTP status, the returnCode and the JSON object, or a typed error."""
        where = f"{method} {API_PREFIX}{path}"
        headers = {"Accept": "application/json"}
        if secured and self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        started = time.monotonic()
        try:
            async with self._http().request(
                method,
                self.base_url + API_PREFIX + path,
                params=params,
                json=body,
                headers=headers,
                timeout=self._client_timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                raw = await transport.read_bounded(response, where)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.debug("%s failed after %.0f ms: %s", where, _ms(started), type(exc).__name__)
            raise transport.unreachable(exc, where, self.timeout) from transport.cause(exc)
        data = transport.decode(raw, where, status)
        code = transport.return_code(data)
        log.debug("%s -> HTTP %s, returnCode %s, %.0f ms", where, status, code, _ms(started))
        transport.raise_for_answer(data, status, where, self._token)
        return status, code, data


def _base_url(base_url: str | None, host: str | None, port: int) -> str:
    if (base_url is None) == (host is None):
        raise ValueError("give either base_url or host (and port)")
    if host is not None:
        # An IPv6 literal needs brackets in a URL.
        shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
        return f"http://{shown}:{port}"
    assert base_url is not None
    url = base_url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    # The vendor's samples mix /api/v1 and /api/v2: the client always speaks v2.
    for suffix in ("/api/v2", "/api/v1"):
        url = url.removesuffix(suffix)
    return url


def _checked_token(token: str | None) -> str | None:
    if token is None:
        return None
    # A header value cannot hold whitespace or control characters; the message never shows it.
    if not isinstance(token, str) or not token or not token.isprintable() or " " in token:
        raise ValueError("token must be a non-empty string of printable characters without spaces")
    return token


def _optional_order(data: dict[str, Any]) -> ActiveOrder | None:
    return ActiveOrder.from_wire(data["activeorder"]) if "activeorder" in data else None


def _segment(value: object) -> str:
    # Unchecked identifiers still must stay one path segment.
    return quote(str(value), safe="")


def _text(value: datetime | str) -> str:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
