"""The orders admin: scoped like the portal; start, locate, page and clear go through services."""

from __future__ import annotations

import re

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

    # The listed orders' names, not any "111" on the page (a gateway id can be 111).
    assert re.findall(r'<th class="field-name"><a [^>]*>([^<]*)</a>', page) == ["222"]


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

    assert (
        "Order 12 on Kitchen: Kitchen cannot page trackers right now." in response.content.decode()
    )


def test_a_viewer_sees_orders_but_no_actions(client, staff, bob, riverside_order):
    client.force_login(bob)

    page = client.get(CHANGELIST).content.decode()
    assert "12" in page
    assert 'value="page"' not in page

    act(client, "clear", riverside_order)

    assert ActiveOrder.objects.exists()
    assert not AuditEntry.objects.filter(action="delete").exists()


def test_a_manager_starts_an_order_from_the_admin_through_the_gateway(
    client, staff, alice, paired_gateway, sim
):
    client.force_login(alice)

    response = client.post(
        CHANGELIST + "add/",
        {"gateway": paired_gateway.pk, "name": "07", "order_type": "TO_GO", "location": "4"},
        follow=True,
    )

    assert response.status_code == 200
    order = ActiveOrder.objects.get()
    assert (order.name, order.location, order.order_type) == ("7", "4", "TO_GO")
    assert "7" in sim.controls.state().active_names
    entry = AuditEntry.objects.get(action="start")
    assert (entry.actor, entry.via, entry.result) == ("alice", "admin", "ok")


def test_a_bad_number_in_the_admin_is_explained_next_to_its_field(
    client, staff, alice, paired_gateway, sim
):
    client.force_login(alice)

    response = client.post(
        CHANGELIST + "add/",
        {"gateway": paired_gateway.pk, "name": "9" * 10_000, "order_type": "TO_GO"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "An order number is a whole number above 0 with at most 9 digits."
    ]
    assert not ActiveOrder.objects.exists()


def test_a_manager_sets_an_orders_table_from_the_admin(client, staff, alice, riverside_order, sim):
    client.force_login(alice)

    response = client.post(
        f"{CHANGELIST}{riverside_order.pk}/change/", {"location": "9"}, follow=True
    )

    assert response.status_code == 200
    riverside_order.refresh_from_db()
    assert riverside_order.location == "9"
    assert AuditEntry.objects.get(action="locate").via == "admin"


def test_deleting_an_order_in_the_admin_clears_it_on_the_gateway(
    client, staff, alice, riverside_order, sim
):
    client.force_login(alice)

    client.post(f"{CHANGELIST}{riverside_order.pk}/delete/", {"post": "yes"}, follow=True)

    assert not ActiveOrder.objects.exists()
    assert "12" not in sim.controls.state().active_names
    assert AuditEntry.objects.get(action="delete").via == "admin"


def test_a_viewer_cannot_start_locate_or_delete_in_the_admin(client, staff, bob, riverside_order):
    client.force_login(bob)

    url = f"{CHANGELIST}{riverside_order.pk}/"
    assert client.get(url + "change/").status_code == 200, "a view, not a form"
    assert client.post(url + "change/", {"location": "13"}).status_code == 403
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert client.get(CHANGELIST + "add/").status_code == 403
    assert ActiveOrder.objects.get().location == riverside_order.location


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


@pytest.mark.django_db(transaction=True)
def test_the_admin_calls_the_gateway_outside_any_transaction(
    client, staff, alice, paired_gateway, sim, monkeypatch
):
    from django.db import connection

    from orders.services import commands

    seen: list[bool] = []
    start = commands.start_order

    def watched(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return start(*args, **kwargs)

    monkeypatch.setattr(commands, "start_order", watched)
    client.force_login(alice)

    client.post(
        CHANGELIST + "add/",
        {"gateway": paired_gateway.pk, "name": "5", "order_type": "TO_GO"},
    )

    assert seen == [False], "a transaction open across a network call holds SQLite's lock"
