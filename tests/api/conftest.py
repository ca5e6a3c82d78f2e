"""API tests: two sites (Riverside, Hilltop), a key for each, and a client that sends a key.

alice manages Riverside, bob only views Riverside, charlie manages Hilltop (the gateway
fixtures); ``riverside_key`` writes at Riverside, ``hilltop_key`` at Hilltop,
``riverside_reader`` only reads Riverside.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from gateways.models import ApiKey, Site
from tests.api.support import IssuedKey, client_for, issue_key


@pytest.fixture(autouse=True)
def _fast(fast_gateway_settings: None) -> None:
    """Discovery on loopback, short discovery and pairing windows, for every test here."""


@pytest.fixture(autouse=True)
def _no_rate_limits_unless_asked(settings: Any) -> None:
    caches["api"].clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": None, "write": None},
    }


@pytest.fixture
def riverside_key(site: Site) -> IssuedKey:
    return issue_key("Riverside till", site)


@pytest.fixture
def hilltop_key(other_site: Site) -> IssuedKey:
    return issue_key("Hilltop till", other_site)


@pytest.fixture
def riverside_reader(site: Site) -> IssuedKey:
    return issue_key("Riverside screen", site, access=ApiKey.Access.READ)


@pytest.fixture
def riverside(riverside_key: IssuedKey) -> APIClient:
    return client_for(riverside_key)


@pytest.fixture
def hilltop(hilltop_key: IssuedKey) -> APIClient:
    return client_for(hilltop_key)


@pytest.fixture
def reader(riverside_reader: IssuedKey) -> APIClient:
    return client_for(riverside_reader)
