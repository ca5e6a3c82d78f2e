"""What the gateway answers, as frozen dataclasses with canonical values.

Each class reads itself from the wire with ``from_wire``, tolerating the quirks the spec lists:
counts as strings or floats, timestamps with or without an offset (naive is UTC), ``ON_PREMISE``
for ``ON_PREMISES``, ``locationName`` as ``""`` or null, and optional keys left out. All times are
aware UTC datetimes; an order with no table has ``location`` None.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from ttgateway.client.errors import MalformedResponse
from ttgateway.client.wire import Reader
from ttgateway.protocol import EventType, OrderState, OrderType

log = logging.getLogger(__name__)


T = TypeVar("T")


def readable(parse: Callable[[object, str], T], items: list[Reader]) -> tuple[T, ...]:
    """Every item that reads; one that does not (a 24-digit number, a missing time) is logged
    and skipped, so that one bad order never hides all the others from the portal."""
    parsed: list[T] = []
    for item in items:
        try:
            parsed.append(parse(item.data, item.path))
        except MalformedResponse as exc:
            log.warning("gateway order skipped: %s", exc.message)
    return tuple(parsed)


@dataclass(frozen=True)
class ActiveOrder:
    """An order waiting for its food (the gateway's ``activeorder``)."""

    name: str
    uuid: str
    order_type: OrderType
    location: str | None
    state: OrderState
    state_changed: datetime
    created: datetime
    paged: bool
    elapsed_time: int
    """Seconds since ``created`` when the gateway sent it (computed here if it left it out)."""

    @classmethod
    def from_wire(
        cls, data: object, path: str = "activeorder", now: datetime | None = None
    ) -> ActiveOrder:
        """Read one activeorder object; ``path`` names it in errors."""
        r = Reader(data, path)
        created = r.time("created")
        # v1 firmwares call it stateStarted; a gateway that sends neither gets ``created``.
        if r.has("stateChanged"):
            state_changed = r.time("stateChanged")
        elif r.has("stateStarted"):
            state_changed = r.time("stateStarted")
        else:
            state_changed = created
        if r.has("elapsedTime"):
            elapsed = int(r.number("elapsedTime"))
        else:
            elapsed = max(0, int(((now or datetime.now(UTC)) - created).total_seconds()))
        return cls(
            name=r.order_number("name"),
            uuid=r.uuid("uuid"),
            order_type=r.order_type("orderType"),
            location=r.optional_order_number("locationName"),
            state=r.order_state("state"),
            state_changed=state_changed,
            created=created,
            paged=r.boolean("paged", default=False),
            elapsed_time=elapsed,
        )


@dataclass(frozen=True)
class OrderSummary:
    """A finished order from history (``ORDER_SUMMARY``). Only ``uuid`` identifies one."""

    name: str
    uuid: str
    order_type: OrderType
    location: str | None
    started: datetime
    located: datetime | None
    cleared: datetime

    @property
    def delivery_seconds(self) -> float:
        """Started to cleared: how long the food took (the statistics' measure)."""
        return (self.cleared - self.started).total_seconds()

    @property
    def time_to_sit_seconds(self) -> float | None:
        """Started to located, for orders that reached a table."""
        return None if self.located is None else (self.located - self.started).total_seconds()

    @classmethod
    def from_wire(cls, data: object, path: str = "order") -> OrderSummary:
        """Read one ORDER_SUMMARY object; ``path`` names it in errors."""
        r = Reader(data, path)
        return cls(
            name=r.order_number("name"),
            uuid=r.uuid("uuid"),
            order_type=r.order_type("orderType"),
            location=r.optional_order_number("locationName"),
            started=r.time("orderStarted"),
            located=r.optional_time("orderLocated"),
            cleared=r.time("orderCleared"),
        )


@dataclass(frozen=True)
class OrdersPage:
    """One answer of ``GET /orders``.

    ``count`` is whatever the gateway said, read as a number: the vendor pages leave open whether
    it counts this page or every match, so nothing in the client relies on it.
    """

    count: int | None
    items: tuple[OrderSummary, ...]
    received: int = -1
    """How many records the gateway sent, the unreadable ones skipped from ``items`` included:
    what tells a full page from the last one. -1: as many as ``items``."""

    @property
    def skipped(self) -> int:
        """Records of this page that could not be read (each logged) and are not in ``items``."""
        return max(0, self.received - len(self.items))

    @property
    def size(self) -> int:
        """How many records the gateway sent on this page."""
        return max(self.received, len(self.items))

    @classmethod
    def from_wire(cls, data: object) -> OrdersPage:
        """Read the whole answer (``count`` and ``items``); an unreadable record is skipped."""
        r = Reader(data, "")
        raw = r.items("items")
        return cls(
            count=r.integer("count") if r.has("count") else None,
            items=readable(OrderSummary.from_wire, raw),
            received=len(raw),
        )


@dataclass(frozen=True)
class Statistics:
    """Today's figures (gateway local time) over orders cleared today."""

    average_seconds: float
    exceeded_today: int
    orders_today: int
    target_time: int
    percent_goal: float

    @classmethod
    def from_wire(cls, data: object, path: str = "statistics") -> Statistics:
        """Read the ``statistics`` object; counts may arrive as floats (``2.0``)."""
        r = Reader(data, path)
        return cls(
            average_seconds=r.number("averageSeconds"),
            exceeded_today=r.integer("exceededToday"),
            orders_today=r.integer("ordersToday"),
            target_time=r.integer("targetTime"),
            percent_goal=r.number("percentGoal"),
        )


@dataclass(frozen=True)
class IssuedToken:
    """A token just generated. The gateway shows it this once: store it (encrypted) now.

    ``token`` is left out of the repr so that logging the object does not leak it.
    """

    name: str
    token: str = field(repr=False)
    creation_date: datetime | None
    last_used: datetime | None
    ip_address: str | None

    @classmethod
    def from_wire(cls, data: object, path: str = "token") -> IssuedToken:
        """Read the ``token`` object of the generate answer."""
        r = Reader(data, path)
        return cls(
            name=r.optional_string("name") or "default",
            token=r.string("token", show=False),
            creation_date=r.optional_time("creation_date"),
            last_used=r.optional_time("last_used"),
            ip_address=r.optional_string("ip_address"),
        )


@dataclass(frozen=True)
class GatewayInfo:
    """The liveness answer. Its body is undocumented, so every field may be None."""

    name: str | None
    model: str | None
    firmware: str | None
    api_version: str | None
    time: datetime | None
    serial: str | None = None
    """The device's own serial number, when it gives one [ours]: what tells two devices apart."""

    @classmethod
    def from_wire(cls, data: object) -> GatewayInfo:
        """Read whatever the gateway put in its liveness answer."""
        r = Reader(data, "")
        return cls(
            name=r.optional_string("name"),
            model=r.optional_string("model"),
            firmware=r.optional_string("firmware"),
            api_version=r.optional_string("apiVersion"),
            time=r.optional_time("time"),
            serial=r.optional_string("serial"),
        )


class SubmitOutcome(enum.Enum):
    """What ``POST /activeorders`` did, told apart by HTTP status and returnCode."""

    CREATED = "created"  # 201, returnCode 5
    MODIFIED = "modified"  # 200, returnCode 5
    ALREADY_STARTED = "already_started"  # 200, returnCode 1009: nothing changed
    ALREADY_LOCATED = "already_located"  # 200, returnCode 1010: nothing changed


@dataclass(frozen=True)
class SubmitResult:
    """The answer to starting or modifying an order.

    ``order`` is None for the two "already" outcomes, which carry only a ``message``.
    ``warning`` is set when the gateway created the order without a tracker to bind
    ("Tracker not assigned with order."): such an order cannot be paged.
    """

    outcome: SubmitOutcome
    order: ActiveOrder | None
    warning: str | None = None
    message: str | None = None

    @property
    def created(self) -> bool:
        """True when a new order was started (HTTP 201)."""
        return self.outcome is SubmitOutcome.CREATED

    @property
    def changed(self) -> bool:
        """True when the gateway created or modified an order."""
        return self.order is not None


@dataclass(frozen=True)
class Snapshot:
    """The WebSocket's ``ACTIVE_ORDERS``: the whole active set; replace the mirror with it."""

    orders: tuple[ActiveOrder, ...]
    seq: int | None

    @classmethod
    def from_wire(cls, data: object) -> Snapshot:
        """Read an ACTIVE_ORDERS message (or the ``GET /activeorders`` answer)."""
        r = Reader(data, "")
        return cls(
            orders=readable(ActiveOrder.from_wire, r.items("items")),
            seq=r.integer("seq") if r.has("seq") else None,
        )


@dataclass(frozen=True)
class OrderEvent:
    """One change to the active set, as the WebSocket announces it.

    ``type`` is canonical: the create page's ``NEW_ORDER`` arrives as ORDER_CREATED.
    ORDER_CLEARED (``order.state`` cleared) means the order left the active set.
    """

    type: EventType
    order: ActiveOrder
    seq: int | None

    @classmethod
    def from_wire(cls, data: object, event_type: EventType) -> OrderEvent:
        """Read a change message: the flat activeorder plus ``type`` and ``seq``."""
        r = Reader(data, "")
        if event_type is EventType.NEW_ORDER:
            event_type = EventType.ORDER_CREATED
        return cls(
            type=event_type,
            order=ActiveOrder.from_wire(data, path=""),
            seq=r.integer("seq") if r.has("seq") else None,
        )


Event = Snapshot | OrderEvent
"""What an event stream yields."""

ORDER_EVENT_TYPES = frozenset(
    {
        EventType.ORDER_CREATED,
        EventType.NEW_ORDER,
        EventType.ORDER_MODIFIED,
        EventType.ORDER_PAGED,
        EventType.ORDER_CLEARED,
    }
)
