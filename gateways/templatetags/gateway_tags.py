"""Gateways on every page: the header's status badges, and a gateway's name as a person says it.

``{% gateway_badges %}`` is how base.html keeps the README's promise of online / offline badges
on every page; live.js keeps them current from the page's socket.
"""

from __future__ import annotations

from typing import Any

from django import template

from gateways.models import Gateway
from gateways.naming import gateway_labels
from ttgateway.protocol import SERVICE_TYPE

register = template.Library()

# More than this and the header would be all badges: the rest are counted, not drawn.
HEADER_BADGES = 6


@register.filter
def announced_name(service_name: str) -> str:
    """ "Demo Gateway-2._tracker-http._tcp.local." as a person reads it: "Demo Gateway-2"."""
    return service_name.removesuffix(SERVICE_TYPE).rstrip(".")


@register.inclusion_tag("gateways/_header_badges.html", takes_context=True)
def gateway_badges(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"gateways": [], "more": 0}
    visible = Gateway.objects.visible_to(user).select_related("site")
    shown = list(visible.order_by("site__name", "name", "pk")[: HEADER_BADGES + 1])
    more = visible.count() - HEADER_BADGES if len(shown) > HEADER_BADGES else 0
    labels = gateway_labels(shown[:HEADER_BADGES])
    return {"gateways": [(g, labels[g.pk]) for g in shown[:HEADER_BADGES]], "more": more}
