"""Gateway tests: the fixtures are shared (tests/portal_fixtures.py); here, fast settings."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast(fast_gateway_settings: None) -> None:
    """Discovery on loopback, short discovery and pairing windows, for every test here."""
