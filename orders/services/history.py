"""Order history: records written when the relay sees an order leave, confirmed by the pull."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from orders.models import ActiveOrder, HistoryCounter, OrderRecord
from ttgateway.protocol import positive_integer


def next_sequence(count: int = 1) -> int:
    """Take ``count`` history sequence numbers for a bulk write or ``update()``; the first."""
    return HistoryCounter.take(count)


def matching(
    records: QuerySet[OrderRecord],
    *,
    order_type: str | None = None,
    table: str | None = None,
    number: str | None = None,
) -> QuerySet[OrderRecord]:
    """Records of one type, at one table, of one order number (each when given).

    Gateways read "07" as 7: so do these filters (``ttgateway.protocol.positive_integer``); a
    table or number that is no positive integer matches nothing.
    """
    if order_type:
        records = records.filter(order_type=order_type)
    if table:
        records = records.filter(location=positive_integer(table) or "-")
    if number:
        records = records.filter(name=positive_integer(number) or "-")
    return records


def record_cleared(
    order: ActiveOrder, cleared_at: datetime | None, cleared_by: OrderRecord.ClearedBy
) -> OrderRecord:
    """Keep an order the portal saw leave the active set, at once.

    A record the history pull already confirmed keeps the gateway's own times; only what the
    pull cannot know (how it was cleared, that it was seen live) is added.
    """
    # savepoint=False: inside the caller's transaction (the mirror's, always) a savepoint of
    # its own was two statements for nothing; ``get_or_create`` keeps its own, for a race.
    with transaction.atomic(savepoint=False):
        return _record_cleared(order, cleared_at, cleared_by)


def _record_cleared(
    order: ActiveOrder, cleared_at: datetime | None, cleared_by: OrderRecord.ClearedBy
) -> OrderRecord:
    fields = {
        "gateway": order.gateway,
        "site_id": order.gateway.site_id,
        "name": order.name,
        "order_type": order.order_type,
        "location": order.location,
        "started": order.created,
        # The gateway's own time of reaching the table, on the same clock as started and
        # cleared (``located_seen`` is the portal's clock, and late for a snapshot).
        "located": order.state_changed if order.state == ActiveOrder.State.LOCATED else None,
        "cleared": cleared_at,
        "paged": order.paged,
        "cleared_by": cleared_by,
        "seen_live": True,
    }
    # The durations are derived before the insert: a new record is written once (one sequence
    # number, one statement), not inserted and then updated.
    draft = OrderRecord(uuid=order.uuid, **fields)
    draft.derive()
    fields["delivery_seconds"] = draft.delivery_seconds
    fields["time_to_sit_seconds"] = draft.time_to_sit_seconds
    record, created = OrderRecord.objects.get_or_create(uuid=order.uuid, defaults=fields)
    if created:
        return record
    record.seen_live = True
    if record.cleared_by == OrderRecord.ClearedBy.UNKNOWN:
        record.cleared_by = cleared_by
    record.paged = record.paged or order.paged
    record.save(update_fields=["seen_live", "cleared_by", "paged", "updated"])
    return record
