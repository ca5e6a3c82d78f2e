"""The board pages and their actions: who sees what, who may act, and what they are told.

alice manages Riverside, bob only views Riverside, charlie manages Hilltop.
"""

from __future__ import annotations

import pytest
from django.test import Client

from gateways.models import Gateway
from orders.models import ActiveOrder, AuditEntry, OrderRecord
from tests.factories import GatewayFactory

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}

ACTIONS = [
    ("start", {"name": "12", "order_type": "ON_PREMISES"}),
    ("locate", {"name": "12", "table": "4"}),
    ("type", {"name": "12", "order_type": "TO_GO"}),
    ("page", {"name": "12"}),
    ("clear", {"name": "12"}),
    ("clear-all", {"confirm": "yes"}),
]


@pytest.fixture
def kitchen(site) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen", status=Gateway.Status.ONLINE)


def test_a_visitor_is_sent_to_sign_in(client, site):
    response = client.get("/board/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_board_is_in_the_navigation(client, alice):
    client.force_login(alice)

    assert 'href="/board/"' in client.get("/").content.decode()


def test_the_board_shows_a_section_per_site_the_person_belongs_to(
    client, alice, charlie, site, other_site
):
    client.force_login(alice)

    page = client.get("/board/").content.decode()

    assert f'data-board-site="{site.pk}"' in page
    assert f'data-board-site="{other_site.pk}"' not in page
    assert 'data-live-path="/ws/board/"' in page
    assert "ttportal/board.js" in page


def test_a_site_board_asks_the_socket_for_that_site_only(client, alice, site):
    client.force_login(alice)

    page = client.get(f"/board/{site.pk}/").content.decode()

    assert f'data-live-site="{site.pk}"' in page


def test_a_site_board_of_another_site_is_not_found(client, charlie, site):
    client.force_login(charlie)

    assert client.get(f"/board/{site.pk}/").status_code == 404


def test_a_manager_gets_the_controls_and_a_viewer_does_not(client, alice, bob, kitchen):
    client.force_login(alice)
    page = client.get("/board/").content.decode()
    assert 'data-can-manage="1"' in page
    assert f'data-action="start" data-gateway="{kitchen.pk}"' in page
    assert "Clear all" in page

    client.force_login(bob)
    page = client.get("/board/").content.decode()
    assert 'data-can-manage="0"' in page
    assert 'data-action="start"' not in page
    assert "Clear all" not in page


def test_wall_mode_is_asked_for_in_the_address(client, alice, site):
    client.force_login(alice)

    page = client.get("/board/?wall=1").content.decode()

    assert 'class="board-page wall"' in page


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_a_viewer_may_not_act(client, bob, kitchen, action, data):
    client.force_login(bob)

    response = client.post(f"/board/gateways/{kitchen.pk}/{action}", data, headers=JSON)

    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_someone_from_another_site_does_not_even_find_the_gateway(
    client, charlie, kitchen, action, data
):
    client.force_login(charlie)

    response = client.post(f"/board/gateways/{kitchen.pk}/{action}", data, headers=JSON)

    assert response.status_code == 404
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_a_visitor_may_not_act(client, kitchen, action, data):
    response = client.post(f"/board/gateways/{kitchen.pk}/{action}", data, headers=JSON)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_actions_need_the_csrf_token(alice, kitchen, action, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(f"/board/gateways/{kitchen.pk}/{action}", data, headers=JSON)

    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("action", ["start", "locate", "type", "page", "clear"])
def test_actions_are_posts_only(client, alice, kitchen, action):
    client.force_login(alice)

    assert client.get(f"/board/gateways/{kitchen.pk}/{action}").status_code == 405


def test_a_manager_starts_an_order_and_hears_the_gateways_words(client, alice, paired_gateway, sim):
    client.force_login(alice)

    response = client.post(
        f"/board/gateways/{paired_gateway.pk}/start",
        {"name": "12", "order_type": "ON_PREMISES", "table": ""},
        headers=JSON,
    )

    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "message": "Order 12 started.",
        "warning": "Tracker not assigned with order.",
    }
    assert sim.controls.state().active_names == ["12"]
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.via, entry.action) == (alice, "board", "start")


