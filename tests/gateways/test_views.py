"""Who may see and do what: alice manages Riverside, bob views it, charlie manages Hilltop."""

from __future__ import annotations

import pytest

from gateways.models import Gateway, PairingAttempt
from tests.factories import GatewayFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hilltop_gateway(other_site) -> Gateway:
    return GatewayFactory.create(site=other_site, name="Hilltop bar")


def test_a_visitor_is_sent_to_sign_in(client, gateway):
    response = client.get("/gateways/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_list_shows_only_the_sites_a_person_belongs_to(client, bob, gateway, hilltop_gateway):
    client.force_login(bob)

    page = client.get("/gateways/").content.decode()

    assert "Kitchen" in page
    assert "Hilltop bar" not in page
    assert "Look for gateways now" not in page, "bob only views"


def test_a_manager_sees_the_pair_button_and_a_viewer_does_not(client, alice, bob, gateway):
    client.force_login(alice)
    assert "pair now" in client.get(f"/gateways/{gateway.pk}/").content.decode()

    client.force_login(bob)
    page = client.get(f"/gateways/{gateway.pk}/").content.decode()
    assert "pair now" not in page
    assert "Only a manager" in page


def test_a_manager_can_start_pairing(client, alice, gateway):
    client.force_login(alice)

    response = client.post(f"/gateways/{gateway.pk}/pair")

    assert response.status_code == 302
    attempt = PairingAttempt.objects.get()
    assert attempt.gateway == gateway
    assert attempt.started_by == alice


def test_a_viewer_cannot_pair(client, bob, gateway):
    client.force_login(bob)

    assert client.post(f"/gateways/{gateway.pk}/pair").status_code == 403
    assert not PairingAttempt.objects.exists()


def test_a_manager_of_another_site_can_neither_see_nor_pair(client, charlie, gateway):
    client.force_login(charlie)

    assert client.get(f"/gateways/{gateway.pk}/").status_code == 404
    assert client.post(f"/gateways/{gateway.pk}/pair").status_code == 404
    assert not PairingAttempt.objects.exists()


def test_pairing_needs_a_post(client, alice, gateway):
    client.force_login(alice)

    assert client.get(f"/gateways/{gateway.pk}/pair").status_code == 405


def test_a_manager_adds_a_gateway_by_address(client, alice, site, sim):
    client.force_login(alice)

    response = client.post(
        "/gateways/add", {"site": site.pk, "host": "127.0.0.1", "port": sim.port}
    )

    gateway = Gateway.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/gateways/{gateway.pk}/"
    assert gateway.site == site


def test_adding_a_silent_address_shows_why_and_keeps_the_form(client, alice, site):
    client.force_login(alice)

    response = client.post("/gateways/add", {"site": site.pk, "host": "127.0.0.1", "port": 1})

    assert response.status_code == 400
    page = response.content.decode()
    assert "No Table Tracker gateway answered at this address" in page
    assert 'value="127.0.0.1"' in page
    assert not Gateway.objects.exists()


def test_a_viewer_cannot_add_a_gateway(client, bob, site, sim):
    client.force_login(bob)

    response = client.post(
        "/gateways/add", {"site": site.pk, "host": "127.0.0.1", "port": sim.port}
    )

    assert response.status_code == 403
    assert not Gateway.objects.exists()


def test_a_manager_cannot_add_a_gateway_to_another_site(client, charlie, site, sim):
    client.force_login(charlie)

    response = client.post(
        "/gateways/add", {"site": site.pk, "host": "127.0.0.1", "port": sim.port}
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Gateway.objects.exists()


def test_discovery_on_demand_is_for_managers_of_that_site(client, alice, bob, charlie, site):
    client.force_login(alice)
    assert client.post(f"/gateways/sites/{site.pk}/discover").status_code == 302
    client.force_login(bob)
    assert client.post(f"/gateways/sites/{site.pk}/discover").status_code == 403
    client.force_login(charlie)
    assert client.post(f"/gateways/sites/{site.pk}/discover").status_code == 404
