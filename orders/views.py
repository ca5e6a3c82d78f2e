"""The live board and its actions. Thin: the rules are in ``orders.services``.

The board page is a frame: its cards come over the board's socket (a ``board`` payload on every
connect, then deltas). The actions answer JSON to the board's scripts, or redirect back with a
message when a form was posted without them. Either way the board changes from the socket, so
every open board changes the same way, whoever acted.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from gateways.access import gateway_to_manage
from gateways.models import Gateway, Site
from orders.models import ActiveOrder, AuditEntry
from orders.services import commands
from orders.services.commands import Actor, Outcome


@login_required
def board(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    """Every site the person may see, or one site (404 when they may not see it)."""
    visible = Site.objects.visible_to(request.user)
    one_site = get_object_or_404(visible, pk=site_id) if site_id is not None else None
    sites = [one_site] if one_site is not None else list(visible)
    managed = set(Site.objects.managed_by(request.user).values_list("pk", flat=True))
    gateways = Gateway.objects.filter(site__in=sites).order_by("name", "pk")
    return render(
        request,
        "orders/board.html",
        {
            "sites": [
                (site, [g for g in gateways if g.site_id == site.pk], site.pk in managed)
                for site in sites
            ],
            "one_site": one_site,
            "wall": request.GET.get("wall") == "1",
        },
    )


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(request: HttpRequest, gateway: Gateway) -> str:
    """Where the person came from (their board), if it is on this site; else the site's board."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("orders:site_board", args=[gateway.site_id])


def _answer(request: HttpRequest, gateway: Gateway, outcome: Outcome) -> HttpResponse:
    """The gateway's words, verbatim: as JSON to the board's scripts, else as a message."""
    if _wants_json(request):
        status = 200
        if not outcome.ok:
            status = 502 if outcome.result == AuditEntry.Result.FAILED else 400
        body = {"ok": outcome.ok, "message": outcome.message, "warning": outcome.warning}
        return JsonResponse(body, status=status)
    if outcome.ok:
        messages.success(request, outcome.message)
        if outcome.warning:
            messages.warning(request, outcome.warning)
    else:
        messages.error(request, outcome.message)
    return redirect(_back(request, gateway))


def _field(request: HttpRequest, key: str) -> str:
    # Trimmed only: the service validates with the gateway's own rules and messages.
    return request.POST.get(key, "").strip()


Command = Callable[[HttpRequest, Gateway, Actor], Outcome]


def _action(command: Command) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST endpoint for one command, for the managers of the gateway's site."""

    @login_required
    @require_POST
    def view(request: HttpRequest, gateway_id: int) -> HttpResponse:
        gateway = gateway_to_manage(request, gateway_id)
        assert isinstance(request.user, User)  # signed in: login_required
        outcome = command(request, gateway, Actor.person(request.user, via=AuditEntry.Via.BOARD))
        return _answer(request, gateway, outcome)

    view.__name__ = view.__qualname__ = command.__name__.lstrip("_")
    view.__doc__ = command.__doc__
    return view


def _start(request: HttpRequest, gateway: Gateway, actor: Actor) -> Outcome:
    """Start an order: number, type, and a table when the guest is already seated."""
    return commands.start_order(
        gateway,
        actor,
        _field(request, "name"),
        _field(request, "order_type"),
        _field(request, "table"),
    )


def _locate(request: HttpRequest, gateway: Gateway, actor: Actor) -> Outcome:
    """Put an order at a table."""
    return commands.locate_order(gateway, actor, _field(request, "name"), _field(request, "table"))


def _change_type(request: HttpRequest, gateway: Gateway, actor: Actor) -> Outcome:
    """Make an order eat-in or to-go."""
    return commands.change_type(
        gateway, actor, _field(request, "name"), _field(request, "order_type")
    )


def _page(request: HttpRequest, gateway: Gateway, actor: Actor) -> Outcome:
    """Make an order's tracker vibrate."""
    return commands.page_order(gateway, actor, _field(request, "name"))


def _clear(request: HttpRequest, gateway: Gateway, actor: Actor) -> Outcome:
    """Clear one order by hand."""
    return commands.delete_order(gateway, actor, _field(request, "name"))


start = _action(_start)
locate = _action(_locate)
change_type = _action(_change_type)
page = _action(_page)
clear = _action(_clear)

CONFIRM_CLEAR_ALL = "Confirm that every active order of this gateway is to be cleared."


@login_required
@require_http_methods(["GET", "POST"])
def clear_all(request: HttpRequest, gateway_id: int) -> HttpResponse:
    """Clear every order of a gateway, after a confirmation step (GET asks, POST confirms)."""
    gateway = gateway_to_manage(request, gateway_id)
    confirmed = request.method == "POST" and request.POST.get("confirm") == "yes"
    if not confirmed:
        if request.method == "POST" and _wants_json(request):
            return JsonResponse(
                {"ok": False, "message": CONFIRM_CLEAR_ALL, "warning": None}, status=400
            )
        return render(
            request,
            "orders/clear_all.html",
            {
                "gateway": gateway,
                "count": ActiveOrder.objects.filter(gateway=gateway).count(),
                "back": _back(request, gateway),
            },
        )
    assert isinstance(request.user, User)
    outcome = commands.clear_all(gateway, Actor.person(request.user, via=AuditEntry.Via.BOARD))
    return _answer(request, gateway, outcome)
