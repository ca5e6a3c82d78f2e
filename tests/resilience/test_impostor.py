"""An impostor under a paired gateway's name, then the real gateway moving (issue 11, finding 1).

Two simulators on loopback (zeroconf bound to 127.0.0.1 only) announce the same service name;
the portal's continuous discovery, its relay and its health checks run as in the single box.
The impostor must change nothing but an admin's list of conflicts; the real gateway, moved by
DHCP, must be followed once it proves to be itself. Every wait is on observable state.
"""

from __future__ import annotations

import asyncio
import uuid
from asyncio import to_thread as in_thread
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from gateways import services
from gateways.models import DeviceConflict, Gateway, PairingAttempt, StatusChange
from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from tests.factories import SiteFactory
from tests.portal_fixtures import eventually_in_db as eventually
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator

pytestmark = pytest.mark.django_db(transaction=True)

FAST = RelaySettings(refresh_seconds=0.2, heartbeat_seconds=2, backoff_base=0.1, backoff_cap=0.5)
# Other simulators may be announcing on this machine's loopback: a name of our own.
NAME = f"Kitchen {uuid.uuid4().hex[:8]}"
SERVICE = f"{NAME}._tracker-http._tcp.local."


@pytest.fixture(autouse=True)
def _loopback_lan(settings: Any) -> None:
    settings.TTPORTAL_DISCOVERY_INTERFACES = ["127.0.0.1"]
    settings.TTPORTAL_PAIRING_SECONDS = 5.0
    settings.TTPORTAL_PAIRING_POLL_SECONDS = 0.2
    settings.TTPORTAL_TOKEN_CHECK_SECONDS = 0.0  # every health check proves the token


def announcing(claim_name: bool = False) -> ThreadedSimulator:
    config = SimulatorConfig(
        host="127.0.0.1", port=0, name=NAME, mdns=True, mdns_claim_name=claim_name
    )
    return ThreadedSimulator(config)


@pytest.fixture
def real() -> Iterator[ThreadedSimulator]:
    with announcing() as sim:
        yield sim


@pytest.fixture
async def portal() -> AsyncIterator[Relay]:
    """Continuous discovery and the relay, as the single box runs them."""
    stop = asyncio.Event()
    relay = Relay(MirrorFeed(), FAST)
    tasks = [asyncio.create_task(services.watch_lan(stop)), asyncio.create_task(relay.run(stop))]
    yield relay
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)


def the_gateway() -> Gateway | None:
    return Gateway.objects.filter(service_name=SERVICE).first()


def pair_it(gateway: Gateway, sim: ThreadedSimulator) -> str:
    sim.controls.press_button()
    return str(services.run_pairing(services.start_pairing(gateway, None).pk).outcome)


def token_works(gateway_id: int) -> bool:
    gateway = Gateway.objects.get(pk=gateway_id)
    [seen] = services.check_gateways([gateway])
    return seen.token_checked and not seen.token_rejected


def conflicts_at(port: int) -> bool:
    return DeviceConflict.objects.filter(gateway__service_name=SERVICE, port=port).exists()


def never_needed_pairing(gateway_id: int) -> bool:
    return not StatusChange.objects.filter(
        gateway_id=gateway_id, status=Gateway.Status.NEEDS_PAIRING
    ).exists()


async def test_an_impostor_changes_nothing_and_the_real_gateway_is_followed_after_proof(
    real, portal, admin_client
):
    await sync_to_async(SiteFactory.create)(name="Riverside")
    found = await eventually(the_gateway, within=15)
    assert found is not None
    gateway: Gateway = found
    assert await in_thread(pair_it, gateway, real) == PairingAttempt.Outcome.PAIRED
    await eventually(lambda: gateway.pk in portal.connected)
    address = (gateway.host, gateway.port)

    with announcing(claim_name=True) as impostor:
        await eventually(lambda: conflicts_at(impostor.port), within=15)

        now = await sync_to_async(Gateway.objects.get)(pk=gateway.pk)
        assert (now.host, now.port) == address
        assert await sync_to_async(token_works)(gateway.pk)
        assert gateway.pk in portal.connected
        admin = await sync_to_async(admin_client.get)("/admin/gateways/deviceconflict/")
        assert str(impostor.port) in admin.content.decode()

        await in_thread(real.controls.move_address, "127.0.0.5")
        moved = await eventually(
            lambda: Gateway.objects.filter(pk=gateway.pk, host="127.0.0.5").first(), within=15
        )
        assert moved is not None
        assert moved.port == real.port
        await eventually(lambda: gateway.pk in portal.connected and token_works(gateway.pk))

    assert await sync_to_async(never_needed_pairing)(gateway.pk)
    final = await sync_to_async(Gateway.objects.get)(pk=gateway.pk)
    assert final.status == Gateway.Status.ONLINE
    assert await sync_to_async(final.current_token)() is not None
