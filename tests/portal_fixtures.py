"""Fixtures of the portal's tests (a pytest plugin, listed in the root conftest).

A real simulator on its own thread beside Django, the sites Riverside and Hilltop, and the people:
alice manages Riverside, bob only views Riverside, charlie manages Hilltop. A test directory that
wants the fast discovery and pairing settings asks for them in its conftest (``fast_gateway``).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, time
from typing import Any, TypeVar

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.db import connection
from django.test import Client

from gateways import services
from gateways.models import Gateway, Membership, PairingAttempt, Site
from orders.models import AuditEntry
from orders.services.commands import Actor
from tests.factories import GatewayFactory, MembershipFactory, SiteFactory, UserFactory
from ttgateway.controls import SimulatorControls
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator
from ttgateway.waiting import answers, describe, eventually

T = TypeVar("T")


@pytest.fixture
def fast_gateway_settings(settings: Any) -> None:
    """Discovery on loopback only, and short discovery and pairing windows."""
    settings.TTPORTAL_DISCOVERY_INTERFACES = ["127.0.0.1"]
    settings.TTPORTAL_DISCOVERY_SECONDS = 1.5
    settings.TTPORTAL_PAIRING_SECONDS = 2.0
    settings.TTPORTAL_PAIRING_POLL_SECONDS = 0.2


@pytest.fixture
def lunchtime(site: Site) -> Iterator[datetime]:
    """The clock at 12:30 today in the site's time zone, still ticking.

    For a test about "today": an order started half an hour ago is yesterday's in Paris when
    the suite runs between 23:00 and 23:30 UTC (three statistics tests failed so at 23:10).
    """
    local_now = datetime.now(site.tz)
    noon = datetime.combine(local_now.date(), time(12, 30), tzinfo=site.tz)
    with time_machine.travel(noon, tick=True):
        yield noon


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    """A real Celery worker, in this process, on the configured broker."""
    from celery.contrib.testing.worker import start_worker

    from ttportal.celery import app

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        yield


# --- a simulated gateway -----------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    """A simulator on its own thread; ``sim.controls`` presses its hardware (blocking)."""
    with ThreadedSimulator(SimulatorConfig(host="127.0.0.1", port=0, auth_timeout=1.0)) as s:
        yield s


@pytest.fixture
async def sim_controls(sim: ThreadedSimulator) -> AsyncIterator[SimulatorControls]:
    """The same controls for async tests, on the test's own event loop."""
    async with SimulatorControls(sim.url) as controls:
        yield controls


# --- sites and people --------------------------------------------------------------------------


@pytest.fixture
def site(db: None) -> Site:
    return SiteFactory.create(name="Riverside")


@pytest.fixture
def other_site(db: None) -> Site:
    return SiteFactory.create(name="Hilltop")


@pytest.fixture
def alice(site: Site) -> Any:
    return MembershipFactory(user=UserFactory(username="alice"), site=site).user


@pytest.fixture
def bob(site: Site) -> Any:
    user = UserFactory(username="bob")
    MembershipFactory(user=user, site=site, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def charlie(other_site: Site) -> Any:
    return MembershipFactory(user=UserFactory(username="charlie"), site=other_site).user


@pytest.fixture
def as_alice(alice: Any) -> Actor:
    return Actor.person(alice, via=AuditEntry.Via.BOARD)


def session_cookie(user: Any) -> bytes:
    """A signed-in session for ``user``, as a Cookie header value for a raw socket."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


# --- gateways ----------------------------------------------------------------------------------


@pytest.fixture
def gateway(site: Site, sim: ThreadedSimulator) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen", host=sim.host, port=sim.port)


@pytest.fixture
def hilltop_gateway(other_site: Any) -> Gateway:
    return GatewayFactory.create(site=other_site, name="Hilltop bar")


def pair(gateway: Gateway, sim: ThreadedSimulator) -> PairingAttempt:
    """Press the button and pair, as a manager does from the gateway's page."""
    sim.controls.press_button()
    attempt = services.start_pairing(gateway, None)
    return services.run_pairing(attempt.pk)


@pytest.fixture
def paired_gateway(gateway: Gateway, sim: ThreadedSimulator) -> Gateway:
    assert pair(gateway, sim).outcome == PairingAttempt.Outcome.PAIRED
    gateway.refresh_from_db()
    return gateway


# --- threads ---------------------------------------------------------------------------------


def in_thread(work: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    """``work`` started on a thread of its own (its own database connection, closed after);
    what it raises is kept in ``errors`` for the test, not lost in the thread."""

    def guarded() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=guarded, daemon=True)
    thread.start()
    return thread


# --- child processes ---------------------------------------------------------------------------


def database_url() -> str:
    """The test database, as a child process must reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def serving(url: str, process: subprocess.Popen[bytes]) -> bool:
    """A probe: True once ``url`` answers; fails at once if the process serving it has exited."""
    if process.poll() is not None:
        raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
    return answers(url)


async def eventually_in_db(probe: Callable[[], T | None], **options: Any) -> T:
    """:func:`ttgateway.waiting.eventually` for a probe that reads the database: it runs where
    the ORM may run from async code (``sync_to_async``, one thread with the code under test)."""
    options.setdefault("what", describe(probe))
    return await eventually(sync_to_async(probe), **options)
