"""Keeping the ``ActiveOrder`` mirror equal to what each gateway says, and telling the boards.

The relay feeds every snapshot and notification here; commands feed the gateway's answers here
too, so the mirror changes in one place only, whoever caused the change.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid as uuidlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from django.db import DatabaseError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from gateways.models import Gateway, Site
from orders.models import ActiveOrder, Event, OrderRecord
from orders.services import events
from orders.services.board import announce_today, order_payload
from orders.services.history import next_sequence, record_cleared
from ttgateway.client import ActiveOrder as GatewayOrder
from ttgateway.protocol import OrderState
from ttportal.eventlock import hold_event_writer_lock
from ttportal.realtime import publish_on_commit, site_group

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)


class Change(StrEnum):
    CREATED = "created"
    MODIFIED = "modified"
    PAGED = "paged"
    CLEARED = "cleared"
    SNAPSHOT = "snapshot"


# The sites whose figures the batch being written changed (``apply_orders``), in the order
# first changed; None outside a batch.
_batch = threading.local()


def _figures_changed(gateway: Gateway) -> None:
    """A site's figures moved (an order left): say so now, or once at the end of the batch."""
    site = gateway.site if Gateway.site.is_cached(gateway) else gateway.site_id
    sites: dict[int, Site | int] | None = getattr(_batch, "sites", None)
    if sites is None:
        announce_today(site)
    else:
        sites[gateway.site_id] = site


@contextlib.contextmanager
def _figures_once_per_site() -> Iterator[None]:
    """Announce each site's figures once, after the batch's last change, not once per clear.

    Two aggregate queries per clear were a tenth of the relay's work at lunch (bench/README.md);
    a board needs only the figures after the batch. Read inside the transaction, after every
    change of the batch, and announced after the batch's order messages, as for one change.
    """
    if getattr(_batch, "sites", None) is not None:
        yield  # inside a batch already: its end announces
        return
    sites: dict[int, Site | int] = {}
    _batch.sites = sites
    try:
        yield
    finally:
        _batch.sites = None
    for site in sites.values():  # not reached when the batch failed: nothing of it is announced
        announce_today(site)


def _announce_upsert(gateway: Gateway, order: ActiveOrder, change: Change) -> None:
    publish_on_commit(
        site_group(gateway.site_id),
        {"type": "order.upserted", "change": change.value, "order": order_payload(order)},
    )


def _announce_removal(gateway: Gateway, order: ActiveOrder, change: Change) -> None:
    publish_on_commit(
        site_group(gateway.site_id),
        {
            "type": "order.removed",
            "change": change.value,
            "order": {
                "uuid": str(order.uuid),
                "gateway": gateway.pk,
                "site": gateway.site_id,
                "name": order.name,
            },
        },
    )


def _the_one(rows: QuerySet[M]) -> M | None:
    """The row of a lookup by a unique key, or None: ``.first()`` without its ``ORDER BY``.

    ``first()`` orders by the model's default ordering, which Django resolves anew for every
    query: about a tenth of the mirror's work at lunch (py-spy), for lookups of one row at most.
    """
    return next(iter(rows.order_by()[:1]), None)


def _fields(seen: GatewayOrder) -> dict[str, Any]:
    return {
        "name": seen.name,
        "order_type": seen.order_type.value,
        "location": seen.location or "",
        "state": seen.state.value,
        "state_changed": seen.state_changed,
        "created": seen.created,
        "paged": seen.paged,
    }


