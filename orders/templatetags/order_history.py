"""Template helpers of the history and analytics pages, and the history-pull card of a gateway.

``{% history_pull gateway %}`` is how the gateway page shows its pull without the gateways app
importing orders: the template asks, orders answers.
"""

from __future__ import annotations

from typing import Any

from django import template

from gateways.models import Gateway
from orders.services.purge_risk import checkpoint_of, purge_warning

register = template.Library()

DASH = "—"


@register.filter
def mmss(seconds: float | None) -> str:
    """Seconds as minutes and seconds, ``4:05``; a dash for nothing."""
    if seconds is None:
        return DASH
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


@register.filter
def percent(value: float | None) -> str:
    return DASH if value is None else f"{value:.0f} %"


@register.filter
def signed_mmss(seconds: float | None) -> str:
    """A change of duration, ``+0:42`` or ``-1:05``."""
    return DASH if seconds is None else _sign(seconds) + mmss(abs(seconds))


@register.filter
def signed_percent(value: float | None) -> str:
    return DASH if value is None else f"{_sign(value)}{abs(value):.0f} %"


@register.filter
def signed_points(value: float | None) -> str:
    """A change of a share, in percentage points."""
    return DASH if value is None else f"{_sign(value)}{abs(value):.0f} pts"


def _sign(value: float) -> str:
    return "+" if value >= 0 else "-"


@register.inclusion_tag("orders/_history_pull.html")
def history_pull(gateway: Gateway) -> dict[str, Any]:
    """The gateway's history pull: where it stands, and a warning when the purge threatens."""
    return {
        "gateway": gateway,
        "pull": checkpoint_of(gateway),
        "warning": purge_warning(gateway),
    }
