"""Gateway pages: find, add, pair and watch. Thin: the rules are in ``gateways.services``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from gateways import services, tasks
from gateways.access import gateway_to_manage, site_to_manage
from gateways.forms import AddGatewayForm
from gateways.models import Gateway, Site


@login_required
def gateway_list(request: HttpRequest) -> HttpResponse:
    sites = Site.objects.visible_to(request.user).prefetch_related("gateways")
    managed = Site.objects.managed_by(request.user)
    form = AddGatewayForm(sites=managed)
    return render(
        request,
        "gateways/list.html",
        {"sites": sites, "managed_ids": set(managed.values_list("pk", flat=True)), "form": form},
    )


@login_required
def gateway_detail(request: HttpRequest, pk: int) -> HttpResponse:
    gateway = get_object_or_404(
        Gateway.objects.visible_to(request.user).select_related("site"), pk=pk
    )
    can_manage = Gateway.objects.managed_by(request.user).filter(pk=pk).exists()
    return render(
        request,
        "gateways/detail.html",
        {
            "gateway": gateway,
            "can_manage": can_manage,
            "pairing": gateway.pairings.first(),
            "changes": gateway.status_changes.all()[:20],
            "token": gateway.current_token(),
            "conflicts": gateway.conflicts.all()[:10],
        },
    )


@login_required
@require_POST
def pair(request: HttpRequest, pk: int) -> HttpResponse:
    gateway = gateway_to_manage(request, pk)
    services.start_pairing(gateway, request.user)  # type: ignore[arg-type]
    return redirect("gateways:detail", pk=gateway.pk)


@login_required
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    managed = Site.objects.managed_by(request.user)
    if not managed.exists():
        raise PermissionDenied("Only a site's manager can add its gateways.")
    form = AddGatewayForm(request.POST, sites=managed)
    if form.is_valid():
        try:
            gateway = services.add_by_address(
                form.cleaned_data["site"], form.cleaned_data["host"], form.cleaned_data["port"]
            )
        except services.AddGatewayError as exc:
            form.add_error("host", str(exc))
        else:
            messages.success(request, f"Added {gateway.name}. Press its button, then pair it.")
            return redirect("gateways:detail", pk=gateway.pk)
    sites = Site.objects.visible_to(request.user).prefetch_related("gateways")
    return render(
        request,
        "gateways/list.html",
        {"sites": sites, "managed_ids": set(managed.values_list("pk", flat=True)), "form": form},
        status=400,
    )


@login_required
@require_POST
def discover_now(request: HttpRequest, site_id: int) -> HttpResponse:
    site = site_to_manage(request, site_id)
    tasks.discover_gateways.apply_async((site.pk,), **site.task_options())
    messages.info(request, f"Looking for gateways on {site}'s network…")
    return redirect("gateways:list")
