"""What the relay feeds: each gateway's snapshot and notifications, written to the mirror."""

from __future__ import annotations

import logging

from gateways.models import Gateway
from orders.services.mirror import Change, apply_order, apply_snapshot
from ttgateway.client import OrderEvent, Snapshot
from ttgateway.protocol import EventType
from ttportal.dbthread import in_db_thread

log = logging.getLogger(__name__)

CHANGES = {
    EventType.ORDER_CREATED: Change.CREATED,
    EventType.ORDER_MODIFIED: Change.MODIFIED,
    EventType.ORDER_PAGED: Change.PAGED,
    EventType.ORDER_CLEARED: Change.CLEARED,
}


class MirrorFeed:
    """Relay handler that keeps ``ActiveOrder`` equal to the gateways, skipping replays.

    A replay is an event the snapshot already holds (``seq`` not above the snapshot's). Events
    after it are not compared with each other: one socket delivers them in order, applying one
    twice changes nothing, and one wild ``seq`` must not silence every event after it.
    """

    def __init__(self) -> None:
        self.snapshot_seq: dict[int, int] = {}

    async def snapshot(self, gateway_id: int, snapshot: Snapshot) -> None:
        kept, ghosts = await in_db_thread(_apply_snapshot)(gateway_id, snapshot)
        if snapshot.seq is not None:
            self.snapshot_seq[gateway_id] = snapshot.seq
        else:
            self.snapshot_seq.pop(gateway_id, None)
        log.info("gateway %s snapshot: %s active, %s ghosts closed", gateway_id, kept, ghosts)

    async def event(self, gateway_id: int, event: OrderEvent) -> None:
        last = self.snapshot_seq.get(gateway_id)
        if event.seq is not None and last is not None and event.seq <= last:
            return  # already in the snapshot
        await in_db_thread(_apply_event)(gateway_id, event)


def _apply_snapshot(gateway_id: int, snapshot: Snapshot) -> tuple[int, int]:
    gateway = Gateway.objects.get(pk=gateway_id)
    return apply_snapshot(gateway, snapshot.orders)


def _apply_event(gateway_id: int, event: OrderEvent) -> None:
    gateway = Gateway.objects.get(pk=gateway_id)
    apply_order(gateway, event.order, CHANGES.get(event.type, Change.MODIFIED))
