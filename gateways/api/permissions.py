"""Who may call the API: an API key, or a person signed in (the browsable API, our own pages).

Reading needs either; acting (POST, DELETE) needs a write key or a manager. What each may reach
is scoped per site in the views (another site's object is a 404, never a 403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from gateways.access import gateways_seen_by, sites_acted_on_by, sites_seen_by
from gateways.api.authentication import request_key
from gateways.models import Gateway, Site

READ_ONLY_KEY = "This API key is read-only: it cannot change orders."


class ReadOnlyKey(PermissionDenied):
    default_detail = READ_ONLY_KEY
    default_code = "read_only_key"


class KeyOrPerson(BasePermission):
    """A usable API key, or an active person signed in; a read-only key only reads."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request_key(request)
        if key is None:
            return bool(request.user and request.user.is_authenticated)
        if request.method not in SAFE_METHODS and not key.can_write:
            raise ReadOnlyKey
        return True


def visible_sites(request: Request) -> QuerySet[Site]:
    """The sites this caller may look at."""
    return sites_seen_by(request.user, request_key(request))


def visible_gateways(request: Request) -> QuerySet[Gateway]:
    """The gateways this caller may look at, with their sites."""
    return gateways_seen_by(request.user, request_key(request)).select_related("site")


def actable_sites(request: Request) -> QuerySet[Site]:
    """The sites where this caller may change orders."""
    return sites_acted_on_by(request.user, request_key(request))
