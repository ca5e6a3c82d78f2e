"""Keys as a POS plugin holds them, and API clients that send them."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.test import APIClient

from gateways.models import ApiKey, Site


@dataclass(frozen=True)
class IssuedKey:
    """A key as its owner holds it: the model row and the secret shown once."""

    model: ApiKey
    secret: str


def issue_key(name: str, *sites: Site, access: str = ApiKey.Access.WRITE) -> IssuedKey:
    return IssuedKey(*ApiKey.objects.issue(name, sites, access))


def client_for(key: IssuedKey | str | None) -> APIClient:
    client = APIClient()
    if key is not None:
        secret = key.secret if isinstance(key, IssuedKey) else key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client