def test_a_refusal_comes_back_verbatim_and_changes_nothing(client, alice, paired_gateway, sim):
    client.force_login(alice)

    response = client.post(
        f"/board/gateways/{paired_gateway.pk}/start",
        {"name": "twelve", "order_type": "ON_PREMISES"},
        headers=JSON,
    )

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "message": "Invalid order name. Must be a positive integer.",
        "warning": None,
    }
    assert sim.controls.state().active_names == []


def test_a_gateway_that_does_not_answer_is_a_bad_gateway(client, alice, paired_gateway, sim):
    client.force_login(alice)
    sim.stop()

    response = client.post(
        f"/board/gateways/{paired_gateway.pk}/page", {"name": "12"}, headers=JSON
    )

    assert response.status_code == 502
    assert response.json()["ok"] is False
    assert "did not answer" in response.json()["message"]


def test_every_action_works_from_the_board(client, alice, paired_gateway, sim):
    client.force_login(alice)
    sim.controls.start_tracker("12")
    root = f"/board/gateways/{paired_gateway.pk}"

    def post(action: str, data: dict[str, str]) -> dict[str, object]:
        response = client.post(f"{root}/{action}", data, headers=JSON)
        assert response.status_code == 200, response.content
        return dict(response.json())

    assert post("start", {"name": "12", "order_type": "ON_PREMISES"})["message"] == (
        "Order already started."
    )
    assert post("locate", {"name": "12", "table": "4"})["message"] == "Order 12 moved to table 4."
    assert (
        post("type", {"name": "12", "order_type": "TO_GO"})["message"] == "Order 12 is now to go."
    )
    assert post("page", {"name": "12"})["message"] == "Order 12 paged."
    order = ActiveOrder.objects.get()
    assert (order.location, order.order_type, order.paged) == ("4", "TO_GO", True)
    assert post("clear", {"name": "12"})["message"] == "Order 12 cleared."
    assert OrderRecord.objects.get().cleared_by == "portal"
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "start",
        "locate",
        "change_type",
        "page",
        "delete",
    ]


def test_a_form_posted_without_scripts_goes_back_to_the_board_with_a_message(
    client, alice, paired_gateway, sim
):
    client.force_login(alice)
    board = f"/board/{paired_gateway.site_id}/?wall=0"

    response = client.post(
        f"/board/gateways/{paired_gateway.pk}/start",
        {"name": "7", "order_type": "TO_GO", "next": board},
        follow=True,
    )

    assert response.redirect_chain == [(board, 302)]
    said = [str(m) for m in response.context["messages"]]
    assert said == ["Order 7 started.", "Tracker not assigned with order."]


def test_a_next_address_elsewhere_is_ignored(client, alice, paired_gateway, sim):
    client.force_login(alice)

    response = client.post(
        f"/board/gateways/{paired_gateway.pk}/start",
        {"name": "7", "order_type": "TO_GO", "next": "https://evil.example/"},
    )

    assert response["Location"] == f"/board/{paired_gateway.site_id}/"


def test_clearing_all_asks_first(client, alice, paired_gateway, sim):
    client.force_login(alice)
    for name in ("1", "2"):
        sim.controls.start_tracker(name)
    url = f"/board/gateways/{paired_gateway.pk}/clear-all"

    asked = client.get(url)
    assert asked.status_code == 200
    assert 'name="confirm" value="yes"' in asked.content.decode()

    unconfirmed = client.post(url, {}, headers=JSON)
    assert unconfirmed.status_code == 400
    assert unconfirmed.json()["ok"] is False
    assert sim.controls.state().active_names == ["1", "2"]

    confirmed = client.post(url, {"confirm": "yes"}, headers=JSON)
    assert confirmed.json() == {
        "ok": True,
        "message": "Cleared 2 orders on Kitchen.",
        "warning": None,
    }
    assert sim.controls.state().active_names == []


def test_a_viewer_is_not_even_asked_to_confirm_clearing_all(client, bob, kitchen):
    client.force_login(bob)

    assert client.get(f"/board/gateways/{kitchen.pk}/clear-all").status_code == 403
