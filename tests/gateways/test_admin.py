"""The admin is scoped like the portal: staff who are not superusers see their sites only."""

from __future__ import annotations

import pytest

from tests.factories import GatewayFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(alice, bob, charlie):
    from django.contrib.auth.models import Permission

    permissions = Permission.objects.filter(content_type__app_label="gateways")
    for person in (alice, bob, charlie):
        person.is_staff = True
        person.save()
        person.user_permissions.set(permissions)


def test_a_staff_member_lists_only_the_gateways_of_their_sites(
    client, staff, charlie, gateway, other_site
):
    GatewayFactory(site=other_site, name="Hilltop bar")
    client.force_login(charlie)

    page = client.get("/admin/gateways/gateway/").content.decode()

    assert "Hilltop bar" in page
    assert "Kitchen" not in page


def test_a_staff_member_cannot_open_another_sites_gateway(client, staff, charlie, gateway):
    client.force_login(charlie)

    response = client.get(f"/admin/gateways/gateway/{gateway.pk}/change/", follow=True)

    assert "Kitchen" not in response.content.decode()


def test_a_viewer_may_look_at_but_not_change_a_gateway_in_the_admin(client, staff, bob, gateway):
    client.force_login(bob)

    url = f"/admin/gateways/gateway/{gateway.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"name": "Renamed", "site": gateway.site_id, "host": "x", "port": 1}
    )

    gateway.refresh_from_db()
    assert response.status_code == 403
    assert gateway.name == "Kitchen"
