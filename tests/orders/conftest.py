"""Order tests: the gateway fixtures (a real simulator; alice, bob, charlie), plus helpers.

alice manages Riverside, bob only views Riverside, charlie manages Hilltop.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from gateways.models import Gateway
from orders.services.commands import Actor
from tests.factories import GatewayFactory
from tests.gateways.conftest import *  # noqa: F403 - the gateway fixtures: sim, site, alice...
from tests.gateways.conftest import _fast_gateway_settings  # noqa: F401 - autouse here too
from ttgateway.simulator.threaded import ThreadedSimulator

T = TypeVar("T")

WAIT_SECONDS = 8.0


def sim_request(sim: ThreadedSimulator, method: str, path: str, body: Any = None) -> Any:
    """Any of the simulator's controls, with any method (``DELETE /_sim/tokens``)."""
    request = urllib.request.Request(  # noqa: S310 - a loopback URL we built
        f"{sim.url}/_sim/{path}",
        data=json.dumps(body or {}).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def gateway_state(sim: ThreadedSimulator) -> dict[str, Any]:
    """What the simulated gateway holds now (``GET /_sim/state``)."""
    with urllib.request.urlopen(f"{sim.url}/_sim/state", timeout=5) as response:  # noqa: S310
        return dict(json.loads(response.read()))


def active_names(sim: ThreadedSimulator) -> list[str]:
    return sorted(order["name"] for order in gateway_state(sim)["active"])


def wait_until(check: Callable[[], T], timeout: float = WAIT_SECONDS) -> T:
    """Poll ``check`` until it returns something truthy; fail with its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            assert result, f"still {result!r} after {timeout} s"
            return result
        time.sleep(0.05)


async def eventually(check: Callable[[], T], within: float = WAIT_SECONDS) -> T:
    """The async form of :func:`wait_until`; ``check`` runs where the ORM may run."""
    deadline = time.monotonic() + within
    while True:
        result = await sync_to_async(check)()
        if result or time.monotonic() > deadline:
            assert result, f"still {result!r} after {within} s"
            return result
        await asyncio.sleep(0.05)


def in_thread(fn: Callable[..., T], *args: Any) -> Awaitable[T]:
    """Blocking calls to the simulator's controls, off the test's event loop."""
    return asyncio.to_thread(fn, *args)


def session_cookie(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@pytest.fixture
def as_alice(alice: Any) -> Actor:
    return Actor.person(alice, via="board")


@pytest.fixture
def hilltop_gateway(other_site: Any) -> Gateway:
    return GatewayFactory.create(site=other_site, name="Hilltop bar")
