"""What the simulated gateway remembers: active orders, finished orders, tokens.

Each record knows its own wire shape, so every answer and every WebSocket message renders an
order the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ttgateway.protocol import ClearReason, OrderState, OrderType


def wire_time(moment: datetime) -> str:
    """Active orders carry naive UTC timestamps, as in the vendor's activeorder examples."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def wire_time_with_offset(moment: datetime) -> str:
    """History carries timestamps with ``+00:00``, as in the vendor's ORDER_SUMMARY examples."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_stored_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class ActiveOrder:
    """An order waiting for its food: started at the green unit or by the POS, maybe located."""

    name: str
    uuid: str
    order_type: OrderType
    created: datetime
    state_changed: datetime
    state: OrderState = OrderState.STARTED
    location: str = ""
    paged: bool = False
    tracker_bound: bool = False
    located_at: datetime | None = None

    def to_wire(self, now: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "uuid": self.uuid,
            "orderType": self.order_type.wire,
            "locationName": self.location,
            "state": self.state.value,
            "stateChanged": wire_time(self.state_changed),
            "created": wire_time(self.created),
            "paged": self.paged,
            "elapsedTime": max(0, int((now - self.created).total_seconds())),
        }

    def to_store(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uuid": self.uuid,
            "order_type": self.order_type.value,
            "created": self.created.isoformat(),
            "state_changed": self.state_changed.isoformat(),
            "state": self.state.value,
            "location": self.location,
            "paged": self.paged,
            "tracker_bound": self.tracker_bound,
            "located_at": self.located_at.isoformat() if self.located_at else None,
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> ActiveOrder:
        located_at = data.get("located_at")
        return cls(
            name=data["name"],
            uuid=data["uuid"],
            order_type=OrderType(data["order_type"]),
            created=parse_stored_time(data["created"]),
            state_changed=parse_stored_time(data["state_changed"]),
            state=OrderState(data["state"]),
            location=data["location"],
            paged=data["paged"],
            tracker_bound=data["tracker_bound"],
            located_at=parse_stored_time(located_at) if located_at else None,
        )


@dataclass
class FinishedOrder:
    """An order that left the active set; the gateway keeps it for two weeks."""

    name: str
    uuid: str
    order_type: OrderType
    started: datetime
    cleared: datetime
    location: str | None = None
    located: datetime | None = None
    paged: bool = False
    clear_reason: ClearReason = ClearReason.TRACKER

    @classmethod
    def from_active(
        cls, order: ActiveOrder, cleared: datetime, reason: ClearReason
    ) -> FinishedOrder:
        return cls(
            name=order.name,
            uuid=order.uuid,
            order_type=order.order_type,
            started=order.created,
            cleared=cleared,
            location=order.location or None,
            located=order.located_at,
            paged=order.paged,
            clear_reason=reason,
        )

    @property
    def sort_key(self) -> tuple[datetime, str]:
        return (self.started, self.uuid)

    @property
    def delivery_seconds(self) -> float:
        return (self.cleared - self.started).total_seconds()

    def to_wire(self) -> dict[str, Any]:
        """Exactly the eight ORDER_SUMMARY fields the vendor documents, no more."""
        return {
            "name": self.name,
            "uuid": self.uuid,
            "orderType": self.order_type.wire,
            "locationName": self.location,
            "orderStarted": wire_time_with_offset(self.started),
            "orderLocated": wire_time_with_offset(self.located) if self.located else None,
            "orderCleared": wire_time_with_offset(self.cleared),
            "type": "ORDER_SUMMARY",
        }

    def to_store(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uuid": self.uuid,
            "order_type": self.order_type.value,
            "started": self.started.isoformat(),
            "cleared": self.cleared.isoformat(),
            "location": self.location,
            "located": self.located.isoformat() if self.located else None,
            "paged": self.paged,
            "clear_reason": self.clear_reason.value,
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> FinishedOrder:
        return cls(
            name=data["name"],
            uuid=data["uuid"],
            order_type=OrderType(data["order_type"]),
            started=parse_stored_time(data["started"]),
            cleared=parse_stored_time(data["cleared"]),
            location=data["location"],
            located=parse_stored_time(data["located"]) if data["located"] else None,
            paged=data["paged"],
            clear_reason=ClearReason(data["clear_reason"]),
        )


@dataclass
class AccessToken:
    """A token issued in a button window. Shown once; valid until deleted."""

    name: str
    token: str
    creation_date: datetime
    ip_address: str | None = None
    last_used: datetime | None = field(default=None)

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "token": self.token,
            "creation_date": wire_time(self.creation_date),
            "last_used": wire_time(self.last_used) if self.last_used else None,
            "ip_address": self.ip_address,
        }

    def to_store(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "token": self.token,
            "creation_date": self.creation_date.isoformat(),
            "ip_address": self.ip_address,
            "last_used": self.last_used.isoformat() if self.last_used else None,
        }

    @classmethod
    def from_store(cls, data: dict[str, Any]) -> AccessToken:
        return cls(
            name=data["name"],
            token=data["token"],
            creation_date=parse_stored_time(data["creation_date"]),
            ip_address=data["ip_address"],
            last_used=parse_stored_time(data["last_used"]) if data["last_used"] else None,
        )
