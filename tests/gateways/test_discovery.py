from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from gateways import browsing, services
from gateways.browsing import FoundGateway
from gateways.models import Gateway
from gateways.services.discovery import Found
from tests.portal_fixtures import eventually_in_db, pair
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedSimulator]:
    """A simulated gateway announcing itself with mDNS, on loopback only.

    Other simulators may announce on this machine's loopback too (a demo, another test run):
    discovery here sees only this one, told apart by its port (unique on the machine).
    """
    config = SimulatorConfig(
        host="127.0.0.1", port=0, name="Patio Gateway", mdns=True, mdns_interfaces=["127.0.0.1"]
    )
    with ThreadedSimulator(config) as sim:
        browse, watch = browsing.browse, browsing.watch

        async def only_ours(seconds: float | None = None) -> list[FoundGateway]:
            return [found for found in await browse(seconds) if found.port == sim.port]

        async def watch_ours(on_found: Any, stop: asyncio.Event) -> None:
            async def filtered(found: FoundGateway) -> None:
                if found.port == sim.port:
                    await on_found(found)

            await watch(filtered, stop)

        monkeypatch.setattr(browsing, "browse", only_ours)
        monkeypatch.setattr(browsing, "watch", watch_ours)
        yield sim


def test_discovery_finds_a_gateway_announcing_itself_on_the_lan(site, announced):
    [(gateway, found)] = services.discover(site)

    assert found is Found.NEW
    assert gateway.name == "Patio Gateway"
    assert gateway.service_name == "Patio Gateway._tracker-http._tcp.local."
    assert (gateway.host, gateway.port) == ("127.0.0.1", announced.port)
    assert gateway.status == Gateway.Status.UNPAIRED
    assert gateway.firmware == "2.4.1-sim"


def test_discovering_twice_keeps_one_gateway(site, announced):
    services.discover(site)
    [(_, found)] = services.discover(site)

    assert found is Found.UNCHANGED
    assert Gateway.objects.count() == 1


def test_a_gateway_at_a_new_address_is_followed_without_pairing_again(site, announced):
    [(gateway, _)] = services.discover(site)
    pair(gateway, announced)
    token_before = gateway.current_token()

    announced.controls.move_address("127.0.0.2")
    [(moved, found)] = services.discover(site)

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

    recorded = services.record_found(site, found)

    assert recorded is not None
    gateway, outcome = recorded
    assert gateway.pk == added.pk
    assert outcome is Found.UNCHANGED
    assert gateway.service_name == found.service_name


def test_the_same_gateway_name_at_two_addresses_on_two_sites_is_two_gateways(site, other_site):
    name = "TT Gateway._tracker-http._tcp.local."

    first = services.record_found(site, FoundGateway(name, "127.0.0.1", 8000))
    second = services.record_found(other_site, FoundGateway(name, "127.0.0.2", 8000))

    assert first is not None
    assert second is not None
    assert first[0].pk != second[0].pk


def test_an_address_already_filed_under_one_site_is_not_filed_under_another(site, other_site):
    found = FoundGateway("TT Gateway._tracker-http._tcp.local.", "127.0.0.1", 8000)

    services.record_found(site, found)

    assert services.record_found(other_site, found) is None
    assert Gateway.objects.get().site == site


def test_adding_a_gateway_by_address_checks_that_it_answers(site, sim):
    gateway = services.add_by_address(site, " 127.0.0.1 ", sim.port)

    assert gateway.name == "TT Gateway"
    assert gateway.reachable
    assert gateway.status == Gateway.Status.UNPAIRED


@pytest.mark.parametrize(
    ("host", "port", "message"),
    [
        ("not a host!", 8000, "Enter an IP address or a host name"),
        ("127.0.0.1", 70000, "Enter a port from 1 to 65535"),
        ("127.0.0.1", 1, "No Table Tracker gateway answered at this address"),
    ],
)
def test_adding_a_gateway_by_a_bad_address_says_what_is_wrong(site, host, port, message):
    with pytest.raises(services.AddGatewayError, match=message):
        services.add_by_address(site, host, port)
    assert not Gateway.objects.exists()


def test_adding_the_same_address_twice_is_refused(site, sim):
    services.add_by_address(site, "127.0.0.1", sim.port)

    with pytest.raises(services.AddGatewayError, match="already"):
        services.add_by_address(site, "127.0.0.1", sim.port)


def test_the_same_address_may_not_be_filed_under_two_sites(site, other_site, sim):
    services.add_by_address(site, "127.0.0.1", sim.port)

    with pytest.raises(services.AddGatewayError, match="already filed under another site"):
        services.add_by_address(other_site, "127.0.0.1", sim.port)
    assert Gateway.objects.count() == 1


def test_sites_sharing_a_lan_get_one_copy_of_each_gateway(site, other_site, announced):
    services.discover_for([site, other_site])
    services.discover_for([site, other_site])

    assert Gateway.objects.count() == 1
    assert Gateway.objects.get().site == site


def test_a_gateway_an_admin_moved_to_another_site_stays_there(site, other_site, announced):
    [(gateway, _)] = services.discover_for([site, other_site])
    gateway.site = other_site
    gateway.save()

    [(again, found)] = services.discover_for([site, other_site])

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
        gateway = await eventually_in_db(lambda: Gateway.objects.filter(site=site).first())
        assert gateway.port == announced.port

        await asyncio.to_thread(announced.controls.move_address, "127.0.0.3")

        moved = await eventually_in_db(lambda: Gateway.objects.filter(host="127.0.0.3").first())
        assert moved.pk == gateway.pk
    finally:
        stop.set()
        await watching
