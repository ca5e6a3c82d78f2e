"""A gateway is the device that proves it, not whatever announces its name (issue 11, finding 1).

Two simulators on loopback: ``sim`` is the paired gateway, ``impostor`` another device that
announces (or sits at) its name or address. The impostor never receives the token: it would
refuse it, and before this rule that refusal revoked the portal's own valid token.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateways import services
from gateways.browsing import FoundGateway
from gateways.models import DeviceConflict, Gateway
from gateways.services.discovery import Found
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator

pytestmark = pytest.mark.django_db

SERVICE = "Kitchen._tracker-http._tcp.local."


@pytest.fixture
def impostor() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimulatorConfig(host="127.0.0.1", port=0)) as s:
        yield s


@pytest.fixture
def announced_gateway(paired_gateway: Gateway) -> Gateway:
    Gateway.objects.filter(pk=paired_gateway.pk).update(service_name=SERVICE)
    paired_gateway.refresh_from_db()
    return paired_gateway


def test_pairing_records_who_the_device_says_it_is(paired_gateway, sim):
    assert paired_gateway.serial == sim.state.identity.serial
    assert paired_gateway.device_name == "TT Gateway"
    assert paired_gateway.model == "TT-GW2"


def test_another_device_under_a_paired_gateways_name_is_recorded_not_followed(
    announced_gateway, sim, impostor
):
    before = (announced_gateway.host, announced_gateway.port)

    recorded = services.record_found(
        announced_gateway.site, FoundGateway(SERVICE, impostor.host, impostor.port)
    )

    assert recorded is not None
    assert recorded[1] is Found.CONFLICT
    announced_gateway.refresh_from_db()
    assert (announced_gateway.host, announced_gateway.port) == before
    conflict = DeviceConflict.objects.get(gateway=announced_gateway)
    assert (conflict.host, conflict.port) == (impostor.host, impostor.port)
    assert impostor.state.identity.serial in conflict.said
    services.check_gateways([announced_gateway])
    announced_gateway.refresh_from_db()
    assert announced_gateway.status == Gateway.Status.ONLINE
    assert announced_gateway.current_token() is not None


def test_the_paired_gateway_is_followed_once_it_proves_itself_at_its_new_address(
    announced_gateway, sim
):
    sim.controls.move_address("127.0.0.4")

    recorded = services.record_found(
        announced_gateway.site, FoundGateway(SERVICE, "127.0.0.4", sim.port)
    )

    assert recorded is not None
    assert recorded[1] is Found.MOVED
    announced_gateway.refresh_from_db()
    assert (announced_gateway.host, announced_gateway.port) == ("127.0.0.4", sim.port)
    assert not DeviceConflict.objects.exists()


def test_a_copy_giving_the_same_serial_is_not_followed_while_the_gateway_still_answers(
    announced_gateway, sim, impostor
):
    impostor.state.identity.serial = sim.state.identity.serial

    recorded = services.record_found(
        announced_gateway.site, FoundGateway(SERVICE, impostor.host, impostor.port)
    )

    assert recorded is not None
    assert recorded[1] is Found.CONFLICT
    announced_gateway.refresh_from_db()
    assert announced_gateway.port == sim.port


def test_another_device_at_the_gateways_address_gets_no_token_and_revokes_nothing(
    paired_gateway, impostor
):
    # DHCP gave the gateway's address to another device (here: the gateway "is" elsewhere).
    Gateway.objects.filter(pk=paired_gateway.pk).update(port=impostor.port)
    paired_gateway.refresh_from_db()

    [seen] = services.check_gateways([paired_gateway])

    paired_gateway.refresh_from_db()
    assert seen.impostor is not None
    assert paired_gateway.status == Gateway.Status.OFFLINE
    assert paired_gateway.current_token() is not None
    assert DeviceConflict.objects.filter(gateway=paired_gateway, port=impostor.port).exists()


def test_a_gateway_paired_before_serials_gets_its_identity_where_its_token_works(
    paired_gateway, sim
):
    Gateway.objects.filter(pk=paired_gateway.pk).update(
        serial="", device_name="", token_checked=None
    )
    paired_gateway.refresh_from_db()

    services.check_gateways([paired_gateway])

    paired_gateway.refresh_from_db()
    assert paired_gateway.serial == sim.state.identity.serial


def test_a_manager_and_an_admin_see_the_conflict(
    client, alice, admin_client, announced_gateway, impostor
):
    services.record_found(
        announced_gateway.site, FoundGateway(SERVICE, impostor.host, impostor.port)
    )
    client.force_login(alice)

    page = client.get(f"/gateways/{announced_gateway.pk}/").content.decode()
    admin = admin_client.get("/admin/gateways/deviceconflict/").content.decode()

    assert "Another device" in page
    assert f"{impostor.host}:{impostor.port}" in page
    assert f"{impostor.host}:{impostor.port}" in admin or str(impostor.port) in admin


def test_a_token_refusal_from_another_device_revokes_nothing(paired_gateway, impostor):
    Gateway.objects.filter(pk=paired_gateway.pk).update(port=impostor.port)
    paired_gateway.refresh_from_db()

    assert not services.mark_needs_pairing(paired_gateway, "a board command: Invalid token.")

    paired_gateway.refresh_from_db()
    assert paired_gateway.status == Gateway.Status.ONLINE
    assert paired_gateway.current_token() is not None
    assert DeviceConflict.objects.filter(gateway=paired_gateway).exists()


def test_a_token_refusal_from_the_gateway_itself_still_asks_for_pairing(paired_gateway, sim):
    assert services.mark_needs_pairing(paired_gateway, "a board command: Invalid token.")

    paired_gateway.refresh_from_db()
    assert paired_gateway.status == Gateway.Status.NEEDS_PAIRING
    assert paired_gateway.current_token() is None


def test_the_history_pull_sends_no_token_to_another_device(paired_gateway, impostor):
    from orders.services import pull
    from orders.services.pull import Outcome

    Gateway.objects.filter(pk=paired_gateway.pk).update(port=impostor.port)

    result = pull.pull_gateway(paired_gateway.pk)

    paired_gateway.refresh_from_db()
    assert result.outcome == Outcome.FAILED
    assert "Another device" in result.error
    assert paired_gateway.status != Gateway.Status.NEEDS_PAIRING


def test_an_address_typed_in_the_admin_obeys_the_outbound_rule(admin_client, gateway, settings):
    settings.TTPORTAL_GATEWAY_NETWORKS = ["10.0.0.0/8"]
    url = f"/admin/gateways/gateway/{gateway.pk}/change/"
    form = {
        "site": gateway.site_id,
        "name": gateway.name,
        "service_name": "",
        "host": "169.254.169.254",
        "port": 80,
        "tokens-TOTAL_FORMS": 0,
        "tokens-INITIAL_FORMS": 0,
        "conflicts-TOTAL_FORMS": 0,
        "conflicts-INITIAL_FORMS": 0,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }

    response = admin_client.post(url, form)

    assert response.status_code == 200  # the form again, with the refusal
    assert "can&#x27;t be used for a gateway" in response.content.decode()
    gateway.refresh_from_db()
    assert gateway.host != "169.254.169.254"
