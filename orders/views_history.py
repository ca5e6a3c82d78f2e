"""The history list and its CSV export. Thin: filters in ``orders.forms``, rules in services.

Both show only the sites the person may see; the export streams the same filtered set.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from gateways.models import Gateway, Site
from orders.forms import HistoryFilterForm
from orders.models import OrderRecord
from orders.services.export import csv_lines
from orders.services.purge_risk import purge_warnings

PER_PAGE = 50


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """Finished orders, newest first, filtered and paginated; times in each site's zone."""
    form = HistoryFilterForm(request.GET, sites=Site.objects.visible_to(request.user))
    return _history_page(request, form, status=200)


def _history_page(request: HttpRequest, form: HistoryFilterForm, status: int) -> HttpResponse:
    records = (
        form.records(timezone.now()).select_related("site", "gateway")
        if form.is_valid()
        else OrderRecord.objects.none()
    )
    page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    gateways = (
        Gateway.objects.visible_to(request.user).paired().select_related("site", "history_pull")
    )
    return render(
        request,
        "orders/history.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "warnings": purge_warnings(gateways),
        },
        status=status,
    )


@login_required
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """The filtered history as a CSV download, streamed as it is read."""
    form = HistoryFilterForm(request.GET, sites=Site.objects.visible_to(request.user))
    if not form.is_valid():
        # The person followed a link with filters gone wrong: show them the filters to fix.
        return _history_page(request, form, status=400)
    response = StreamingHttpResponse(
        csv_lines(form.records(timezone.now())), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="order-history-{stamp}.csv"'
    return response
