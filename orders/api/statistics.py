"""The analytics figures (``orders.services.analytics``) as the API's statistics document."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError

from gateways.models import Gateway, Site
from orders.models import OrderRecord
from orders.services import analytics
from orders.services.analytics import Figures, Row
from orders.services.periods import MAX_DAYS, PRESETS, Period, custom


def figures_body(figures: Figures) -> dict[str, Any]:
    return {
        "orders": figures.orders,
        "delivered": figures.delivered,
        "average_delivery_seconds": figures.average_delivery,
        "average_time_to_sit_seconds": figures.average_sit,
        "within_target": figures.within,
        "over_target": figures.over,
        "share_within_target_percent": figures.share_within,
    }


def rows_body(rows: list[Row]) -> list[dict[str, Any]]:
    return [{"key": r.key, "label": r.label, "figures": figures_body(r.figures)} for r in rows]


def local_today(sites: Sequence[Site], now: datetime) -> date:
    """Today in the sites' calendar when they share one, else in the portal's."""
    zones = {site.time_zone for site in sites}
    tz = ZoneInfo(zones.pop()) if len(zones) == 1 else timezone.get_default_timezone()
    return now.astimezone(tz).date()


def period_of(params: dict[str, Any], sites: Sequence[Site], now: datetime) -> Period:
    """``from``/``to`` as a period; neither: today (each site's own today)."""
    first, last = params.get("from"), params.get("to")
    if first is None and last is None:
        return PRESETS["today"]
    last = last or local_today(sites, now)
    first = first or last
    if first > last:
        raise ValidationError({"from": ["The first date comes after the last."]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"from": [f"A period is at most {MAX_DAYS} days."]})
    return custom(first, last)


def statistics_body(visible: QuerySet[Site], params: dict[str, Any]) -> dict[str, Any]:
    """The figures of the caller's sites (or one site, or one gateway) over the period."""
    sites = list(visible)
    records = OrderRecord.objects.filter(site__in=sites)
    if "site" in params:
        sites = [s for s in sites if s.pk == params["site"]]
        if not sites:
            raise NotFound("No such site.")
    if "gateway" in params:
        gateway = Gateway.objects.filter(site__in=sites, pk=params["gateway"]).first()
        if gateway is None:
            raise NotFound("No such gateway.")
        sites = [s for s in sites if s.pk == gateway.site_id]
        records = records.filter(gateway=gateway)
    now = timezone.now()
    period = period_of(params, sites, now)
    report = analytics.report(records.filter(site__in=sites), sites, period, now)
    return {
        "first_day": report.first.isoformat(),
        "last_day": report.last.isoformat(),
        "total": figures_body(report.total),
        "median_delivery_seconds": report.median_delivery,
        "previous": figures_body(report.previous),
        "by_day": rows_body(report.by_day),
        "by_hour": rows_body(report.by_hour),
        "by_day_part": rows_body(report.by_day_part),
        "by_type": rows_body(report.by_type),
        "by_table": rows_body(report.by_table),
    }
