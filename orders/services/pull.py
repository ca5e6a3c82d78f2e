"""The history pull: copy each gateway's finished orders before its two-week purge forgets them.

A run pages through ``GET /api/v2/orders`` (100 at a time, oldest first) from a little before the
gateway's checkpoint, upserts each page by uuid and moves the checkpoint in the same
transaction, so a run killed at any point resumes where its last committed page ended: no gaps,
and no duplicates (uuid is unique). Only one worker pulls a gateway at a time: it holds a lease
on the checkpoint row, claimed and renewed with conditional UPDATEs, which expires if it dies.

Two things make "started before the checkpoint" unsafe to skip, because history is ordered by
``orderStarted`` while an order enters it only when it *clears*:

- an order still active when the run begins clears later: the checkpoint never passes the start
  of the oldest order the gateway lists as active (``GET /activeorders``) at the start of a run;
- an order started during a run may clear after the run has paged past it: the next run re-reads
  ``TTPORTAL_PULL_OVERLAP_SECONDS`` before the checkpoint (runs are far shorter than that).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from gateways.crypto import SealBroken
from gateways.fields import fit
from gateways.models import Gateway
from gateways.services import mark_needs_pairing
from gateways.services.identity import ANOTHER_DEVICE, has_identity, liveness_at, proves
from gateways.services.wording import for_person
from orders.models import OrderRecord, PullCheckpoint
from orders.services.history import next_sequence
from ttgateway.bridge import run_blocking
from ttgateway.client import (
    ActiveOrder,
    GatewayError,
    GatewayUnreachable,
    OrdersPage,
    OrderSummary,
    SyncGatewayClient,
    TokenRejected,
)
from ttgateway.protocol import ORDERS_MAX_LIMIT

log = logging.getLogger(__name__)

PAGE_SIZE = ORDERS_MAX_LIMIT
# An order active for longer than this is taken as forgotten on a table: the checkpoint stops
# waiting for it (the relay still records it when it clears), so runs do not re-read for ever.
FORGOTTEN_AFTER = timedelta(hours=12)
# What a re-read upsert may change; cleared_by, seen_live and paged are the relay's knowledge.
UPDATED_FIELDS = [
    "name", "order_type", "location", "started", "located", "cleared",
    "delivery_seconds", "time_to_sit_seconds", "confirmed", "updated",
]  # fmt: skip
COMPARED_FIELDS = ["uuid", "name", "order_type", "location", "started", "located", "cleared"]


class HistorySource(Protocol):
    """The two gateway calls a pull makes (a ``SyncGatewayClient``, or a stand-in in tests)."""

    def active_orders(self) -> tuple[ActiveOrder, ...]: ...

    def orders(
        self,
        offset: int = 0,
        limit: int = 25,
        created_after: datetime | str | None = None,
    ) -> OrdersPage: ...


class Outcome(StrEnum):
    DONE = "done"  # read the gateway's history to its end
    PARTIAL = "partial"  # stopped after TTPORTAL_PULL_MAX_PAGES; the next run goes on
    BUSY = "busy"  # another worker holds the lease
    LOST = "lost"  # the lease expired and another worker took it: this one stopped
    FAILED = "failed"  # the gateway failed or refused; last_error says why
    SKIPPED = "skipped"  # no such gateway, or not paired


@dataclass(frozen=True)
class PullResult:
    outcome: Outcome
    pages: int = 0
    written: int = 0
    error: str = ""


class PullFailed(Exception):
    """The run cannot go on; the message is for the person reading the gateway's page."""


class LeaseLost(Exception):
    """Another worker holds this gateway's lease now: the page being stored is rolled back."""


def pull_gateway(
    gateway_id: int, source: HistorySource | None = None, max_pages: int | None = None
) -> PullResult:
    """Pull one gateway's new history, unless another worker is already doing it.

    Safe to run twice and to kill at any point. ``source`` replaces the gateway client (tests,
    the benchmark); ``max_pages`` bounds the run (default ``TTPORTAL_PULL_MAX_PAGES``).
    """
    gateway = Gateway.objects.select_related("site").filter(pk=gateway_id).first()
    if gateway is None or (source is None and not gateway.is_paired):
        return PullResult(Outcome.SKIPPED)
    checkpoint, _ = PullCheckpoint.objects.get_or_create(gateway=gateway)
    lease = _claim(checkpoint)
    if lease is None:
        return PullResult(Outcome.BUSY)
    run = _Run(gateway, checkpoint, lease, max_pages or settings.TTPORTAL_PULL_MAX_PAGES)
    try:
        with _opened(gateway, source) as history:
            return run.execute(history)
    except LeaseLost:
        log.warning("history pull of gateway %s: lease lost, stopped", gateway.pk)
        return PullResult(Outcome.LOST, run.pages, run.written)
    except TokenRejected as exc:
        mark_needs_pairing(gateway, f"history pull: {exc}")
        return run.failed(f"{gateway.name} refused the portal's token: pair it again.")
    except GatewayError as exc:  # the library's text goes to the log, the page says this
        return run.failed(f"History copy: {for_person(exc, 'history pull')}")
    except PullFailed as exc:
        return run.failed(str(exc))
    finally:
        _release(checkpoint, lease)


