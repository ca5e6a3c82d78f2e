"""What the relay feeds: each gateway's snapshot and notifications, written to the mirror.

The relay reads a gateway's socket and hands each notification here without waiting for the
database: a writer task per gateway takes whatever has queued up meanwhile and writes it in one
transaction (at most ``BATCH`` changes). At a restaurant's pace a batch holds one change, so
nothing waits; under a burst the writes, and SQLite's commits, are shared by the batch instead
of the socket's reader waiting for one commit per change. One writer per gateway, fed in
order, so the changes to one order are written and announced in the order the gateway made
them; a snapshot waits for the writes queued before it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError

from gateways.models import Gateway
from orders.services.mirror import Change, apply_orders, apply_snapshot
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
BATCH = 50  # changes written in one transaction, at most
BACKLOG = 1000  # changes queued for a gateway before its reader waits for the writer
# Pauses before writing a batch again after a lost database connection (about 8 s in all).
RETRY_PAUSES = (0.25, 0.5, 1.0, 2.0, 4.0)


class WriteFailed(Exception):
    """A batch could not be written: the relay reconnects, and the snapshot repairs it."""


def _nobody(gateway_id: int) -> None:
    """Until a relay asks to hear of it: the next event raises :class:`WriteFailed`."""


class MirrorFeed:
    """Relay handler that keeps ``ActiveOrder`` equal to the gateways, skipping replays.

    A replay is an event the snapshot already holds (``seq`` not above the snapshot's). Events
    after it are not compared with each other: one socket delivers them in order, applying one
    twice changes nothing, and one wild ``seq`` must not silence every event after it.
    """

    def __init__(self) -> None:
        self.snapshot_seq: dict[int, int] = {}
        self._queued: dict[int, list[OrderEvent]] = {}
        self._writers: dict[int, asyncio.Task[None]] = {}
        self._failed: dict[int, BaseException] = {}
        self._resync: Callable[[int], None] = _nobody

    def when_behind(self, resync: Callable[[int], None]) -> None:
        self._resync = resync

    async def snapshot(self, gateway_id: int, snapshot: Snapshot) -> None:
        await self.flush(gateway_id, raise_failure=False)  # the snapshot repairs a failure
        kept, ghosts = await in_db_thread(_apply_snapshot)(gateway_id, snapshot)
        if snapshot.seq is not None:
            self.snapshot_seq[gateway_id] = snapshot.seq
        else:
            self.snapshot_seq.pop(gateway_id, None)
        log.info("gateway %s snapshot: %s active, %s ghosts closed", gateway_id, kept, ghosts)

    async def event(self, gateway_id: int, event: OrderEvent) -> None:
        self._raise_failure(gateway_id)
        last = self.snapshot_seq.get(gateway_id)
        if event.seq is not None and last is not None and event.seq <= last:
            return  # already in the snapshot
        queued = self._queued.setdefault(gateway_id, [])
        queued.append(event)
        writer = self._writers.get(gateway_id)
        if writer is None or writer.done():
            self._writers[gateway_id] = asyncio.create_task(
                self._write(gateway_id), name=f"mirror-{gateway_id}"
            )
        if len(queued) >= BACKLOG:
            await self.flush(gateway_id)

    async def drain(self) -> None:
        """Until every change handed over is written (or has failed), and the database thread
        has finished what a cancelled reader left on it: the relay calls this as it stops.

        Database work left running past its event loop can announce a change (an
        ``async_to_sync`` publish) to a loop that no longer runs, and wait for it for ever with
        the database thread. Suspected, not proven, in a CI run where every async test after
        the relay's timed out behind that thread.
        """
        writers = [writer for writer in self._writers.values() if not writer.done()]
        if writers:
            await asyncio.wait(writers)  # not cancelled: a stopping relay finishes its writes
        await in_db_thread(_nothing)()  # one thread, in order: queued behind what is left

    async def flush(self, gateway_id: int, raise_failure: bool = True) -> None:
        """Until everything queued for the gateway is written."""
        writer = self._writers.get(gateway_id)
        if writer is not None:
            await asyncio.shield(writer)
        if raise_failure:
            self._raise_failure(gateway_id)
        else:
            self._failed.pop(gateway_id, None)

    def _raise_failure(self, gateway_id: int) -> None:
        failure = self._failed.pop(gateway_id, None)
        if failure is not None:
            raise WriteFailed(f"gateway {gateway_id}: writing the mirror failed") from failure

    async def _write(self, gateway_id: int) -> None:
        queued = self._queued[gateway_id]
        while queued:
            batch = queued[:BATCH]
            del queued[:BATCH]
            try:
                await self._write_batch(gateway_id, batch)
            except Exception as exc:
                # What is queued after a failed write is dropped with it: the relay reconnects
                # now (or the reader raises on its next event), and the snapshot makes the
                # mirror right.
                log.exception("gateway %s: writing %s change(s) failed", gateway_id, len(batch))
                queued.clear()
                self._failed[gateway_id] = exc
                self._resync(gateway_id)

    async def _write_batch(self, gateway_id: int, batch: list[OrderEvent]) -> None:
        """Write one batch, again after a lost connection (a database restarting): the batch
        rolled back whole, so writing it again is writing it once. Without this, when the
        lost write held a rush's last changes, no next event came to make the reader
        reconnect, and the mirror stayed behind until the gateway spoke again."""
        for pause in (*RETRY_PAUSES, None):
            try:
                await in_db_thread(_apply_events)(gateway_id, batch)
                return
            except (OperationalError, InterfaceError):
                if pause is None:
                    raise
                log.warning("gateway %s: the database did not answer; writing again", gateway_id)
                await asyncio.sleep(pause)


def _nothing() -> None:
    pass


def _apply_snapshot(gateway_id: int, snapshot: Snapshot) -> tuple[int, int]:
    gateway = Gateway.objects.get(pk=gateway_id)
    return apply_snapshot(gateway, snapshot.orders)


def _apply_events(gateway_id: int, events: list[OrderEvent]) -> None:
    # With its site: the site's figures are announced after a clear (one query fewer).
    gateway = Gateway.objects.select_related("site").get(pk=gateway_id)
    apply_orders(gateway, [(e.order, CHANGES.get(e.type, Change.MODIFIED)) for e in events])
