"""The portal's first page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"simulator_url": settings.TTPORTAL_SIMULATOR_URL})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and the runner: the process answers HTTP."""
    return JsonResponse({"status": "ok"})
