"""The history list and its CSV export. Thin: filters in ``orders.forms``, rules in services.

Both show only the sites the person may see; the export streams the same filtered set.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
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
    )


@login_required
def export_csv(request: HttpRequest) -> HttpResponseBase:
    """The filtered history as a CSV download, streamed as it is read."""
    form = HistoryFilterForm(request.GET, sites=Site.objects.visible_to(request.user))
    if not form.is_valid():
        return HttpResponseBadRequest(
            "; ".join(
                f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()
            ),
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(
        csv_lines(form.records(timezone.now())), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="order-history-{stamp}.csv"'
    return response
