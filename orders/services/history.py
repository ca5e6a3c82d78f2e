"""Order history: records written when the relay sees an order leave, confirmed by the pull."""

from __future__ import annotations

from datetime import datetime

from orders.models import ActiveOrder, OrderRecord


def record_cleared(
    order: ActiveOrder, cleared_at: datetime | None, cleared_by: OrderRecord.ClearedBy
) -> OrderRecord:
    """Keep an order the portal saw leave the active set, at once.

    A record the history pull already confirmed keeps the gateway's own times; only what the
    pull cannot know (how it was cleared, that it was seen live) is added.
    """
    record, created = OrderRecord.objects.get_or_create(
        uuid=order.uuid,
        defaults={
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
        },
    )
    if created:
        record.derive()
        record.save(update_fields=["delivery_seconds", "time_to_sit_seconds"])
        return record
    record.seen_live = True
    if record.cleared_by == OrderRecord.ClearedBy.UNKNOWN:
        record.cleared_by = cleared_by
    record.paged = record.paged or order.paged
    record.save(update_fields=["seen_live", "cleared_by", "paged", "updated"])
    return record
