"""Answers are read tolerantly (the spec's quirks) and strictly where it matters (typed errors).

Unit tests on the parsers, fed the vendor's own example payloads verbatim and variants of them.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.ttgateway.client import vendor_payloads as vendor
from ttgateway.client import (
    ActiveOrder,
    GatewayInfo,
    IssuedToken,
    MalformedResponse,
    OrderEvent,
    OrdersPage,
    OrderSummary,
    Snapshot,
    Statistics,
)
from ttgateway.client.wire import parse_time
from ttgateway.protocol import EventType, OrderState, OrderType


def load(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


def test_the_vendors_active_order_example_reads_with_canonical_values():
    order = ActiveOrder.from_wire(load(vendor.ACTIVE_ORDER_MODEL)["activeorder"])
    assert order == ActiveOrder(
        name="27",
        uuid="66565bd2-5c3e-4b2d-80ff-82cfc1dd2f76",
        order_type=OrderType.ON_PREMISES,
        location="207",
        state=OrderState.LOCATED,
        state_changed=datetime(2016, 6, 10, 15, 10, 8, tzinfo=UTC),
        created=datetime(2016, 6, 10, 15, 8, 43, tzinfo=UTC),
        paged=False,
        elapsed_time=0,
    )


def test_an_empty_location_name_means_no_table():
    order = ActiveOrder.from_wire(load(vendor.CREATED_201)["activeorder"])
    assert order.location is None
    assert order.state is OrderState.STARTED


def test_a_null_or_missing_location_name_means_no_table_too():
    wire = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    assert ActiveOrder.from_wire({**wire, "locationName": None}).location is None
    del wire["locationName"]
    assert ActiveOrder.from_wire(wire).location is None


def test_on_premise_and_on_premises_read_as_the_same_type():
    wire = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    v1 = ActiveOrder.from_wire(wire)
    v2 = ActiveOrder.from_wire({**wire, "orderType": "ON_PREMISES"})
    assert v1.order_type is v2.order_type is OrderType.ON_PREMISES


def test_timestamps_with_and_without_an_offset_are_the_same_utc_moment():
    moments = {
        parse_time("2014-08-21T10:00:36"),
        parse_time("2014-08-21T10:00:36+00:00"),
        parse_time("2014-08-21T10:00:36Z"),
        parse_time("2014-08-21T12:00:36+02:00"),
    }
    assert moments == {datetime(2014, 8, 21, 10, 0, 36, tzinfo=UTC)}
    assert all(m is not None and m.tzinfo is UTC for m in moments)


def test_optional_active_order_keys_may_be_left_out():
    wire = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    for key in ("paged", "elapsedTime", "stateChanged", "locationName"):
        del wire[key]
    order = ActiveOrder.from_wire(wire, now=datetime(2016, 6, 10, 15, 9, 43, tzinfo=UTC))
    assert order.paged is False
    assert order.elapsed_time == 60  # computed from created
    assert order.state_changed == order.created


def test_the_v1_state_started_key_stands_in_for_state_changed():
    wire = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    wire["stateStarted"] = wire.pop("stateChanged")
    assert ActiveOrder.from_wire(wire).state_changed == datetime(2016, 6, 10, 15, 10, 8, tzinfo=UTC)


def test_numbers_sent_as_strings_or_floats_are_read_as_numbers():
    wire = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    assert ActiveOrder.from_wire({**wire, "elapsedTime": "42"}).elapsed_time == 42
    assert ActiveOrder.from_wire({**wire, "elapsedTime": 42.7}).elapsed_time == 42
    assert ActiveOrder.from_wire({**wire, "name": 27}).name == "27"


def test_the_vendors_history_example_reads_with_its_string_count():
    page = OrdersPage.from_wire(load(vendor.ORDERS_200))
    assert page.count == 7
    assert len(page.items) == 7
    first = page.items[0]
    assert first.location is None
    assert first.located is None
    assert first.order_type is OrderType.ON_PREMISES
    assert first.started == datetime(2014, 8, 21, 10, 0, 36, tzinfo=UTC)
    assert first.delivery_seconds == 5
    located = page.items[2]
    assert located.location == "10"
    assert located.time_to_sit_seconds == 28


def test_history_keeps_two_orders_with_the_same_name_apart():
    page = OrdersPage.from_wire(load(vendor.ORDERS_200))
    sixty_sixes = [record.uuid for record in page.items if record.name == "66"]
    assert len(sixty_sixes) == len(set(sixty_sixes)) == 4


def test_a_count_sent_as_a_number_or_left_out_is_tolerated():
    wire = load(vendor.ORDERS_200)
    assert OrdersPage.from_wire({**wire, "count": 7}).count == 7
    assert OrdersPage.from_wire({**wire, "count": 7.0}).count == 7
    del wire["count"]
    assert OrdersPage.from_wire(wire).count is None


def test_the_vendors_single_order_example_reads():
    record = OrderSummary.from_wire(load(vendor.ORDER_200)["order"])
    assert record.uuid == "9e1da5eb-59ea-4003-9c1c-15160879c88d"
    assert record.cleared == datetime(2014, 8, 21, 10, 0, 41, tzinfo=UTC)


def test_the_vendors_statistics_example_reads_its_float_counts_as_whole_numbers():
    stats = Statistics.from_wire(load(vendor.STATISTICS_200)["statistics"])
    assert stats == Statistics(
        average_seconds=1809.5,
        exceeded_today=0,
        orders_today=2,
        target_time=200,
        percent_goal=50.0,
    )
    assert isinstance(stats.orders_today, int)


def test_the_vendors_token_example_reads_and_hides_the_token_from_its_repr():
    issued = IssuedToken.from_wire(load(vendor.TOKEN_201)["token"])
    assert issued.token == "2f1f4339c7b77fa3474bf8ba8852349273e928bb8ad9d186"
    assert issued.name == "default"
    assert issued.creation_date == datetime(2016, 12, 24, 8, 4, 34, tzinfo=UTC)
    assert issued.last_used is None
    assert issued.token not in repr(issued)


def test_a_liveness_answer_with_unknown_fields_or_none_at_all_is_fine():
    assert GatewayInfo.from_wire({"status": 200}) == GatewayInfo(None, None, None, None, None)
    info = GatewayInfo.from_wire({"name": "TT", "apiVersion": 2, "extra": [1]})
    assert (info.name, info.api_version) == ("TT", "2")


def test_a_snapshot_reads_its_orders_and_an_event_its_order():
    order = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    snapshot = Snapshot.from_wire(
        {"type": "ACTIVE_ORDERS", "status": 200, "returnCode": 5, "count": "1", "items": [order]}
    )
    assert [o.name for o in snapshot.orders] == ["27"]
    assert snapshot.seq is None
    event = OrderEvent.from_wire({**order, "type": "ORDER_PAGED", "seq": 3}, EventType.ORDER_PAGED)
    assert (event.type, event.seq, event.order.name) == (EventType.ORDER_PAGED, 3, "27")


def test_new_order_is_read_as_order_created():
    order = load(vendor.CREATED_201)["activeorder"]
    event = OrderEvent.from_wire({**order, "type": "NEW_ORDER"}, EventType.NEW_ORDER)
    assert event.type is EventType.ORDER_CREATED


REQUIRED_ACTIVE_ORDER_KEYS = ["name", "uuid", "orderType", "state", "created"]


@pytest.mark.parametrize("key", REQUIRED_ACTIVE_ORDER_KEYS)
def test_an_active_order_missing_a_required_key_raises_malformed_response_naming_it(key):
    wire = load(vendor.ACTIVE_ORDER_MODEL)
    del wire["activeorder"][key]
    with pytest.raises(MalformedResponse) as caught:
        ActiveOrder.from_wire(wire["activeorder"])
    assert caught.value.field == f"activeorder.{key}"
    assert key in str(caught.value)


REQUIRED_SUMMARY_KEYS = ["name", "uuid", "orderType", "orderStarted", "orderCleared"]


@pytest.mark.parametrize("key", REQUIRED_SUMMARY_KEYS)
def test_a_history_record_missing_a_required_key_is_skipped_naming_its_place(key, caplog):
    caplog.set_level(logging.WARNING)  # a Celery test worker may have raised the root's
    wire = load(vendor.ORDERS_200)
    sent = len(wire["items"])
    del wire["items"][3][key]

    page = OrdersPage.from_wire(wire)

    assert len(page.items) == sent - 1
    assert (page.received, page.skipped, page.size) == (sent, 1, sent)
    assert f"items[3].{key}" in caplog.text


@pytest.mark.parametrize("name", ["1" * 24, "A12", "0", "-3", "", 10**12])
def test_an_order_number_the_portal_cannot_hold_skips_that_order_only(name, caplog):
    caplog.set_level(logging.WARNING)  # a Celery test worker may have raised the root's
    orders = load(vendor.ORDERS_200)
    orders["items"][0]["name"] = name
    active = {"status": 200, "returnCode": 5, "items": [dict(_active(), name=name), _active()]}

    page = OrdersPage.from_wire(orders)
    snapshot = Snapshot.from_wire(active)

    assert page.skipped == 1
    assert len(snapshot.orders) == 1
    assert "items[0].name" in caplog.text


def test_a_table_the_portal_cannot_hold_skips_that_order_only():
    active = {"items": [dict(_active(), locationName="9" * 24), _active()]}

    assert len(Snapshot.from_wire(active).orders) == 1


def test_order_numbers_and_tables_are_read_in_their_one_canonical_form():
    order = ActiveOrder.from_wire(dict(_active(), name="007", locationName=12))

    assert (order.name, order.location) == ("7", "12")


def _active() -> dict[str, object]:
    return dict(load(vendor.ACTIVE_ORDER_MODEL)["activeorder"])


BAD_VALUES = [
    ("created", "yesterday", "an ISO 8601 time"),
    ("orderType", "DELIVERY", "TO_GO or ON_PREMISES"),
    ("state", "eaten", "started, located or cleared"),
    ("paged", "maybe", "true or false"),
    ("elapsedTime", "soon", "a number"),
    ("name", ["27"], "a positive integer"),
    ("name", "1" * 24, "a positive integer"),
    ("uuid", "not-a-uuid", "a uuid"),
]


@pytest.mark.parametrize(("key", "value", "expected"), BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_a_value_of_the_wrong_kind_raises_malformed_response_saying_what_was_expected(
    key, value, expected
):
    wire = load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]
    wire[key] = value
    with pytest.raises(MalformedResponse) as caught:
        ActiveOrder.from_wire(wire)
    assert caught.value.field == f"activeorder.{key}"
    assert expected in caught.value.message


def test_a_count_that_is_not_a_whole_number_is_malformed():
    for count in ("seven", 7.5, True):
        with pytest.raises(MalformedResponse) as caught:
            OrdersPage.from_wire({**load(vendor.ORDERS_200), "count": count})
        assert caught.value.field == "count"


def test_items_that_are_not_a_list_or_objects_are_malformed():
    with pytest.raises(MalformedResponse) as caught:
        OrdersPage.from_wire({"count": "1", "items": {"0": {}}})
    assert caught.value.field == "items"
    with pytest.raises(MalformedResponse) as caught:
        OrdersPage.from_wire({"count": "1", "items": ["66"]})
    assert caught.value.field == "items[0]"


def test_an_answer_that_is_not_an_object_is_malformed():
    with pytest.raises(MalformedResponse):
        Statistics.from_wire([1809.5, 0, 2.0])


def test_every_mutilation_of_the_vendor_examples_raises_only_malformed_response():
    # Whatever a broken firmware sends, callers see MalformedResponse, never a KeyError or a
    # TypeError: drop each key in turn, or replace each value with each kind of wrong value.
    samples: list[tuple[Callable[[object], object], dict[str, Any]]] = [
        (ActiveOrder.from_wire, load(vendor.ACTIVE_ORDER_MODEL)["activeorder"]),
        (OrderSummary.from_wire, load(vendor.ORDER_200)["order"]),
        (Statistics.from_wire, load(vendor.STATISTICS_200)["statistics"]),
        (IssuedToken.from_wire, load(vendor.TOKEN_201)["token"]),
    ]
    for parse, wire in samples:
        for key in wire:
            variants = [copy.deepcopy(wire) for _ in range(5)]
            del variants[0][key]
            for variant, bad in zip(variants[1:], ({}, [], -1.5, "x"), strict=True):
                variant[key] = bad
            for variant in variants:
                with contextlib.suppress(MalformedResponse):
                    parse(variant)
