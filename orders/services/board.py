"""The live board's picture: each site's active orders, its gateways and today's figures.

The board's socket sends :func:`board_payload` on every (re)connect, then the deltas the mirror
publishes (``order.upserted``, ``order.removed``, ``site.today``, ``gateway.status``). The
shapes of a card and of the figures are defined here, once, for the snapshot and the deltas.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.db import connections
from django.utils import timezone

from gateways.models import Gateway, Site
from gateways.naming import gateway_labels
from orders.models import NEAR_TARGET_SHARE, ActiveOrder, OrderRecord
from ttportal.realtime import publish_on_commit, site_group
from ttportal.sqlnames import Names


def order_payload(order: ActiveOrder) -> dict[str, Any]:
    """One board card; the browser ticks the elapsed time on from ``created``."""
    return {
        "uuid": str(order.uuid),
        "gateway": order.gateway_id,
        "site": order.gateway.site_id,
        "name": order.name,
        "type": order.order_type,
        "type_display": order.get_order_type_display(),
        "table": order.location,
        "state": order.state,
        "state_display": order.get_state_display(),
        "created": order.created.isoformat(),
        "state_changed": order.state_changed.isoformat(),
        "paged": order.paged,
        "elapsed": order.elapsed_seconds(),
    }


def gateway_card(gateway: Gateway, label: str | None = None) -> dict[str, Any]:
    """What the board shows of a gateway: enough for a banner when it is not online."""
    return {
        "id": gateway.pk,
        "name": gateway.name,
        "label": label or gateway.name,
        "status": gateway.status,
        "status_display": gateway.get_status_display(),
    }


def local_day(site: Site, now: datetime) -> tuple[datetime, datetime]:
    """The start and end of the site's calendar day around ``now``, as aware datetimes."""
    tz = site.tz
    day = now.astimezone(tz).date()
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start, end


def today_figures(site: Site, now: datetime | None = None) -> dict[str, Any]:
    """Today's counters of a site, "today" being the site's own calendar day.

    ``active`` and ``over_target`` are the board right now; ``cleared`` and
    ``average_delivery_seconds`` come from the site's history (orders cleared today), so a
    restart of the portal does not reset them.
    """
    now = now or timezone.now()
    start, end = local_day(site, now)
    connection = connections[OrderRecord.objects.db]
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            _figures_sql(connection.alias),
            [
                ops.adapt_datetimefield_value(now - timedelta(seconds=site.target_seconds)),
                site.pk,
                site.target_seconds,
                site.pk,
                ops.adapt_datetimefield_value(start),
                ops.adapt_datetimefield_value(end),
            ],
        )
        active, over, count, average, cleared_over = cursor.fetchone()
    return {
        "active": active,
        "over_target": over or 0,
        "cleared": count,
        "cleared_over_target": cleared_over or 0,
        "average_delivery_seconds": round(average) if average is not None else None,
        "day_starts": start.isoformat(),
        "day_ends": end.isoformat(),
    }


@functools.cache
def _figures_sql(alias: str) -> str:
    """The query of :func:`today_figures`: both aggregates in one statement, names from the
    models. Written out because the relay reads a site's figures after every clear: the two
    aggregate querysets it replaced cost more to compile than to run (bench/README.md).
    Parameters: the moment before which an active order is over target, the site, the
    target in seconds, the site again, the day's start and its end."""
    names = Names(alias)
    created = f"o.{names.column(ActiveOrder, 'created')}"
    delivery = f"r.{names.column(OrderRecord, 'delivery_seconds')}"
    cleared = f"r.{names.column(OrderRecord, 'cleared')}"
    return (
        "SELECT a.active, a.over, r.count, r.average, r.over FROM ("  # noqa: S608 - names only
        f"SELECT COUNT(*) AS active, SUM(CASE WHEN {created} < %s THEN 1 ELSE 0 END) AS over "
        f"FROM {names.table(ActiveOrder)} o JOIN {names.table(Gateway)} g "
        f"ON g.{names.pk(Gateway)} = o.{names.column(ActiveOrder, 'gateway')} "
        f"WHERE g.{names.column(Gateway, 'site')} = %s) a, ("
        f"SELECT COUNT(*) AS count, AVG({delivery}) AS average, "
        f"SUM(CASE WHEN {delivery} > %s THEN 1 ELSE 0 END) AS over "
        f"FROM {names.table(OrderRecord)} r WHERE r.{names.column(OrderRecord, 'site')} = %s "
        f"AND {cleared} >= %s AND {cleared} < %s) r"
    )


def site_board(
    site: Site, gateways: list[Gateway], orders: list[ActiveOrder], now: datetime
) -> dict[str, Any]:
    labels = gateway_labels(gateways)
    return {
        "id": site.pk,
        "name": site.name,
        "time_zone": site.time_zone,
        "target_seconds": site.target_seconds,
        # The one rule for "near": the board colours cards with it, never its own copy.
        "near_share": NEAR_TARGET_SHARE,
        "gateways": [gateway_card(g, labels[g.pk]) for g in gateways],
        "orders": [order_payload(o) for o in orders],
        "today": today_figures(site, now),
    }


def board_payload(site_ids: Iterable[int], now: datetime | None = None) -> dict[str, Any]:
    """The whole board of some sites, as the browser draws it before applying deltas.

    The caller has already checked that the person may see these sites.
    """
    now = now or timezone.now()
    sites = list(Site.objects.filter(pk__in=list(site_ids)).order_by("name"))
    gateways: dict[int, list[Gateway]] = {site.pk: [] for site in sites}
    for gateway in Gateway.objects.filter(site__in=sites).order_by("name", "pk"):
        gateways[gateway.site_id].append(gateway)
    orders: dict[int, list[ActiveOrder]] = {site.pk: [] for site in sites}
    for order in ActiveOrder.objects.filter(gateway__site__in=sites).select_related("gateway"):
        orders[order.gateway.site_id].append(order)
    return {
        "type": "board",
        "now": now.isoformat(),
        "sites": [site_board(s, gateways[s.pk], orders[s.pk], now) for s in sites],
    }


def announce_today(site: Site | int) -> None:
    """Tell open boards a site's figures changed (an order left: cleared today moved).

    Given the site itself when the caller has it at hand (one query fewer per announcement).
    """
    if not isinstance(site, Site):
        site = Site.objects.get(pk=site)
    publish_on_commit(
        site_group(site.pk), {"type": "site.today", "site": site.pk, "today": today_figures(site)}
    )