def _filed_before(gateway: Gateway, order_uuid: str) -> int | None:
    """The version a new mirror row of this order continues from: 0 for an order never filed,
    None for one filed as cleared (news of it is late news), and the last version a plugin saw
    when a snapshot's guess that it had gone is undone.

    A snapshot closes the orders it lacks as ghosts, cleared at an unknown time: a guess,
    wrong when the gateway had only left one out (an item the portal could not read, a
    garbled snapshot). When the gateway then says the order is active, the guess is deleted
    and the order comes back to the board; without this it stayed off the board until it was
    cleared. Its versions go on from the ghost's clear, so a plugin that drops what it has
    seen (docs/webhooks.md) does not drop its comeback.
    """
    filed = _the_one(OrderRecord.objects.filter(uuid=order_uuid))
    if filed is None:
        return 0
    guessed = (
        filed.gateway_id == gateway.pk
        and filed.cleared_by == OrderRecord.ClearedBy.UNKNOWN
        and filed.cleared is None  # the history pull has not confirmed the clear
    )
    if not guessed:
        return None
    log.info("gateway %s: order %s is active after all; back on the board", gateway.pk, order_uuid)
    filed.delete()
    last = (
        Event.objects.filter(gateway=gateway, data__uuid=order_uuid)
        .order_by("-id")
        .values_list("data__version", flat=True)
        .first()
    )
    return last if isinstance(last, int) else 0


def _upsert(
    gateway: Gateway,
    seen: GatewayOrder,
    change: Change,
    cleared_by: OrderRecord.ClearedBy = OrderRecord.ClearedBy.TRACKER,
) -> ActiveOrder | None:
    """Write one order as the gateway described it; None when it has in fact left (cleared)."""
    if seen.state is OrderState.CLEARED:
        # The gateway's stateChanged of a cleared order is the moment it was cleared.
        _remove(gateway, [uuidlib.UUID(seen.uuid)], Change.CLEARED, seen.state_changed, cleared_by)
        return None
    now = timezone.now()
    fields = _fields(seen)
    order = _the_one(
        ActiveOrder.objects.select_for_update().filter(gateway=gateway, uuid=seen.uuid)
    )
    created = order is None
    previous = _filed_before(gateway, seen.uuid) if order is None else 0
    if previous is None:
        # Late news of an order already filed in history: a command cleared it and the relay
        # is only now hearing that it was started. The gateway's uuid of an order is never
        # reused, so writing it again would bring back a ghost, tell the boards and the feed
        # it was created a second time, and file it once more when its clear is heard.
        log.debug("gateway %s: late news of order %s, already filed", gateway.pk, seen.uuid)
        return None
    if order is None:
        order = ActiveOrder(gateway=gateway, uuid=seen.uuid, first_seen=now, **fields)
        order.version = previous + 1
        changed = True
        change = Change.CREATED if change is not Change.SNAPSHOT else change
        was = ("", "", False)
    else:
        order.gateway = gateway  # already at hand: the board's payload needs its site
        changed = any(getattr(order, key) != value for key, value in fields.items())
        was = (order.state, order.location, order.paged)
        if changed:
            order.version += 1
        for key, value in fields.items():
            setattr(order, key, value)
    if order.state == ActiveOrder.State.LOCATED and order.located_seen is None:
        order.located_seen = now
    if order.paged and order.paged_seen is None:
        order.paged_seen = now
    if changed:
        order.save()
        events.record_order(order, events.order_change(order, created, *was))
        _announce_upsert(gateway, order, change)
    return order


def _remove(
    gateway: Gateway,
    uuids: Iterable[uuidlib.UUID],
    change: Change,
    cleared_at: datetime | None,
    cleared_by: OrderRecord.ClearedBy,
) -> int:
    """Take orders off the board and into history (clear time unknown for snapshot ghosts)."""
    leaving = sorted(
        ActiveOrder.objects.filter(gateway=gateway, uuid__in=list(uuids))
        .select_related("gateway")
        .order_by(),  # sorted here: the models' default ordering cost every change a compile
        key=lambda order: (order.created, order.name),
    )
    for order in leaving:
        record_cleared(order, cleared_at, cleared_by)
        order.version += 1
        events.record_order(order, Event.Type.ORDER_CLEARED)
        _announce_removal(gateway, order, change)
    ActiveOrder.objects.filter(pk__in=[o.pk for o in leaving]).delete()
    if leaving:
        _figures_changed(gateway)
    return len(leaving)


