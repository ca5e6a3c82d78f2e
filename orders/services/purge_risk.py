"""Is a gateway's history at risk? The gateway forgets finished orders after two weeks.

A pull that keeps failing is harmless for a while: the next good run catches up. Once the last
good run is older than ``TTPORTAL_PULL_WARNING_DAYS`` (10 by default, of the gateway's 14), the
orders finished since then are days away from being purged, and a person must look.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from gateways.models import Gateway
from orders.models import PullCheckpoint
from ttgateway.protocol import HISTORY_RETENTION_DAYS

# The first pull (the backfill) normally ends within minutes of pairing; after this long
# without one, the gateway's oldest orders, purged daily, are being lost.
FIRST_PULL_GRACE = timedelta(hours=1)


def checkpoint_of(gateway: Gateway) -> PullCheckpoint | None:
    """The gateway's pull checkpoint, or None before its first pull."""
    try:
        return gateway.history_pull
    except PullCheckpoint.DoesNotExist:
        return None


def purge_warning(gateway: Gateway, now: datetime | None = None) -> str:
    """What to tell a person when the two-week purge could lose orders never copied; else ""."""
    if not gateway.is_paired:
        return ""
    now = now or timezone.now()
    checkpoint = checkpoint_of(gateway)
    error = f" Last error: {checkpoint.last_error}" if checkpoint and checkpoint.last_error else ""
    if checkpoint is None or checkpoint.last_success is None:
        since = checkpoint.created if checkpoint is not None else gateway.status_changed
        if now - since < FIRST_PULL_GRACE:
            return ""
        return (
            f"The first history pull of {gateway.name} has not finished. The gateway forgets "
            f"orders after {HISTORY_RETENTION_DAYS} days: its oldest ones are being lost every "
            f"day.{error}"
        )
    stale = now - checkpoint.last_success
    if stale < timedelta(days=settings.TTPORTAL_PULL_WARNING_DAYS):
        return ""
    last = checkpoint.last_success.astimezone(gateway.site.tz)
    lost_from = last + timedelta(days=HISTORY_RETENTION_DAYS)
    when = (
        "are already being lost" if lost_from <= now else f"will be lost from {lost_from:%Y-%m-%d}"
    )
    return (
        f"The order history of {gateway.name} was last copied {stale.days} days ago "
        f"({last:%Y-%m-%d %H:%M}). The gateway forgets orders after "
        f"{HISTORY_RETENTION_DAYS} days: those finished since then {when}.{error}"
    )


def purge_warnings(gateways: Iterable[Gateway], now: datetime | None = None) -> list[str]:
    """The warnings of several gateways (load with ``select_related("site", "history_pull")``)."""
    now = now or timezone.now()
    return [w for w in (purge_warning(g, now) for g in gateways) if w]
