"""Discovery on the LAN (loopback here), against simulators announcing themselves with mDNS.

Other gateways may announce themselves beside these tests (a demo from ``scripts/start``,
another suite's simulators): every assertion looks only at the gateway its test started.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Iterator

import pytest

from gateways import services
from gateways.browsing import FoundGateway
from gateways.models import Gateway
from gateways.services.discovery import Found
from tests.portal_fixtures import eventually_in_db, pair
from ttgateway.protocol import SERVICE_TYPE
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator

pytestmark = pytest.mark.django_db

_names = itertools.count(1)


@pytest.fixture
def announced() -> Iterator[ThreadedSimulator]:
    """A simulated gateway announcing itself with mDNS, on loopback only, under a name of its
    own (this process, this test): a name on mDNS is unique on the LAN."""
    name = f"Patio Gateway {os.getpid()}-{next(_names)}"
    config = SimulatorConfig(
        host="127.0.0.1", port=0, name=name, mdns=True, mdns_interfaces=["127.0.0.1"]
    )
    with ThreadedSimulator(config) as sim:
        yield sim


def service_name(sim: ThreadedSimulator) -> str:
    return f"{sim.config.name}.{SERVICE_TYPE}"


def ours(
    sim: ThreadedSimulator, results: list[tuple[Gateway, Found]]
) -> list[tuple[Gateway, Found]]:
    """Of what discovery found, the gateway this test started."""
    return [
        (gateway, found) for gateway, found in results if gateway.service_name == service_name(sim)
    ]


def test_discovery_finds_a_gateway_announcing_itself_on_the_lan(site, announced):
    [(gateway, found)] = ours(announced, services.discover(site))

    assert found is Found.NEW
    assert gateway.name == announced.config.name
    assert gateway.service_name == service_name(announced)
    assert (gateway.host, gateway.port) == ("127.0.0.1", announced.port)
    assert gateway.status == Gateway.Status.UNPAIRED
    assert gateway.firmware == "2.4.1-sim"


def test_discovering_twice_keeps_one_gateway(site, announced):
    services.discover(site)
    [(_, found)] = ours(announced, services.discover(site))

    assert found is Found.UNCHANGED
    assert Gateway.objects.filter(service_name=service_name(announced)).count() == 1


def test_a_gateway_at_a_new_address_is_followed_without_pairing_again(site, announced):
    [(gateway, _)] = ours(announced, services.discover(site))
    pair(gateway, announced)
    token_before = gateway.current_token()

    announced.controls.move_address("127.0.0.2", 0)
    [(moved, found)] = ours(announced, services.discover(site))

    assert found is Found.MOVED
    assert moved.pk == gateway.pk
    assert (moved.host, moved.port) == ("127.0.0.2", announced.port)
    assert moved.current_token() == token_before
    services.check_gateways([moved])
    moved.refresh_from_db()
    assert moved.status == Gateway.Status.ONLINE
    assert moved.status_changes.filter(detail__startswith="moved from 127.0.0.1").exists()


def test_a_gateway_added_by_hand_is_recognised_when_it_announces_itself(site):
    added = Gateway.objects.create(site=site, name="By hand", host="127.0.0.1", port=8123)
    found = FoundGateway("Bar GW._tracker-http._tcp.local.", "127.0.0.1", 8123)

    gateway, outcome = services.record_found(site, found)

    assert gateway.pk == added.pk
    assert outcome is Found.UNCHANGED
    assert gateway.service_name == found.service_name


def test_the_same_gateway_name_on_two_sites_is_two_gateways(site, other_site):
    found = FoundGateway("TT Gateway._tracker-http._tcp.local.", "127.0.0.1", 8000)

    first, _ = services.record_found(site, found)
    second, _ = services.record_found(other_site, found)

    assert first.pk != second.pk


def test_adding_a_gateway_by_address_checks_that_it_answers(site, sim):
    gateway = services.add_by_address(site, " 127.0.0.1 ", sim.port)

    assert gateway.name == "TT Gateway"
    assert gateway.reachable
    assert gateway.status == Gateway.Status.UNPAIRED


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("not a host!", 8000, "is not an IP address or a host name"),
        ("127.0.0.1", 70000, "out of range"),
        ("127.0.0.1", 1, "No Table Tracker gateway answered at 127.0.0.1:1"),
    ],
)
def test_adding_a_gateway_by_a_bad_address_says_what_is_wrong(site, host, port, message):
    with pytest.raises(services.AddGatewayError, match=message):
        services.add_by_address(site, host, port)
    assert not Gateway.objects.exists()


def test_adding_the_same_address_twice_is_refused(site, sim):
    services.add_by_address(site, "127.0.0.1", sim.port)

    with pytest.raises(services.AddGatewayError, match="already at"):
        services.add_by_address(site, "127.0.0.1", sim.port)


def test_sites_sharing_a_lan_get_one_copy_of_each_gateway(site, other_site, announced):
    services.discover_for([site, other_site])
    services.discover_for([site, other_site])

    [gateway] = Gateway.objects.filter(service_name=service_name(announced))
    assert gateway.site == site


def test_a_gateway_an_admin_moved_to_another_site_stays_there(site, other_site, announced):
    [(gateway, _)] = ours(announced, services.discover_for([site, other_site]))
    gateway.site = other_site
    gateway.save()

    [(again, found)] = ours(announced, services.discover_for([site, other_site]))

    assert again.pk == gateway.pk
    assert again.site == other_site
    assert found is Found.UNCHANGED


@pytest.mark.django_db(transaction=True)
async def test_continuous_discovery_follows_a_gateway_to_its_new_address_in_seconds(
    site, announced
):
    stop = asyncio.Event()
    watching = asyncio.create_task(services.watch_lan(stop))
    try:
        mine = Gateway.objects.filter(service_name=service_name(announced))
        gateway = await eventually_in_db(lambda: mine.first())
        assert gateway.port == announced.port

        await asyncio.to_thread(announced.controls.move_address, "127.0.0.3", 0)

        moved = await eventually_in_db(lambda: mine.filter(host="127.0.0.3").first())
        assert moved.pk == gateway.pk
    finally:
        stop.set()
        await watching
