"""Gateway tests: a real simulator on its own thread, sites, and the people alice, bob, charlie.

alice manages Riverside, bob only views Riverside, charlie manages Hilltop.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from gateways import services
from gateways.models import Gateway, Membership, PairingAttempt, Site
from tests.factories import GatewayFactory, MembershipFactory, SiteFactory, UserFactory
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator


def control(sim: ThreadedSimulator, path: str, body: dict[str, Any] | None = None) -> Any:
    """Use the simulator's hardware controls (``/_sim/...``) as a person on site would."""
    request = urllib.request.Request(  # noqa: S310 - a loopback URL we built
        f"{sim.url}/_sim/{path}",
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.fixture(autouse=True)
def _fast_gateway_settings(settings: Any) -> None:
    settings.TTPORTAL_DISCOVERY_INTERFACES = ["127.0.0.1"]
    settings.TTPORTAL_DISCOVERY_SECONDS = 1.5
    settings.TTPORTAL_PAIRING_SECONDS = 2.0
    settings.TTPORTAL_PAIRING_POLL_SECONDS = 0.2


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimulatorConfig(host="127.0.0.1", port=0, auth_timeout=1.0)) as s:
        yield s


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
def gateway(site: Site, sim: ThreadedSimulator) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen", host=sim.host, port=sim.port)


def pair(gateway: Gateway, sim: ThreadedSimulator) -> PairingAttempt:
    """Press the button and pair, as a manager does from the gateway's page."""
    control(sim, "button")
    attempt = services.start_pairing(gateway, None)
    return services.run_pairing(attempt.pk)


@pytest.fixture
def paired_gateway(gateway: Gateway, sim: ThreadedSimulator) -> Gateway:
    assert pair(gateway, sim).outcome == PairingAttempt.Outcome.PAIRED
    gateway.refresh_from_db()
    return gateway
