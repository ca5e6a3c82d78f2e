"""Fixtures shared by every test: the loopback-only network guard and a running simulator.

The portal's own fixtures (sites, people, a simulator beside Django) are the plugin
``tests.portal_fixtures``; a test directory never imports another one's conftest.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import pytest
from django.conf import settings

from tests import network_guard
from tests.loopback import free_port
from ttgateway.controls import SimulatorControls
from ttgateway.simulator import Simulator, SimulatorConfig

pytest_plugins = ["tests.portal_fixtures"]

network_guard.install()

# The tests' gateways and webhooks all live on loopback, which gateways.outbound refuses by
# default: open it here, for this process and for the portal processes the tests start.
LOOPBACK_NETWORKS = ["127.0.0.0/8", "::1/128"]
os.environ["TTPORTAL_GATEWAY_NETWORKS"] = ",".join(LOOPBACK_NETWORKS)
os.environ["TTPORTAL_WEBHOOK_NETWORKS"] = ",".join(LOOPBACK_NETWORKS)
settings.TTPORTAL_GATEWAY_NETWORKS = LOOPBACK_NETWORKS
settings.TTPORTAL_WEBHOOK_NETWORKS = LOOPBACK_NETWORKS


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if network_guard.violations:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            "\nNon-loopback traffic attempted by the tests:", *network_guard.violations, sep="\n  "
        )


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    """A fresh simulated gateway on a free loopback port (WebSocket auth limit: 1 s)."""
    async with Simulator(SimulatorConfig(host="127.0.0.1", port=0, auth_timeout=1.0)) as sim:
        yield sim


@pytest.fixture
async def http(simulator: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(base_url=simulator.url) as session:
        yield session


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    return free_port()


@pytest.fixture
async def controls(simulator: Simulator) -> AsyncIterator[SimulatorControls]:
    """The simulator's hardware and fault controls (``/_sim/``)."""
    async with SimulatorControls(simulator.url) as sim_controls:
        yield sim_controls


@pytest.fixture
async def token(controls: SimulatorControls) -> str:
    """A token obtained the way an integrator does: press the button, then generate."""
    return await controls.issue_token("tests")


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session", autouse=True)
def _close_stray_database_sessions(django_db_setup, django_db_blocker):
    """On PostgreSQL, end sessions left open by worker and relay threads before the test
    database is dropped, so that it is dropped (a stray session would keep it)."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(scope="session", autouse=True)
def _child_processes_share_our_secrets() -> None:
    """Portal processes the tests start (``serve``, Daphne, relays) get this process's keys,
    whatever data directory they are given: they read the sessions and tokens it writes."""
    from django.conf import settings

    os.environ.setdefault("DJANGO_SECRET_KEY", settings.SECRET_KEY)
    os.environ.setdefault("TTPORTAL_TOKEN_KEYS", ",".join(settings.TTPORTAL_TOKEN_KEYS))
