"""Orders through the API against a real simulated gateway: the gateway's semantics, the
mirror, the audit trail, and every refusal as a problem document with the gateway's words."""

from __future__ import annotations

import socket

import pytest

from gateways.models import Gateway
from orders.models import AuditEntry, OrderRecord
from orders.services.commands import start_order
from tests.api.support import client_for

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def orders_url(gateway: Gateway) -> str:
    return f"/api/v1/gateways/{gateway.pk}/orders/"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_new_number_starts_an_order_on_the_gateway(riverside, paired_gateway, sim):
    response = riverside.post(orders_url(paired_gateway), {"number": "12", "type": "on_premises"})

    assert response.status_code == 201
    body = response.json()
    assert body["result"] == "created"
    assert body["warning"] == "Tracker not assigned with order."
    order = body["order"]
    assert (order["number"], order["type"], order["state"], order["table"]) == (
        "12",
        "on_premises",
        "started",
        None,
    )
    assert (order["gateway"], order["site"]) == (paired_gateway.pk, paired_gateway.site_id)
    assert sim.controls.state().active_names == ["12"]


def test_the_audit_trail_names_the_key_that_acted(riverside, riverside_key, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "12", "type": "to_go"})

    entry = AuditEntry.objects.get()
    assert entry.via == "api"
    assert entry.api_key == riverside_key.model
    assert riverside_key.model.prefix in entry.actor
    assert entry.user is None


def test_the_number_of_an_active_order_locates_it(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "12", "type": "on_premises"})

    response = riverside.post(
        orders_url(paired_gateway), {"number": "12", "type": "on_premises", "table": "07"}
    )

    assert response.status_code == 200
    assert response.json()["result"] == "modified"
    order = response.json()["order"]
    assert (order["state"], order["table"]) == ("located", "7")
    assert order["located_at"] is not None


def test_sending_what_the_gateway_has_changes_nothing_and_says_so(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "12", "type": "to_go", "table": "3"})

    response = riverside.post(
        orders_url(paired_gateway), {"number": "12", "type": "to_go", "table": "3"}
    )

    assert response.status_code == 200
    assert response.json()["result"] == "already_located"
    assert response.json()["order"]["table"] == "3"


def test_starting_a_started_order_again_is_already_started(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "5", "type": "to_go"})

    response = riverside.post(orders_url(paired_gateway), {"number": "5", "type": "TO_GO"})

    assert (response.status_code, response.json()["result"]) == (200, "already_started")


def test_the_active_orders_come_from_the_mirror_with_its_age(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "3", "type": "to_go"})
    riverside.post(orders_url(paired_gateway), {"number": "4", "type": "on_premises"})

    response = riverside.get(orders_url(paired_gateway))

    assert response.status_code == 200
    assert [o["number"] for o in response.json()["results"]] == ["3", "4"]
    assert response.json()["mirror"]["gateway_status"] == "online"


def test_the_mirror_still_answers_while_the_gateway_is_offline(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "3", "type": "to_go"})
    Gateway.objects.filter(pk=paired_gateway.pk).update(
        port=closed_port(), status=Gateway.Status.OFFLINE
    )

    response = riverside.get(orders_url(paired_gateway))

    assert response.status_code == 200
    assert [o["number"] for o in response.json()["results"]] == ["3"]
    assert response.json()["mirror"]["gateway_status"] == "offline"


def test_an_order_is_found_by_its_number_or_its_uuid(riverside, paired_gateway, sim):
    created = riverside.post(orders_url(paired_gateway), {"number": "8", "type": "to_go"}).json()
    uuid = created["order"]["uuid"]

    by_number = riverside.get(f"{orders_url(paired_gateway)}8/")
    by_uuid = riverside.get(f"{orders_url(paired_gateway)}{uuid}/")

    assert by_number.json()["uuid"] == by_uuid.json()["uuid"] == uuid


