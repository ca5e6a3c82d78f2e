"""Fixtures shared by every test: the loopback-only network guard and a running simulator."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, Iterator

import aiohttp
import pytest
from django.conf import settings

from tests import network_guard
from ttgateway.simulator import Simulator, SimulatorConfig

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
async def token(simulator: Simulator, http: aiohttp.ClientSession) -> str:
    """A token obtained the way an integrator does: press the button, then generate."""
    async with http.post("/_sim/button") as pressed:
        assert pressed.status == 200
    async with http.get("/api/v2/accesstoken/generate", params={"name": "tests"}) as response:
        assert response.status == 201
        body = await response.json()
    return str(body["token"]["token"])


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    """A real Celery worker, in this process, on the configured broker."""
    from celery.contrib.testing.worker import start_worker

    from ttportal.celery import app

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        yield


def wait_for(predicate: Callable[[], object], seconds: float = 30) -> None:
    """Poll until ``predicate`` holds: for work done by another thread or process."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "did not get there in time"
        time.sleep(0.1)


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