@transaction.atomic
def apply_order(gateway: Gateway, seen: GatewayOrder, change: Change) -> ActiveOrder | None:
    """One notification (or one command's answer): upsert, or remove when it says cleared."""
    hold_event_writer_lock()  # first, before any row lock (see ttportal.eventlock)
    return _upsert(gateway, seen, change)


@transaction.atomic
def apply_orders(gateway: Gateway, changes: Iterable[tuple[GatewayOrder, Change]]) -> int:
    """Notifications heard in a burst, in one transaction and in the order heard.

    One commit (one fsync on the single box) for the batch instead of one per change; each
    change is still written and announced, in order, so no board misses a step of an order.
    A site's figures (``site.today``) are announced once, after the batch's last change.
    """
    # First, as in every writer here: without it a command's answer and the relay's news of
    # the same new order both found no row and both inserted it (a unique violation, and a
    # 500 for the manager whose command had in fact worked).
    hold_event_writer_lock()
    count = 0
    with _figures_once_per_site():
        for seen, change in changes:
            _upsert(gateway, seen, change)
            count += 1
    return count


@transaction.atomic
def remove_order(
    gateway: Gateway,
    order_uuid: str,
    cleared_at: datetime | None = None,
    cleared_by: OrderRecord.ClearedBy = OrderRecord.ClearedBy.PORTAL,
    seen: GatewayOrder | None = None,
) -> int:
    """An order cleared from the portal (or found gone): off the board, into history.

    The relay may have heard the gateway's ORDER_CLEARED first and filed the order as cleared
    by its tracker: the caller knows better, so the record is corrected here. An order the
    mirror never had (the relay had not told of it yet) is filed from ``seen``, the gateway's
    answer, so that the relay's late news of it finds it filed already.
    """
    hold_event_writer_lock()  # first, before any row lock (see ttportal.eventlock)
    when = cleared_at or timezone.now()
    removed = _remove(gateway, [uuidlib.UUID(order_uuid)], Change.CLEARED, when, cleared_by)
    if not removed and seen is not None:
        unsaved = ActiveOrder(gateway=gateway, uuid=seen.uuid, **_fields(seen))
        record_cleared(unsaved, when, cleared_by)
    mislabelled = OrderRecord.objects.filter(uuid=order_uuid, gateway=gateway).exclude(
        cleared_by=cleared_by
    )
    # Asked first: a sequence number is a locked counter row, taken only for a record that
    # changes (after a command's own clear, none does).
    if mislabelled.exists():
        mislabelled.update(cleared_by=cleared_by, sequence=next_sequence(), updated=timezone.now())
    return removed


@transaction.atomic
def apply_snapshot(gateway: Gateway, orders: Iterable[GatewayOrder]) -> tuple[int, int]:
    """Make the mirror exactly the snapshot: upsert what is in it, close what is not.

    Returns (orders in the snapshot, ghosts removed). A ghost is an order the portal still
    showed but the gateway no longer has: it was cleared while the portal was not listening.
    """
    hold_event_writer_lock()  # first, before any row lock (see ttportal.eventlock)
    present = [o for o in orders if o.state is not OrderState.CLEARED]
    for seen in present:
        try:
            with transaction.atomic():  # a savepoint: one order the database refuses is skipped
                _upsert(gateway, seen, Change.SNAPSHOT)
        except DatabaseError as exc:
            log.warning(
                "gateway %s: order %s skipped from the snapshot: %s",
                gateway.pk,
                seen.uuid,
                type(exc).__name__,
            )
    keep = {uuidlib.UUID(o.uuid) for o in present}
    ghosts = set(ActiveOrder.objects.filter(gateway=gateway).values_list("uuid", flat=True)) - keep
    return len(present), _remove(
        gateway, ghosts, Change.SNAPSHOT, None, OrderRecord.ClearedBy.UNKNOWN
    )