def test_an_order_not_active_is_a_404_problem(riverside, paired_gateway, sim):
    response = riverside.get(f"{orders_url(paired_gateway)}99/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "order_not_found"


def test_clearing_an_order_takes_it_off_the_gateway_into_history(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), {"number": "8", "type": "to_go"})

    response = riverside.delete(f"{orders_url(paired_gateway)}8/")

    assert response.status_code == 200
    assert response.json()["result"] == "cleared"
    assert sim.controls.state().active_names == []
    assert OrderRecord.objects.get().name == "8"


def test_an_order_is_cleared_by_its_uuid_too(riverside, paired_gateway, sim):
    created = riverside.post(orders_url(paired_gateway), {"number": "8", "type": "to_go"}).json()

    response = riverside.delete(f"{orders_url(paired_gateway)}{created['order']['uuid']}/")

    assert response.status_code == 200
    assert sim.controls.state().active_names == []


def test_clear_all_empties_the_gateway(riverside, paired_gateway, sim):
    for number in ("1", "2", "3"):
        riverside.post(orders_url(paired_gateway), {"number": number, "type": "to_go"})

    response = riverside.delete(orders_url(paired_gateway))

    assert response.status_code == 200
    assert response.json()["result"] == "cleared"
    assert sim.controls.state().active_names == []


def test_paging_an_order_with_a_tracker_makes_it_vibrate(riverside, paired_gateway, sim):
    sim.controls.start_tracker(6)
    riverside.post(orders_url(paired_gateway), {"number": "6", "type": "to_go"})

    response = riverside.post(f"{orders_url(paired_gateway)}6/page/")

    assert response.status_code == 200
    assert response.json()["result"] == "paged"
    assert response.json()["order"]["paged"] is True


MISSING_NAME = "Missing order name. Must be a positive integer."
INVALID_NAME = "Invalid order name. Must be a positive integer."
MISSING_TYPE = "Order type missing from request. Must be either TO_GO or ON_PREMISES."
INVALID_TYPE = "Order type invalid. Must be either TO_GO or ON_PREMISES."
INVALID_TABLE = "Invalid location name. Must be a positive integer."


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"type": "to_go"}, "number", MISSING_NAME),
        ({"number": "", "type": "to_go"}, "number", MISSING_NAME),
        ({"number": "twelve", "type": "to_go"}, "number", INVALID_NAME),
        ({"number": "-3", "type": "to_go"}, "number", INVALID_NAME),
        ({"number": "1234567890", "type": "to_go"}, "number", INVALID_NAME),
        ({"number": "12"}, "type", MISSING_TYPE),
        ({"number": "12", "type": "takeaway"}, "type", INVALID_TYPE),
        ({"number": "12", "type": "to_go", "table": "A1"}, "table", INVALID_TABLE),
        ({"number": "12", "type": "to_go", "table": "0"}, "table", INVALID_TABLE),
    ],
)
def test_invalid_input_is_refused_before_any_gateway_call_in_the_gateways_words(
    riverside, gateway, body, field, message
):
    # The gateway is not even paired: only a refusal before any call can answer 400.
    response = riverside.post(orders_url(gateway), body, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][field] == [message]
    assert problem["type"] == "urn:ttportal:problem:validation_error"
    assert "gateway" not in problem, "the gateway was not asked"
    assert not AuditEntry.objects.exists()


def test_an_invalid_order_identifier_is_refused_in_the_gateways_words(riverside, gateway):
    response = riverside.delete(f"{orders_url(gateway)}abc/")

    assert response.status_code == 400
    assert response.json()["errors"] == {"order": ["Invalid order id."]}


def test_an_offline_gateway_is_a_503_with_retry_after(riverside, paired_gateway, sim):
    Gateway.objects.filter(pk=paired_gateway.pk).update(port=closed_port())

    response = riverside.post(orders_url(paired_gateway), {"number": "12", "type": "to_go"})

    assert response.status_code == 503
    assert response["Content-Type"] == PROBLEM
    assert int(response["Retry-After"]) >= 1
    assert response.json()["code"] == "gateway_offline"


