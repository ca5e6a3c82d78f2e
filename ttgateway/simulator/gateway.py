"""The simulated gateway's rules: tokens, the button window, orders, history and statistics.

Pure state and rules, no I/O: the HTTP API, the WebSocket, the hardware controls and the demo
traffic all act through :class:`GatewayState`, and every change it makes is announced to its
listeners as an :class:`Event`, which is how WebSocket clients hear of it.
"""

from __future__ import annotations

import bisect
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ttgateway.protocol import (
    DEFAULT_TARGET_TIME,
    HISTORY_RETENTION_DAYS,
    MESSAGES,
    ORDERS_DEFAULT_LIMIT,
    ORDERS_MAX_LIMIT,
    QUERY_DATETIME_FORMAT,
    QUERY_DATETIME_RE,
    TOKEN_WINDOW_SECONDS,
    TRACKER_NOT_ASSIGNED_WARNING,
    UUID_RE,
    ClearReason,
    EventType,
    OrderState,
    OrderType,
    ReturnCode,
    is_positive_integer_string,
    positive_integer,
)
from ttgateway.simulator.clock import SimClock
from ttgateway.simulator.records import AccessToken, ActiveOrder, FinishedOrder


class GatewayError(Exception):
    """A documented failure: rendered as ``{status, returnCode, message}``."""

    def __init__(self, status: int, code: ReturnCode, message: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message or MESSAGES[code]
        super().__init__(self.message)

    def to_wire(self) -> dict[str, Any]:
        return {"status": self.status, "returnCode": int(self.code), "message": self.message}


@dataclass(frozen=True)
class Event:
    """One change to the active set, as a WebSocket client will receive it."""

    seq: int
    type: EventType
    order: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return {**self.order, "type": self.type.value, "seq": self.seq}


@dataclass(frozen=True)
class SubmitResult:
    """The answer to ``POST /activeorders``: created (201), modified (200) or informational."""

    status: int
    code: ReturnCode
    order: ActiveOrder | None = None
    warning: str | None = None


@dataclass
class OrdersPage:
    total: int
    items: list[FinishedOrder]


@dataclass
class Statistics:
    average_seconds: float
    exceeded: int
    orders: int
    target_time: int
    percent_goal: float

    def to_wire(self) -> dict[str, Any]:
        # The vendor's example mixes an int and floats; we keep its types.
        return {
            "averageSeconds": self.average_seconds,
            "exceededToday": self.exceeded,
            "ordersToday": float(self.orders),
            "targetTime": float(self.target_time),
            "percentGoal": self.percent_goal,
        }


Listener = Callable[[Event], None]


@dataclass
class GatewayIdentity:
    name: str = "TT Gateway"
    model: str = "TT-GW2"
    firmware: str = "2.4.1-sim"
    serial: str = field(default_factory=lambda: secrets.token_hex(4).upper())


class GatewayState:
    """Everything a Table Tracker gateway knows, and the rules by which it changes."""

    def __init__(
        self,
        clock: SimClock | None = None,
        identity: GatewayIdentity | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.clock = clock or SimClock()
        self.identity = identity or GatewayIdentity()
        self.timezone = ZoneInfo(timezone)
        self.tokens: dict[str, AccessToken] = {}
        self.button_pressed_at: datetime | None = None
        # Tracker number -> tracker address; the gateway remembers addresses once captured.
        self.trackers: dict[str, str] = {}
        self.active: dict[str, ActiveOrder] = {}  # by uuid
        self.history: list[FinishedOrder] = []  # kept sorted by (started, uuid)
        self.seq = 0
        self.paging_available = True
        self._listeners: list[Listener] = []
        self._token_listeners: list[Callable[[AccessToken], None]] = []
        self.on_change: Callable[[], None] | None = None

    # --- listeners -------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def on_token_deleted(self, listener: Callable[[AccessToken], None]) -> None:
        self._token_listeners.append(listener)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _emit(self, event_type: EventType, order: ActiveOrder) -> Event:
        self.seq += 1
        event = Event(self.seq, event_type, order.to_wire(self.clock.now()))
        for listener in list(self._listeners):
            listener(event)
        self._changed()
        return event

    # --- the button and tokens ---------------------------------------------------------------

    def press_button(self) -> datetime:
        """Open the two-minute window in which one token may be generated."""
        self.button_pressed_at = self.clock.now()
        return self.button_pressed_at + timedelta(seconds=TOKEN_WINDOW_SECONDS)

    def window_seconds_left(self) -> float:
        if self.button_pressed_at is None:
            return 0.0
        closes = self.button_pressed_at + timedelta(seconds=TOKEN_WINDOW_SECONDS)
        return max(0.0, (closes - self.clock.now()).total_seconds())

    def generate_token(self, name: str | None) -> AccessToken:
        if self.window_seconds_left() <= 0:
            raise GatewayError(403, ReturnCode.WINDOW_CLOSED)
        # The window closes once a token is issued: one press, one token.
        self.button_pressed_at = None
        token = AccessToken(
            name=name or "default", token=secrets.token_hex(24), creation_date=self.clock.now()
        )
        self.tokens[token.token] = token
        self._changed()
        return token

    def authenticate(self, token: str, ip_address: str | None = None) -> AccessToken:
        record = self.tokens.get(token)
        if record is None:
            raise GatewayError(401, ReturnCode.INVALID_TOKEN)
        record.last_used = self.clock.now()
        record.ip_address = ip_address
        return record

    def authenticate_header(self, header: str | None, ip_address: str | None) -> AccessToken:
        scheme, _, token = (header or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GatewayError(401, ReturnCode.MALFORMED_AUTHORIZATION)
        return self.authenticate(token.strip(), ip_address)

    def delete_tokens(self, name: str | None = None) -> list[AccessToken]:
        """Revoke tokens (all, or those with one name), as the gateway's owner can."""
        gone = [t for t in self.tokens.values() if name is None or t.name == name]
        for token in gone:
            del self.tokens[token.token]
            for listener in list(self._token_listeners):
                listener(token)
        if gone:
            self._changed()
        return gone

    # --- looking orders up -------------------------------------------------------------------

    def find_active(self, identifier: str) -> ActiveOrder:
        """An active order by uuid or by name (number), as the vendor allows both."""
        if UUID_RE.match(identifier):
            order = self.active.get(identifier.lower())
        elif (name := positive_integer(identifier)) is not None:
            order = self._active_by_name(name)
        else:
            raise GatewayError(400, ReturnCode.INVALID_ORDER_ID)
        if order is None:
            raise GatewayError(404, ReturnCode.ORDER_NOT_FOUND)
        return order

    def _active_by_name(self, name: str) -> ActiveOrder | None:
        return next((o for o in self.active.values() if o.name == name), None)

    def active_orders(self) -> list[ActiveOrder]:
        return sorted(self.active.values(), key=lambda o: (o.created, o.uuid))

    def snapshot(self) -> dict[str, Any]:
        """The ACTIVE_ORDERS message, exactly as documented: no ``seq`` (only changes carry one)."""
        now = self.clock.now()
        items = [o.to_wire(now) for o in self.active_orders()]
        return {
            "type": EventType.ACTIVE_ORDERS.value,
            "status": 200,
            "returnCode": int(ReturnCode.ACTIVE_ORDER),
            "count": len(items),
            "items": items,
        }

    # --- orders from the API -----------------------------------------------------------------

    def submit_order(self, body: dict[str, Any], dummy_tracker: bool = False) -> SubmitResult:
        """``POST /activeorders``: start a new order or modify the active one of that name."""
        name = _order_name(body.get("name"))
        location = _location_name(body.get("locationName"))
        order_type = _order_type(body.get("orderType"))
        if dummy_tracker:
            self.trackers.setdefault(name, "dummy-" + secrets.token_hex(3))
        existing = self._active_by_name(name)
        if existing is None:
            order = self._create(name, order_type, location, tracker_bound=name in self.trackers)
            warning = None if order.tracker_bound else TRACKER_NOT_ASSIGNED_WARNING
            return SubmitResult(201, ReturnCode.ACTIVE_ORDER, order, warning)
        if dummy_tracker:
            existing.tracker_bound = True
        changed = existing.order_type is not order_type
        existing.order_type = order_type
        if location and location != existing.location:
            self._locate(existing, location)
            changed = True
        if changed:
            self._emit(EventType.ORDER_MODIFIED, existing)
            return SubmitResult(200, ReturnCode.ACTIVE_ORDER, existing)
        if existing.state is OrderState.LOCATED:
            return SubmitResult(200, ReturnCode.ORDER_ALREADY_LOCATED)
        return SubmitResult(200, ReturnCode.ORDER_ALREADY_STARTED)

    def _create(
        self, name: str, order_type: OrderType, location: str | None, tracker_bound: bool
    ) -> ActiveOrder:
        now = self.clock.now()
        order = ActiveOrder(
            name=name,
            uuid=str(uuid.uuid4()),
            order_type=order_type,
            created=now,
            state_changed=now,
            tracker_bound=tracker_bound,
        )
        if location:
            order.state = OrderState.LOCATED
            order.location = location
            order.located_at = now
        self.active[order.uuid] = order
        self._emit(EventType.ORDER_CREATED, order)
        return order

    def _locate(self, order: ActiveOrder, table: str) -> None:
        now = self.clock.now()
        order.location = table
        if order.state is not OrderState.LOCATED:
            order.state = OrderState.LOCATED
            order.state_changed = now
        order.located_at = order.located_at or now

    def page(self, identifier: str, tracking: bool = True) -> tuple[ReturnCode, ActiveOrder]:
        """Make the order's tracker vibrate (``tracking`` false cancels a page: ours)."""
        order = self.find_active(identifier)
        if not self.paging_available:
            raise GatewayError(503, ReturnCode.PAGING_UNAVAILABLE)
        if not order.tracker_bound:
            raise GatewayError(400, ReturnCode.PAGING_IMPOSSIBLE)
        if not tracking:
            order.paged = False
            self._emit(EventType.ORDER_MODIFIED, order)
            return ReturnCode.PAGING_CANCELED, order
        order.paged = True
        self._emit(EventType.ORDER_PAGED, order)
        return ReturnCode.ACTIVE_ORDER, order

    def delete(self, identifier: str) -> ActiveOrder:
        """``DELETE /activeorders/{id}``: the manager clears one order by hand."""
        return self._clear(self.find_active(identifier), ClearReason.MANAGER_OVERRIDE)

    def delete_all(self) -> list[ActiveOrder]:
        return [self._clear(o, ClearReason.MANAGER_OVERRIDE) for o in self.active_orders()]

    def _clear(self, order: ActiveOrder, reason: ClearReason) -> ActiveOrder:
        now = self.clock.now()
        del self.active[order.uuid]
        self._insert_history(FinishedOrder.from_active(order, now, reason))
        order.state = OrderState.CLEARED
        order.state_changed = now
        self._emit(EventType.ORDER_CLEARED, order)
        return order

    # --- the hardware ------------------------------------------------------------------------

    def tracker_started(
        self, number: str, order_type: OrderType = OrderType.ON_PREMISES
    ) -> ActiveOrder:
        """A tracker is started on the green unit: it starts its order, or joins the POS's."""
        name = _order_name(number)
        self.trackers.setdefault(name, "trk-" + secrets.token_hex(3))
        existing = self._active_by_name(name)
        if existing is not None:
            existing.tracker_bound = True
            return existing
        return self._create(name, order_type, None, tracker_bound=True)

    def tracker_at_table(self, number: str, table: str) -> ActiveOrder:
        """A tracker reaches a tagged table; an order can be born located (no start first)."""
        name = _order_name(number)
        location = _location_name(table)
        if location is None:
            raise GatewayError(400, ReturnCode.INVALID_LOCATION_NAME)
        self.trackers.setdefault(name, "trk-" + secrets.token_hex(3))
        order = self._active_by_name(name)
        if order is None:
            return self._create(name, OrderType.ON_PREMISES, location, tracker_bound=True)
        order.tracker_bound = True
        if order.location == location and order.state is OrderState.LOCATED:
            return order
        self._locate(order, location)
        self._emit(EventType.ORDER_MODIFIED, order)
        return order

    def tracker_cleared(
        self, number: str, reason: ClearReason = ClearReason.TRACKER
    ) -> ActiveOrder:
        """A tracker is dropped on a red clearing unit: the food has arrived."""
        order = self._active_by_name(_order_name(number))
        if order is None:
            raise GatewayError(404, ReturnCode.ORDER_NOT_FOUND)
        return self._clear(order, reason)

    # --- history -----------------------------------------------------------------------------

    def _insert_history(self, record: FinishedOrder) -> None:
        self.history.append(record)
        if len(self.history) > 1 and self.history[-2].sort_key > record.sort_key:
            self.history.sort(key=lambda r: r.sort_key)

    def add_history(self, records: Iterable[FinishedOrder]) -> None:
        """Load finished orders in bulk (seeding, persistence)."""
        self.history.extend(records)
        self.history.sort(key=lambda r: r.sort_key)
        self._changed()

    def purge(self) -> int:
        """Forget orders finished more than two weeks ago, as the gateway does."""
        cutoff = self.clock.now() - timedelta(days=HISTORY_RETENTION_DAYS)
        # History is sorted by start, and an order is cleared after it started: only orders
        # that started before the cutoff can be due, so each query looks at those alone.
        candidates = bisect.bisect_left(self.history, cutoff, key=lambda r: r.started)
        if not any(r.cleared < cutoff for r in self.history[:candidates]):
            return 0
        before = len(self.history)
        self.history = [r for r in self.history if r.cleared >= cutoff]
        self._changed()
        return before - len(self.history)

    def query_orders(self, params: dict[str, str]) -> OrdersPage:
        """``GET /orders``: validated like the gateway, oldest first, stable for offset paging."""
        limit = _int_param(params, "limit", ORDERS_DEFAULT_LIMIT, ReturnCode.INVALID_LIMIT, 1)
        if limit > ORDERS_MAX_LIMIT:
            raise GatewayError(400, ReturnCode.LIMIT_OVER_MAXIMUM)
        offset = _int_param(params, "offset", 0, ReturnCode.INVALID_OFFSET, 0)
        after = _date_param(params, "created_after")
        before = _date_param(params, "created_before")
        location = params.get("location_name")
        if location is not None and not is_positive_integer_string(location):
            raise GatewayError(400, ReturnCode.INVALID_LOCATION_NAME)
        order_type = None
        if "order_type" in params:
            order_type = OrderType.parse(params["order_type"])
            if order_type is None:
                raise GatewayError(400, ReturnCode.ORDER_TYPE_INVALID)
        self.purge()
        matches = [
            r
            for r in self.history
            if (after is None or r.started > after)
            and (before is None or r.started < before)
            and (order_type is None or r.order_type is order_type)
            and (location is None or (r.location is not None and int(r.location) == int(location)))
        ]
        return OrdersPage(len(matches), matches[offset : offset + limit])

    def find_finished(self, identifier: str) -> FinishedOrder:
        if not UUID_RE.match(identifier):
            raise GatewayError(400, ReturnCode.INVALID_UUID)
        self.purge()
        wanted = identifier.lower()
        for record in self.history:
            if record.uuid == wanted:
                return record
        raise GatewayError(404, ReturnCode.ORDER_NOT_FOUND)

    # --- statistics --------------------------------------------------------------------------

    def statistics(self, target_time: str | None) -> Statistics:
        """Today's figures (gateway local time) over orders cleared today: see spec/README."""
        target = DEFAULT_TARGET_TIME
        if target_time is not None:
            if not is_positive_integer_string(target_time.strip()):
                raise GatewayError(400, ReturnCode.INVALID_TARGET_TIME)
            target = int(target_time)
        today = self.clock.now().astimezone(self.timezone).date()
        deliveries = [
            r.delivery_seconds
            for r in self.history
            if r.cleared.astimezone(self.timezone).date() == today
        ]
        if not deliveries:
            return Statistics(0.0, 0, 0, target, 0.0)
        exceeded = sum(1 for d in deliveries if d > target)
        return Statistics(
            average_seconds=round(sum(deliveries) / len(deliveries), 1),
            exceeded=exceeded,
            orders=len(deliveries),
            target_time=target,
            percent_goal=round(100.0 * (len(deliveries) - exceeded) / len(deliveries), 1),
        )

    # --- identity ----------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """The liveness answer: exactly the body spec/README chooses (no clock: see /_sim/state)."""
        return {
            "status": 200,
            "returnCode": int(ReturnCode.OK),
            "name": self.identity.name,
            "model": self.identity.model,
            "firmware": self.identity.firmware,
            # [ours] A stable serial, kept in the state file: how a client tells this device
            # from another one announcing the same name.
            "serial": self.identity.serial,
            "apiVersion": "2",
        }


def _order_name(value: object) -> str:
    if value is None or value == "":
        raise GatewayError(400, ReturnCode.MISSING_ORDER_NAME)
    name = positive_integer(value)
    if name is None:
        raise GatewayError(400, ReturnCode.INVALID_ORDER_NAME)
    return name


def _location_name(value: object) -> str | None:
    if value is None or value == "":
        return None
    location = positive_integer(value)
    if location is None:
        raise GatewayError(400, ReturnCode.INVALID_LOCATION_NAME)
    return location


def _order_type(value: object) -> OrderType:
    if value is None or value == "":
        raise GatewayError(400, ReturnCode.ORDER_TYPE_MISSING)
    order_type = OrderType.parse(value)
    if order_type is None:
        raise GatewayError(400, ReturnCode.ORDER_TYPE_INVALID)
    return order_type


def _int_param(
    params: dict[str, str], key: str, default: int, code: ReturnCode, minimum: int
) -> int:
    raw = params.get(key)
    if raw is None:
        return default
    raw = raw.strip()
    if not raw.isdigit() or int(raw) < minimum:
        raise GatewayError(400, code)
    return int(raw)


def _date_param(params: dict[str, str], key: str) -> datetime | None:
    raw = params.get(key)
    if raw is None:
        return None
    if not QUERY_DATETIME_RE.match(raw):
        raise GatewayError(400, ReturnCode.INVALID_DATES)
    try:
        return datetime.strptime(raw, QUERY_DATETIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise GatewayError(400, ReturnCode.INVALID_DATES) from exc
