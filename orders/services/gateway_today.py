"""Today by the gateway's own count, beside the portal's copy counted the gateway's way.

The gateway's ``/statistics`` covers the orders it cleared today (its local day); the portal's
figures beside them are the records of that gateway cleared during the site's day. They agree
when the pull is current and the gateway's clock and zone are the site's; when they do not, the
difference is what a manager wants to see. A gateway that does not answer is normal (it is a
small box on a restaurant's LAN): it is said so, and the page carries on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from gateways.crypto import SealBroken
from gateways.models import Gateway, Site
from orders.models import OrderRecord
from orders.services.analytics import AGGREGATES, Figures
from orders.services.board import local_day
from ttgateway.client import (
    GatewayError,
    GatewayUnreachable,
    Statistics,
    SyncGatewayClient,
    TokenRejected,
)

log = logging.getLogger(__name__)

# A page waits for the gateway this long at most (it answers on the LAN in milliseconds).
TIMEOUT_SECONDS = 2.0
CONNECT_TIMEOUT_SECONDS = 1.0
NOT_ANSWERING = "gateway not answering"


@dataclass(frozen=True)
class GatewayToday:
    """One gateway's today: its own statistics (or why there are none) and the portal's copy."""

    gateway: Gateway
    portal: Figures
    statistics: Statistics | None
    problem: str = ""


def today_by_gateway(site: Site, now: datetime | None = None) -> list[GatewayToday]:
    """Each gateway of the site: the gateway's figures for today beside the portal's."""
    start, end = local_day(site, now or timezone.now())
    portal = {
        row["gateway"]: Figures.of(row)
        for row in OrderRecord.objects.filter(site=site, cleared__gte=start, cleared__lt=end)
        .order_by()
        .values("gateway")
        .annotate(**AGGREGATES)
    }
    return [
        GatewayToday(
            gateway, portal.get(gateway.pk, Figures()), *_ask(gateway, site.target_seconds)
        )
        for gateway in site.gateways.order_by("name", "pk")
    ]


def _ask(gateway: Gateway, target_seconds: int) -> tuple[Statistics | None, str]:
    if not gateway.is_paired:
        return None, gateway.get_status_display().lower()
    try:
        token = gateway.token_secret()
    except SealBroken:
        token = None
    if token is None:
        return None, "no token: pair it again"
    try:
        with SyncGatewayClient(
            gateway.base_url,
            token,
            timeout=TIMEOUT_SECONDS,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        ) as client:
            return client.statistics(target_seconds), ""
    except GatewayUnreachable:
        return None, NOT_ANSWERING
    except TokenRejected:
        return None, "the gateway refused the portal's token"
    except GatewayError as exc:
        log.info("statistics of gateway %s: %r", gateway.pk, exc)
        return None, f"{NOT_ANSWERING} ({exc.message})"
