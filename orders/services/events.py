"""The event log: every change of the mirror and of gateway status, as plugins read it.

Written by the mirror (orders) and, through the ``gateway_status_changed`` signal, by gateway
status, always inside the transaction that makes the change, so an event exists exactly when
its change does. Read as a feed by cursor (the source of truth), pushed on commit to the
stream's groups and to webhooks (conveniences that may arrive late or out of order).

Every writer holds the event writer lock (``ttportal.eventlock``) from before it draws an id
to its commit, so ids increase in commit order and a reader at ``after=41`` can never miss an
id 40 committed later.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from gateways.api.serializers import GatewaySerializer
from gateways.models import Gateway
from orders.api.serializers import ActiveOrderSerializer
from orders.models import ActiveOrder, Event
from ttportal.eventlock import hold_event_writer_lock
from ttportal.realtime import publish_on_commit

# Published to a site's events group on commit; the stream reads the feed when it hears one.
POKE = "event.committed"

GATEWAY_EVENT_TYPES = {
    Gateway.Status.ONLINE: Event.Type.GATEWAY_ONLINE,
    Gateway.Status.OFFLINE: Event.Type.GATEWAY_OFFLINE,
    Gateway.Status.NEEDS_PAIRING: Event.Type.GATEWAY_NEEDS_PAIRING,
}


# Times written as everywhere else in the API (``...Z``).
_WHEN = serializers.DateTimeField()


def events_group(site_id: int) -> str:
    """The channel group told of each event of one site (apart from the boards' groups)."""
    return f"events.site.{site_id}"


@functools.cache
def _order_shape() -> ActiveOrderSerializer:
    """One serializer for every event's order. A ``ModelSerializer`` builds its fields from the
    model each time one is made (7% of the relay's work in the lunch rush, py-spy); once built
    they hold no state of the order they represent, so one set serves every order and thread."""
    return ActiveOrderSerializer()


def order_object(order: ActiveOrder, state: str | None = None) -> dict[str, Any]:
    """An order as plugins see it (``GET .../orders/``), with its version: one shape for the
    feed, the stream and webhooks. ``state`` overrides it for a cleared order."""
    data = dict(_order_shape().to_representation(order))
    data["version"] = order.version
    if state is not None:
        data["state"] = state
    return data


def gateway_object(gateway: Gateway) -> dict[str, Any]:
    """A gateway as plugins see it everywhere (``GET /api/v1/gateways/{id}/``); no token."""
    return dict(GatewaySerializer(gateway).data)


def event_payload(event: Event) -> dict[str, Any]:
    """The one wire shape of an event: feed item, stream message and webhook body."""
    return {
        "id": event.pk,
        "type": event.type,
        "occurred_at": _WHEN.to_representation(event.occurred_at),
        "site": event.site_id,
        "gateway": event.gateway_id,
        "data": event.data,
    }


def record(
    kind: Event.Type, gateway: Gateway, data: dict[str, Any], at: datetime | None = None
) -> Event:
    """Write one event in the caller's transaction; it is announced once that commits."""
    hold_event_writer_lock()
    event = Event.objects.create(
        type=kind,
        site_id=gateway.site_id,
        gateway=gateway,
        data=data,
        occurred_at=at or timezone.now(),
    )
    publish_on_commit(events_group(event.site_id), {"type": POKE, "id": event.pk})
    # Robust: a broker that is down must not turn a committed change into an error; the
    # event is in the feed, and a plugin catches up from there.
    transaction.on_commit(lambda: _push_to_webhooks(event), robust=True)
    return event


def _push_to_webhooks(event: Event) -> None:
    from orders.services import webhooks  # webhooks read events: imported late, no cycle

    # The event as written, committed now: reading it back cost every command a query.
    webhooks.owe(event)


def order_change(
    order: ActiveOrder, created: bool, was_state: str, was_table: str, was_paged: bool
) -> Event.Type:
    """Name what happened to an order from what it was: located wins over paged and modified."""
    if created:
        return Event.Type.ORDER_CREATED
    if order.state == ActiveOrder.State.LOCATED and (
        was_state != ActiveOrder.State.LOCATED or was_table != order.location
    ):
        return Event.Type.ORDER_LOCATED
    if order.paged and not was_paged:
        return Event.Type.ORDER_PAGED
    return Event.Type.ORDER_MODIFIED


def record_order(order: ActiveOrder, kind: Event.Type) -> Event:
    state = "cleared" if kind == Event.Type.ORDER_CLEARED else None
    return record(kind, order.gateway, order_object(order, state))


def record_gateway_status(gateway: Gateway) -> Event | None:
    """A gateway moved: online, offline or needs pairing (not-paired is no event)."""
    kind = GATEWAY_EVENT_TYPES.get(Gateway.Status(gateway.status))
    if kind is None:
        return None
    return record(kind, gateway, gateway_object(gateway), gateway.status_changed)


@dataclass(frozen=True)
class Page:
    """One page of the feed; ``cursor`` is what to pass as ``after`` next (even when empty)."""

    events: list[Event]
    has_more: bool
    cursor: int


def feed(site_ids: Iterable[int], after: int, limit: int) -> Page:
    """Events of these sites after the cursor, oldest first; never skips one (see module)."""
    rows = list(
        Event.objects.filter(site_id__in=list(site_ids), id__gt=after).order_by("id")[: limit + 1]
    )
    events = rows[:limit]
    return Page(events, len(rows) > limit, events[-1].pk if events else after)


def purge(now: datetime | None = None) -> int:
    """Forget events older than the retention (30 days): the feed promises no more."""
    horizon = (now or timezone.now()) - timedelta(days=settings.TTPORTAL_EVENT_RETENTION_DAYS)
    deleted, _ = Event.objects.filter(occurred_at__lt=horizon).delete()
    return deleted
