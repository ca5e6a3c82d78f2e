"""The orders admin: scoped like the portal, read-only; "Page" and "Clear" go through services."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from orders.models import ActiveOrder, AuditEntry, OrderRecord
from orders.services.commands import start_order
from tests.factories import GatewayFactory
from tests.orders.factories import ActiveOrderFactory, OrderRecordFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/activeorder/"


@pytest.fixture
def staff(alice, bob, charlie):
    permissions = Permission.objects.filter(content_type__app_label__in=["orders", "gateways"])
    for person in (alice, bob, charlie):
        person.is_staff = True
        person.save()
        person.user_permissions.set(permissions)


@pytest.fixture
def riverside_order(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "12", "ON_PREMISES")
    sim.controls.start_tracker("12")  # its tracker joins it: it can be paged
    return ActiveOrder.objects.get(name="12")


def act(client, action: str, *orders: ActiveOrder):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [o.pk for o in orders]},
        follow=True,
    )


def test_a_staff_member_lists_only_the_orders_of_their_sites(
    client, staff, charlie, site, other_site
):
    ActiveOrderFactory(gateway=GatewayFactory(site=site, name="Kitchen"), name="111")
    ActiveOrderFactory(gateway=GatewayFactory(site=other_site, name="Hilltop bar"), name="222")
    client.force_login(charlie)

    page = client.get(CHANGELIST).content.decode()

    assert "222" in page
    assert "111" not in page


def test_a_manager_pages_an_order_from_the_admin(client, staff, alice, riverside_order):
    client.force_login(alice)

    response = act(client, "page", riverside_order)

    assert "Order 12 on Kitchen: Order 12 paged." in response.content.decode()
    riverside_order.refresh_from_db()
    assert riverside_order.paged
    entry = AuditEntry.objects.get(action="page")
    assert (entry.user, entry.via) == (alice, "admin")


def test_a_manager_clears_an_order_from_the_admin(client, staff, alice, riverside_order, sim):
    client.force_login(alice)

    act(client, "clear", riverside_order)

    assert not ActiveOrder.objects.exists()
    assert sim.controls.state().active_names == []
    assert OrderRecord.objects.get().cleared_by == OrderRecord.ClearedBy.PORTAL
    assert AuditEntry.objects.get(action="delete").via == "admin"


def test_the_gateways_refusal_is_shown_in_the_admin(client, staff, alice, riverside_order, sim):
    sim.controls.set_faults(paging_unavailable=True)
    client.force_login(alice)

    response = act(client, "page", riverside_order)

    assert "Order 12 on Kitchen: Paging unavailable." in response.content.decode()


def test_a_viewer_sees_orders_but_no_actions(client, staff, bob, riverside_order):
    client.force_login(bob)

    page = client.get(CHANGELIST).content.decode()
    assert "12" in page
    assert 'value="page"' not in page

    act(client, "clear", riverside_order)

    assert ActiveOrder.objects.exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_active_orders_cannot_be_edited_or_deleted_by_hand(client, staff, alice, riverside_order):
    client.force_login(alice)

    url = f"{CHANGELIST}{riverside_order.pk}/"
    assert client.get(url + "change/").status_code == 200, "a view, not a form"
    assert client.post(url + "change/", {"name": "13"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert client.get(CHANGELIST + "add/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/admin/orders/auditentry/?result__exact=refused&via__exact=board",
        "/admin/orders/orderrecord/?cleared_by__exact=portal",
        "/admin/orders/activeorder/?state__exact=started",
    ],
)
def test_the_lists_can_be_filtered(client, staff, alice, riverside_order, url):
    OrderRecordFactory(gateway=riverside_order.gateway, cleared_by="portal")
    client.force_login(alice)

    assert client.get(url).status_code == 200


def test_history_is_scoped_to_a_persons_sites(client, staff, charlie, site, other_site):
    OrderRecordFactory(gateway=GatewayFactory(site=site), name="111")
    OrderRecordFactory(gateway=GatewayFactory(site=other_site), name="222")
    client.force_login(charlie)

    page = client.get("/admin/orders/orderrecord/").content.decode()

    assert "222" in page
    assert "111" not in page
