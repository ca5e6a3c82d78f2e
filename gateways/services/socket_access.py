"""What a live socket may still see: its sign-in must be alive, its person active, its sites
theirs. Asked when a socket opens and again whenever access may have been taken away."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from types import SimpleNamespace
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest

from gateways.models import Site


@dataclass(frozen=True)
class SocketAccess:
    """``signed_in`` false: the sign-in is over (logged out, session gone, person deactivated
    or deleted, password changed). ``site_ids``: the sites the person may see now."""

    signed_in: bool
    site_ids: frozenset[int] = field(default_factory=frozenset)


def socket_access(session_key: str | None, user_id: int) -> SocketAccess:
    """Read afresh from the database, never from what the socket loaded when it opened."""
    if not session_key:
        return SocketAccess(signed_in=False)
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # Django's own rules for a session's user: the session exists and has not expired, the
    # backend still knows the person and lets them in (is_active), the password is unchanged.
    user = get_user(cast(HttpRequest, SimpleNamespace(session=store)))
    if not user.is_authenticated or user.pk != user_id:
        return SocketAccess(signed_in=False)
    sites = Site.objects.visible_to(user).values_list("pk", flat=True)
    return SocketAccess(signed_in=True, site_ids=frozenset(sites))
