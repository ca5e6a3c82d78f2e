"""Per-key rate limits: one budget for reading, one for acting, per API key (or person).

The numbers are settings (``TTPORTAL_API_READ_RATE`` / ``TTPORTAL_API_WRITE_RATE``) and are
published in docs/api.md; over the limit the answer is 429 with ``Retry-After``. The counts live
in the ``api`` cache: this process's memory on the single box, Redis when scaled, so every web
process counts against the same budget.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from gateways.api.authentication import request_key


def scope_of(request: Request) -> str:
    return "read" if request.method in SAFE_METHODS else "write"


class KeyRateThrottle(SimpleRateThrottle):
    """``read`` or ``write`` budget by the request's method, counted per key."""

    cache_format = "api-throttle:%(scope)s:%(ident)s"

    def __init__(self) -> None:
        # The scope (and so the rate) is known only per request.
        self.cache = caches["api"]

    def get_rate(self) -> str | None:
        # Read per request, not once at import, so that changed settings take effect.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return None if rate is None else str(rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = scope_of(request)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request_key(request)
        if key is not None:
            ident = f"key-{key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
