"""Sign-in throttling (django-axes): whose address a try comes from, and what a locked-out
person sees. The limits themselves are in settings, with their reasons."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT = 429  # Too Many Requests: the browser shows our page, a script knows to wait


def client_address(request: HttpRequest) -> str:
    """The address a sign-in came from, as the portal's own proxy saw it.

    Behind the TLS proxy every request comes from the proxy, which appends the real client
    to X-Forwarded-For: the right-most entry is the proxy's own word, anything left of it is
    whatever the client chose to send (so trusting it would let a guesser pick a new address
    for every try). Without a proxy, the socket's peer.
    """
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and forwarded.strip():
        return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page again, saying why it refuses and for how long."""
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "registration/locked_out.html", context, status=LOCKED_OUT)


def username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The user name a sign-in tried, as axes keeps it for its lockouts.

    Bounded to the longest name a person can have (the user model's own length) and without NUL
    characters: a typed 10,000-character "name" is nobody's, and PostgreSQL refuses both a value
    over axes' column length and a NUL, which would turn a wrong password into a 500.
    """
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    raw = (credentials or {}).get(field) if credentials else request.POST.get(field)
    if raw is None:
        return None
    longest = get_user_model()._meta.get_field("username").max_length or 150
    return str(raw).replace("\x00", "")[:longest]