# --- the lease ---------------------------------------------------------------------------------


def _claim(checkpoint: PullCheckpoint) -> str | None:
    """Take the gateway's lease if nobody holds a live one; the UPDATE decides between workers."""
    lease = uuid.uuid4().hex
    now = timezone.now()
    claimed = (
        PullCheckpoint.objects.filter(pk=checkpoint.pk)
        .filter(Q(lease_expires__isnull=True) | Q(lease_expires__lte=now))
        .update(lease_owner=lease, lease_expires=now + _lease_length())
    )
    return lease if claimed else None


def _release(checkpoint: PullCheckpoint, lease: str) -> None:
    PullCheckpoint.objects.filter(pk=checkpoint.pk, lease_owner=lease).update(
        lease_owner="", lease_expires=None
    )


def _lease_length() -> timedelta:
    return timedelta(seconds=settings.TTPORTAL_PULL_LEASE_SECONDS)


# --- one run -----------------------------------------------------------------------------------


class _Run:
    """One pass over a gateway's history, holding its lease."""

    def __init__(
        self, gateway: Gateway, checkpoint: PullCheckpoint, lease: str, max_pages: int
    ) -> None:
        self.gateway = gateway
        self.checkpoint = checkpoint
        self.lease = lease
        self.max_pages = max_pages
        self.pages = 0
        self.written = 0

    def execute(self, history: HistorySource) -> PullResult:
        horizon = open_orders_horizon(history.active_orders())
        start = self.checkpoint.stored_through
        if start is not None:
            start -= timedelta(seconds=settings.TTPORTAL_PULL_OVERLAP_SECONDS)
        complete = False
        for items, last in pages_from(history, start, self.max_pages):
            self.pages += 1
            if items:
                self.written += store_page(
                    self.gateway, self.checkpoint, self.lease, items, horizon
                )
            complete = last
        outcome = Outcome.DONE if complete else Outcome.PARTIAL
        self._finish(success=complete)
        log.info(
            "history pull of gateway %s: %s, %s pages, %s records written",
            self.gateway.pk,
            outcome,
            self.pages,
            self.written,
        )
        return PullResult(outcome, self.pages, self.written)

    def failed(self, message: str) -> PullResult:
        log.warning("history pull of gateway %s failed: %s", self.gateway.pk, message)
        self._finish(success=False, error=message)
        return PullResult(Outcome.FAILED, self.pages, self.written, message)

    def _finish(self, success: bool, error: str = "") -> None:
        now = timezone.now()
        through = (
            PullCheckpoint.objects.filter(pk=self.checkpoint.pk)
            .values_list("stored_through", flat=True)
            .first()
        )
        fields: dict[str, object] = {"last_run": now, "orders_last_run": self.written}
        if success:
            fields.update(last_success=now, last_error="", behind_seconds=0)
        else:
            behind = None if through is None else max(0, int((now - through).total_seconds()))
            fields["behind_seconds"] = behind
        if error:
            fields.update(last_error=fit(PullCheckpoint, "last_error", error), last_error_at=now)
        PullCheckpoint.objects.filter(pk=self.checkpoint.pk, lease_owner=self.lease).update(
            **fields
        )


def open_orders_horizon(active: tuple[ActiveOrder, ...]) -> datetime | None:
    """The start of the oldest order still active (it reaches history only when it clears).

    Measured on the gateway's clock (its ``created`` plus ``elapsedTime``), like history times.
    """
    if not active:
        return None
    gateway_now = max(o.created + timedelta(seconds=o.elapsed_time) for o in active)
    recent = [o.created for o in active if gateway_now - o.created <= FORGOTTEN_AFTER]
    return min(recent, default=None)


