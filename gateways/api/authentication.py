"""``Authorization: Bearer ttp_...``: a POS plugin's API key is its identity.

``request.auth`` is the :class:`~gateways.models.ApiKey`; ``request.user`` stays anonymous, so
nothing meant for people (the admin, a superuser's reach) ever extends to a key. What a key may
see and do comes from its own sites and access (``gateways.access``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from gateways.models import ApiKey

KEYWORD = "Bearer"


def bearer_token(header: bytes | str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None for another scheme."""
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    keyword, _, token = text.strip().partition(" ")
    if keyword.lower() != KEYWORD.lower():
        return None
    return token.strip()


def key_for_token(token: str) -> ApiKey | None:
    """The usable API key a token is (and note that it was used), or None."""
    key = ApiKey.objects.from_token(token)
    if key is not None:
        key.touch(timezone.now())
    return key


class ApiKeyAuthentication(BaseAuthentication):
    """Bearer API keys; any other scheme is left to the next authentication class."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ApiKey] | None:
        token = bearer_token(get_authorization_header(request))
        if token is None:
            return None
        key = key_for_token(token)
        if key is None:
            raise AuthenticationFailed("Invalid, revoked or expired API key.", "invalid_api_key")
        return AnonymousUser(), key

    def authenticate_header(self, request: Request) -> str:
        # Makes an unauthenticated request a 401 with a challenge, not a 403.
        return f'{KEYWORD} realm="api"'


def request_key(request: Request) -> ApiKey | None:
    """The API key a request was made with, or None (a person's session)."""
    return request.auth if isinstance(request.auth, ApiKey) else None
