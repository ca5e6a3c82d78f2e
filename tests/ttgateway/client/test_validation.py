"""Inputs are checked the gateway's way before anything is sent.

The client here points at a port where nothing listens: had it sent a request, the test would
see GatewayUnreachable. Seeing the gateway's own exception and message instead proves the check
happened first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ttgateway.client import (
    GatewayClient,
    GatewayError,
    GatewayUnreachable,
    InvalidDates,
    InvalidLimit,
    InvalidLocationName,
    InvalidOffset,
    InvalidOrderId,
    InvalidOrderName,
    InvalidTargetTime,
    InvalidUuid,
    LimitOverMaximum,
    MissingOrderName,
    OrderTypeInvalid,
    OrderTypeMissing,
    validation,
)
from ttgateway.protocol import MESSAGES, OrderType


@pytest.fixture
async def nowhere(closed_port):
    async with GatewayClient(f"http://127.0.0.1:{closed_port}", "t0ken") as gateway_client:
        yield gateway_client


CASES = [
    ("a missing order name", MissingOrderName, lambda c: c.submit_order("", "TO_GO")),
    ("a name with letters", InvalidOrderName, lambda c: c.submit_order("12a", "TO_GO")),
    ("order number zero", InvalidOrderName, lambda c: c.submit_order("0", "TO_GO")),
    ("a negative order number", InvalidOrderName, lambda c: c.submit_order(-3, "TO_GO")),
    ("a table with letters", InvalidLocationName, lambda c: c.submit_order("1", "TO_GO", "T4")),
    ("a missing order type", OrderTypeMissing, lambda c: c.submit_order("1", "")),
    ("an unknown order type", OrderTypeInvalid, lambda c: c.submit_order("1", "DELIVERY")),
    ("an order id with letters", InvalidOrderId, lambda c: c.active_order("twelve")),
    ("a delete by a bad id", InvalidOrderId, lambda c: c.delete_order("1; DROP")),
    ("a page by a bad id", InvalidOrderId, lambda c: c.page("../statistics")),
    ("a history lookup by name", InvalidUuid, lambda c: c.order("66")),
    ("a target time of zero", InvalidTargetTime, lambda c: c.statistics(0)),
    ("a limit of zero", InvalidLimit, lambda c: c.orders(limit=0)),
    ("a limit over one hundred", LimitOverMaximum, lambda c: c.orders(limit=101)),
    ("a negative offset", InvalidOffset, lambda c: c.orders(offset=-1)),
    (
        "a date with an offset",
        InvalidDates,
        lambda c: c.orders(created_after="2026-01-01T00:00:00Z"),
    ),
    ("an impossible date", InvalidDates, lambda c: c.orders(created_before="2026-02-30T00:00:00")),
    ("a bad table filter", InvalidLocationName, lambda c: c.orders(location_name="bar")),
    ("a bad type filter", OrderTypeInvalid, lambda c: c.orders(order_type="DELIVERY")),
]


@pytest.mark.parametrize(("what", "error", "call"), CASES, ids=[case[0] for case in CASES])
async def test_bad_input_is_refused_with_the_gateways_own_error_before_any_request(
    nowhere, what, error, call
):
    with pytest.raises(error) as caught:
        await call(nowhere)
    assert not isinstance(caught.value, GatewayUnreachable)
    assert caught.value.status is None  # nothing was sent
    assert caught.value.message == MESSAGES[caught.value.return_code]


async def test_a_bad_page_size_fails_iteration_before_any_request(nowhere):
    with pytest.raises(LimitOverMaximum):
        async for _ in nowhere.iter_orders(page_size=500):
            pass


async def test_good_input_does_reach_the_network(nowhere):
    with pytest.raises(GatewayUnreachable):
        await nowhere.submit_order("12", OrderType.TO_GO, location="4")


def test_order_names_and_tables_may_be_given_as_numbers():
    assert validation.order_name(12) == "12"
    assert validation.location_name(4) == "4"
    assert validation.location_name("") is None
    assert validation.location_name(None) is None


def test_the_v1_spelling_on_premise_is_accepted_as_on_premises():
    assert validation.order_type("ON_PREMISE") is OrderType.ON_PREMISES
    assert validation.order_type_filter("ON_PREMISES") is OrderType.ON_PREMISES


def test_an_order_id_may_be_a_name_or_a_uuid():
    uuid = "54ed91e6-286b-4912-b44c-7a7a3001d715"
    assert validation.order_id(uuid) == uuid
    assert validation.order_id("66") == "66"
    assert validation.order_id(66) == "66"


def test_booleans_are_not_taken_for_numbers():
    for call in (
        lambda: validation.order_name(True),
        lambda: validation.limit(True),
        lambda: validation.order_id(True),
    ):
        with pytest.raises(GatewayError):
            call()


def test_date_filters_are_sent_in_utc_without_an_offset():
    paris = timezone(timedelta(hours=1))
    assert validation.query_datetime(datetime(2026, 1, 1, 13, 0, tzinfo=paris)) == (
        "2026-01-01T12:00:00"
    )
    assert validation.query_datetime(datetime(2026, 1, 1, 12, 0, 5, 999)) == "2026-01-01T12:00:05"
    assert validation.query_datetime(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00"
    assert validation.query_datetime("2026-01-01T12:00:00") == "2026-01-01T12:00:00"