def pages_from(
    history: HistorySource, start: datetime | None, max_pages: int
) -> Iterator[tuple[tuple[OrderSummary, ...], bool]]:
    """Pages of history started after ``start``, oldest first, with "is this the last page".

    Each request starts where the previous page ended (``created_after`` one second before its
    newest start, skipping the orders already read from that second on), not at a growing
    offset: orders purged or added meanwhile elsewhere in history cannot shift a page.
    A page that repeats only orders already read means the gateway ignores the filter: stop.
    """
    cursor, offset = start, 0
    window: dict[str, datetime] = {}  # orders read that started after the cursor
    for _ in range(max_pages):
        page = history.orders(offset=offset, limit=PAGE_SIZE, created_after=cursor)
        fresh = tuple(r for r in page.items if r.uuid not in window)
        # A full page with records skipped as unreadable is still a full page: more may follow.
        last = page.size < PAGE_SIZE
        if not last and not fresh and page.items:
            raise PullFailed("The gateway answered the same page of history twice.")
        yield fresh, last
        if last:
            return
        if not page.items:
            offset += page.size  # nothing readable on the page (each record logged): step over
            continue
        window.update((r.uuid, r.started) for r in fresh)
        # The gateway's filter is "started after", to the second: ask again from one second
        # before the newest start, and skip the orders of that window already read.
        cursor = max(r.started for r in page.items).replace(microsecond=0) - timedelta(seconds=1)
        window = {u: s for u, s in window.items() if s > cursor}
        offset = len(window)


def store_page(
    gateway: Gateway,
    checkpoint: PullCheckpoint,
    lease: str,
    items: tuple[OrderSummary, ...],
    horizon: datetime | None,
) -> int:
    """Upsert one page and move the checkpoint with it, in one transaction; rows written.

    Rows already stored exactly so are left alone, so a re-read changes nothing at all.
    The checkpoint moves only while this run still holds the lease; otherwise all is undone.
    """
    rows = [_record(gateway, item) for item in items]
    through = max(r.started for r in rows)
    if horizon is not None:
        through = min(through, horizon)
    with transaction.atomic():
        changed = _stored(gateway, _changed(rows))
        moved = PullCheckpoint.objects.filter(pk=checkpoint.pk, lease_owner=lease).update(
            stored_through=through, lease_expires=timezone.now() + _lease_length()
        )
        if not moved:
            raise LeaseLost
    return len(changed)


def _upsert(rows: list[OrderRecord]) -> None:
    # Each write takes history sequence numbers (the API's sync cursor), in commit order.
    first = next_sequence(len(rows))
    for n, record in enumerate(rows):
        record.sequence = first + n
    OrderRecord.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["uuid"],
        update_fields=[*UPDATED_FIELDS, "sequence"],
    )


def _stored(gateway: Gateway, rows: list[OrderRecord]) -> list[OrderRecord]:
    """Upsert the rows, the page at once; should the database refuse it, row by row, so that
    one record it cannot hold is skipped (and logged) and never holds back the others."""
    if not rows:
        return rows
    try:
        with transaction.atomic():
            _upsert(rows)
        return rows
    except DatabaseError:
        log.warning(
            "history pull of gateway %s: a page was refused; storing it row by row", gateway.pk
        )
    stored = []
    for row in rows:
        try:
            with transaction.atomic():
                _upsert([row])
            stored.append(row)
        except DatabaseError as exc:
            log.warning(
                "history pull of gateway %s: record %s skipped: %s",
                gateway.pk,
                row.uuid,
                type(exc).__name__,
            )
    return stored


def _record(gateway: Gateway, item: OrderSummary) -> OrderRecord:
    record = OrderRecord(
        uuid=uuid.UUID(item.uuid),
        gateway=gateway,
        site_id=gateway.site_id,
        name=item.name,
        order_type=item.order_type.value,
        location=item.location or "",
        started=item.started,
        located=item.located,
        cleared=item.cleared,
        confirmed=True,
    )
    record.derive()
    return record


def _changed(rows: list[OrderRecord]) -> list[OrderRecord]:
    """The rows that are new, or differ from what is stored, or are not confirmed yet."""
    stored = {
        values[0]: values[1:]
        for values in OrderRecord.objects.filter(
            uuid__in=[r.uuid for r in rows], confirmed=True
        ).values_list(*COMPARED_FIELDS)
    }
    return [
        r for r in rows if stored.get(r.uuid) != tuple(getattr(r, f) for f in COMPARED_FIELDS[1:])
    ]


def _opened(
    gateway: Gateway, source: HistorySource | None
) -> AbstractContextManager[HistorySource]:
    if source is not None:
        return contextlib.nullcontext(source)
    try:
        token = gateway.token_secret()
    except SealBroken as exc:
        raise PullFailed(
            f"The portal cannot read its token for {gateway.name}: pair it again."
        ) from exc
    if token is None:
        raise PullFailed(f"{gateway.name} has no token: pair it again.")
    if has_identity(gateway):
        # The token goes only to the device that proves to be the gateway (see identity).
        info = run_blocking(liveness_at(gateway.host, gateway.port))
        if info is None:
            raise GatewayUnreachable("No answer from the gateway's address.")
        if not proves(gateway, info):
            raise GatewayUnreachable(ANOTHER_DEVICE)
    return SyncGatewayClient(gateway.base_url, token)
