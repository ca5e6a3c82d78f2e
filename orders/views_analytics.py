"""The analytics pages: all the person's sites, or one site with today's gateway figures.

Thin: the figures come from ``orders.services.analytics``; this module only shapes them into
charts (drawn by Chart.js, served from our own static files) and tables beside them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from gateways.models import Site
from orders.forms import PeriodForm
from orders.models import OrderRecord
from orders.services import analytics, gateway_today
from orders.services.analytics import Report, Row
from orders.services.periods import PRESETS


@login_required
def analytics_page(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    """Delivery figures over a period, against the period before; 404 for a site not theirs."""
    visible = Site.objects.visible_to(request.user)
    site = get_object_or_404(visible, pk=site_id) if site_id is not None else None
    sites = [site] if site is not None else list(visible)
    form = PeriodForm(request.GET)
    period = form.chosen_period() if form.is_valid() else PRESETS["7d"]
    now = timezone.now()
    records = OrderRecord.objects.filter(site__in=sites)
    report = analytics.report(records, sites, period, now)
    return render(
        request,
        "orders/analytics.html",
        {
            "form": form,
            "site": site,
            "sites": list(visible),
            "report": report,
            "per_site": analytics.by_site(records, sites, period, now) if site is None else [],
            "today": gateway_today.today_by_gateway(site, now) if site is not None else [],
            "charts": charts(report, site.target_seconds if site is not None else None),
            "query": request.GET.urlencode(),
        },
    )


def charts(report: Report, target_seconds: int | None) -> list[dict[str, Any]]:
    """What ``analytics.js`` draws: orders as bars, average delivery (minutes) as a line, and
    the site's target as a dashed line (not across sites: each has its own)."""
    target = None if target_seconds is None else round(target_seconds / 60, 2)
    return [
        _chart("by-day", "Orders and average delivery by day", report.by_day, target),
        _chart(
            "by-hour", "By hour of the day (when the order was started)", report.by_hour, target
        ),
        _chart("by-day-part", "By part of the day", report.by_day_part, target),
        _chart("by-type", "Eat in and to go", report.by_type, target),
        _chart("by-table", "By table", report.by_table, target),
    ]


def _chart(key: str, title: str, rows: list[Row], target: float | None) -> dict[str, Any]:
    return {
        "id": key,
        "title": title,
        "target_minutes": target,
        "labels": [row.label for row in rows],
        "orders": [row.figures.orders for row in rows],
        "average_minutes": [
            None if avg is None else round(avg / 60, 1)
            for avg in (row.figures.average_delivery for row in rows)
        ],
    }
