"""Commands against a real simulated gateway: what it answers, what the mirror and audit keep."""

from __future__ import annotations

import pytest

from gateways.models import Gateway
from orders.models import ActiveOrder, AuditEntry, OrderRecord
from orders.services.commands import (
    change_type,
    clear_all,
    delete_order,
    locate_order,
    page_order,
    start_order,
)

pytestmark = pytest.mark.django_db

NO_TRACKER = "Tracker not assigned with order."


def test_starting_an_order_puts_it_on_the_gateway_and_in_the_mirror(paired_gateway, sim, as_alice):
    outcome = start_order(paired_gateway, as_alice, "12", "ON_PREMISES")

    assert outcome.ok
    assert outcome.created
    assert outcome.message == "Order 12 started."
    assert outcome.warning == NO_TRACKER, "no tracker was started for it"
    assert sim.controls.state().active_names == ["12"]
    mirrored = ActiveOrder.objects.get()
    assert (mirrored.name, mirrored.state, mirrored.order_type) == ("12", "started", "ON_PREMISES")
    assert outcome.order == mirrored


def test_an_order_started_with_a_table_is_located_at_once(paired_gateway, sim, as_alice):
    outcome = start_order(paired_gateway, as_alice, "4", "TO_GO", table="9")

    assert outcome.ok
    mirrored = ActiveOrder.objects.get(name="4")
    assert (mirrored.state, mirrored.location, mirrored.order_type) == ("located", "9", "TO_GO")


def test_a_tracker_already_started_binds_to_the_order_and_no_warning_is_given(
    paired_gateway, sim, as_alice
):
    sim.controls.start_tracker("5")

    outcome = start_order(paired_gateway, as_alice, "5", "ON_PREMISES", table="3")

    assert outcome.ok
    assert outcome.warning is None


def test_starting_an_order_twice_changes_nothing_and_says_so(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "12", "ON_PREMISES")

    outcome = start_order(paired_gateway, as_alice, "12", "ON_PREMISES")

    assert outcome.ok
    assert outcome.message == "Order already started."
    assert outcome.order is None


def test_starting_a_located_order_again_says_it_is_already_located(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "12", "ON_PREMISES", table="7")

    outcome = start_order(paired_gateway, as_alice, "12", "ON_PREMISES")

    assert outcome.message == "Order already located."


@pytest.mark.parametrize(
    ("name", "order_type", "table", "message"),
    [
        ("", "ON_PREMISES", "", "Missing order name. Must be a positive integer."),
        ("twelve", "ON_PREMISES", "", "Invalid order name. Must be a positive integer."),
        ("-3", "ON_PREMISES", "", "Invalid order name. Must be a positive integer."),
        ("12", "ON_PREMISES", "A4", "Invalid location name. Must be a positive integer."),
        (
            "12",
            "",
            "",
            "Order type missing from request. Must be either TO_GO or ON_PREMISES.",
        ),
        ("12", "DELIVERY", "", "Order type invalid. Must be either TO_GO or ON_PREMISES."),
    ],
)
def test_the_gateways_own_message_refuses_a_bad_order(
    paired_gateway, sim, as_alice, name, order_type, table, message
):
    outcome = start_order(paired_gateway, as_alice, name, order_type, table)

    assert not outcome.ok
    assert outcome.message == message
    assert outcome.result == AuditEntry.Result.REFUSED
    assert sim.controls.state().active_names == []
    assert not ActiveOrder.objects.exists()


def test_locating_an_order_keeps_its_type(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "8", "TO_GO")

    outcome = locate_order(paired_gateway, as_alice, "8", "15")

    assert outcome.ok
    assert outcome.message == "Order 8 moved to table 15."
    mirrored = ActiveOrder.objects.get(name="8")
    assert (mirrored.state, mirrored.location, mirrored.order_type) == ("located", "15", "TO_GO")
    assert sim.controls.state().active[0]["locationName"] == "15"


def test_locating_an_order_the_gateway_no_longer_has_does_not_start_one(
    paired_gateway, sim, as_alice
):
    start_order(paired_gateway, as_alice, "8", "TO_GO")
    sim.controls.clear_tracker("8")  # cleared on the gateway; the mirror has not heard yet

    outcome = locate_order(paired_gateway, as_alice, "8", "15")

    assert not outcome.ok
    assert outcome.message == "Order not found."
    assert sim.controls.state().active_names == []


def test_locating_needs_a_table_given_as_a_number(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "8", "TO_GO")

    for table in ("", "terrace"):
        outcome = locate_order(paired_gateway, as_alice, "8", table)
        assert not outcome.ok
        assert outcome.message == "Invalid location name. Must be a positive integer."


def test_changing_the_type_keeps_the_table(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "3", "ON_PREMISES", table="21")

    outcome = change_type(paired_gateway, as_alice, "3", "TO_GO")

    assert outcome.ok
    mirrored = ActiveOrder.objects.get(name="3")
    assert (mirrored.order_type, mirrored.location, mirrored.state) == ("TO_GO", "21", "located")


def test_changing_the_type_of_an_unknown_order_starts_nothing(paired_gateway, sim, as_alice):
    outcome = change_type(paired_gateway, as_alice, "77", "TO_GO")

    assert not outcome.ok
    assert outcome.message == "Order not found."
    assert sim.controls.state().active_names == []