def test_a_gateway_that_refuses_service_is_a_503_with_its_return_code(
    riverside, paired_gateway, sim
):
    sim.controls.set_faults(refuse=True)

    response = riverside.post(orders_url(paired_gateway), {"number": "12", "type": "to_go"})

    assert response.status_code == 503
    assert "Retry-After" in response
    assert response.json()["code"] == "gateway_busy"
    assert response.json()["gateway"] == {"returnCode": -5, "message": "API unavailable."}


def test_clearing_an_order_the_gateway_does_not_have_is_its_order_not_found(
    riverside, paired_gateway, sim
):
    response = riverside.delete(f"{orders_url(paired_gateway)}77/")

    assert response.status_code == 404
    assert response.json()["code"] == "order_not_found"
    assert response.json()["gateway"] == {"returnCode": -6, "message": "Order not found."}


def test_paging_an_order_without_a_tracker_is_refused_with_its_return_code(
    riverside, paired_gateway, sim
):
    riverside.post(orders_url(paired_gateway), {"number": "6", "type": "to_go"})

    response = riverside.post(f"{orders_url(paired_gateway)}6/page/")

    assert response.status_code == 409
    assert response.json()["code"] == "paging_impossible"
    assert response.json()["gateway"]["returnCode"] == -14


def test_paging_while_the_gateway_cannot_page_is_a_503_with_its_return_code(
    riverside, paired_gateway, sim
):
    sim.controls.start_tracker(6)
    riverside.post(orders_url(paired_gateway), {"number": "6", "type": "to_go"})
    sim.controls.set_faults(paging_unavailable=True)

    response = riverside.post(f"{orders_url(paired_gateway)}6/page/")

    assert response.status_code == 503
    assert response.json()["code"] == "gateway_busy"
    assert response.json()["gateway"]["returnCode"] == -13


def test_a_gateway_that_refuses_the_token_needs_pairing_409(riverside, paired_gateway, sim):
    sim.controls.delete_tokens()

    response = riverside.post(orders_url(paired_gateway), {"number": "12", "type": "to_go"})

    assert response.status_code == 409
    assert response.json()["code"] == "gateway_needs_pairing"
    assert response.json()["gateway"]["returnCode"] == -2
    paired_gateway.refresh_from_db()
    assert paired_gateway.status == Gateway.Status.NEEDS_PAIRING


def test_a_gateway_marked_as_needing_pairing_is_a_409_before_any_call(
    riverside, paired_gateway, sim
):
    sim.controls.delete_tokens()
    riverside.post(orders_url(paired_gateway), {"number": "12", "type": "to_go"})

    response = riverside.post(orders_url(paired_gateway), {"number": "13", "type": "to_go"})

    assert response.status_code == 409
    assert response.json()["code"] == "gateway_needs_pairing"


def test_a_gateway_not_paired_is_a_409(riverside, gateway):
    response = riverside.post(orders_url(gateway), {"number": "12", "type": "to_go"})

    assert response.status_code == 409
    assert response.json()["code"] == "gateway_not_paired"


def test_a_viewer_signed_in_may_read_but_not_act(bob, paired_gateway, sim):
    client = client_for(None)
    client.force_login(bob)

    assert client.get(orders_url(paired_gateway)).status_code == 200
    response = client.post(orders_url(paired_gateway), {"number": "1", "type": "to_go"})

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert sim.controls.state().active_names == []


def test_a_manager_signed_in_acts_and_is_audited_as_herself(alice, paired_gateway, sim):
    client = client_for(None)
    client.force_login(alice)

    response = client.post(orders_url(paired_gateway), {"number": "1", "type": "to_go"})

    assert response.status_code == 201
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.via, entry.api_key) == (alice, "api", None)


def test_orders_started_on_the_board_show_in_the_api(riverside, paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "21", "TO_GO")

    response = riverside.get(orders_url(paired_gateway))

    assert [o["number"] for o in response.json()["results"]] == ["21"]