def test_changing_to_an_unknown_type_is_refused_with_the_gateways_message(
    paired_gateway, sim, as_alice
):
    start_order(paired_gateway, as_alice, "3", "ON_PREMISES")

    outcome = change_type(paired_gateway, as_alice, "3", "DRIVE_THRU")

    assert outcome.message == "Order type invalid. Must be either TO_GO or ON_PREMISES."


def test_paging_an_order_with_a_tracker_marks_it_paged(paired_gateway, sim, as_alice):
    sim.controls.start_tracker("6")
    start_order(paired_gateway, as_alice, "6", "ON_PREMISES")

    outcome = page_order(paired_gateway, as_alice, "6")

    assert outcome.ok
    assert outcome.message == "Order 6 paged."
    mirrored = ActiveOrder.objects.get(name="6")
    assert mirrored.paged
    assert mirrored.paged_seen is not None


def test_an_order_without_a_tracker_cannot_be_paged(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "6", "ON_PREMISES")

    outcome = page_order(paired_gateway, as_alice, "6")

    assert not outcome.ok
    assert outcome.message == "Paging impossible. No tracker assigned with order."


def test_paging_is_refused_while_the_gateway_cannot_page(paired_gateway, sim, as_alice):
    sim.controls.start_tracker("6")
    sim.controls.set_faults(paging_unavailable=True)

    outcome = page_order(paired_gateway, as_alice, "6")

    assert not outcome.ok
    assert outcome.message == "Paging unavailable."


def test_clearing_an_order_files_it_in_history_as_cleared_from_the_portal(
    paired_gateway, sim, as_alice
):
    start_order(paired_gateway, as_alice, "9", "ON_PREMISES", table="2")
    sim.controls.advance_clock(300)

    outcome = delete_order(paired_gateway, as_alice, "9")

    assert outcome.ok
    assert outcome.message == "Order 9 cleared."
    assert sim.controls.state().active_names == []
    assert not ActiveOrder.objects.exists()
    record = OrderRecord.objects.get()
    assert record.cleared_by == OrderRecord.ClearedBy.PORTAL
    assert record.site == paired_gateway.site
    assert record.location == "2"
    # The gateway's clock, not the portal's: it moved five minutes on.
    assert record.delivery_seconds is not None
    assert 300 <= record.delivery_seconds < 310
    assert record.time_to_sit_seconds == 0


def test_clearing_an_order_the_gateway_does_not_have_says_so(paired_gateway, sim, as_alice):
    outcome = delete_order(paired_gateway, as_alice, "404")

    assert not outcome.ok
    assert outcome.message == "Order not found."


def test_clearing_all_clears_every_order_of_the_gateway(paired_gateway, sim, as_alice):
    for name in ("1", "2", "3"):
        start_order(paired_gateway, as_alice, name, "TO_GO")

    outcome = clear_all(paired_gateway, as_alice)

    assert outcome.ok
    assert outcome.message == "Cleared 3 orders on Kitchen."
    assert sim.controls.state().active_names == []
    assert not ActiveOrder.objects.exists()
    assert set(OrderRecord.objects.values_list("cleared_by", flat=True)) == {"portal"}


def test_a_gateway_that_does_not_answer_changes_nothing(paired_gateway, sim, as_alice):
    sim.stop()

    outcome = start_order(paired_gateway, as_alice, "12", "ON_PREMISES")

    assert not outcome.ok
    assert outcome.result == AuditEntry.Result.FAILED
    assert outcome.message.startswith("Kitchen did not answer")
    assert outcome.message.endswith("Nothing was changed.")
    assert not ActiveOrder.objects.exists()


def test_a_refused_token_makes_the_gateway_need_pairing(paired_gateway, sim, as_alice):
    sim.controls.delete_tokens()

    outcome = start_order(paired_gateway, as_alice, "12", "ON_PREMISES")

    assert not outcome.ok
    assert outcome.message == "Kitchen refused the portal's token: pair it again."
    paired_gateway.refresh_from_db()
    assert paired_gateway.status == Gateway.Status.NEEDS_PAIRING
    assert paired_gateway.current_token() is None

    again = page_order(paired_gateway, as_alice, "12")
    assert again.message == "Kitchen refused the portal's token: pair it again."
    assert again.result == AuditEntry.Result.REFUSED, "not even tried: the token is gone"


def test_a_gateway_that_is_not_paired_is_not_called(gateway, sim, as_alice):
    outcome = start_order(gateway, as_alice, "12", "ON_PREMISES")

    assert not outcome.ok
    assert outcome.message == "Kitchen is not paired: pair it before sending it orders."
    assert sim.controls.state().active_names == []


def test_every_command_leaves_an_audit_entry_saying_who_what_and_the_answer(
    paired_gateway, sim, alice, as_alice
):
    start_order(paired_gateway, as_alice, "12", "ON_PREMISES", table="4")
    page_order(paired_gateway, as_alice, "12")
    delete_order(paired_gateway, as_alice, "12")

    entries = list(AuditEntry.objects.order_by("at", "id"))
    assert [(e.action, e.result) for e in entries] == [
        ("start", "ok"),
        ("page", "refused"),
        ("delete", "ok"),
    ]
    first = entries[0]
    assert (first.user, first.actor, first.via, first.order_name) == (alice, "alice", "board", "12")
    assert first.details == {"order_type": "ON_PREMISES", "table": "4"}
    assert first.message == f"Order 12 started. {NO_TRACKER}"
    assert entries[1].message == "Paging impossible. No tracker assigned with order."
