"""Every failing returnCode becomes its own exception, triggered on a real gateway.

The simulator produces each code it can; the unchecked client (``validate=False``) sends the bad
input so that the gateway, not the client, is the judge. Codes the simulator never sends over
HTTP come from the canned gateway.
"""

from __future__ import annotations

import pytest

from ttgateway.client import (
    ERRORS,
    ApiUnavailable,
    GatewayClient,
    GatewayError,
    InvalidDates,
    InvalidJson,
    InvalidLimit,
    InvalidLocationName,
    InvalidOffset,
    InvalidOrderId,
    InvalidOrderName,
    InvalidRequest,
    InvalidTargetTime,
    InvalidToken,
    InvalidUuid,
    LimitOverMaximum,
    MalformedAuthorization,
    MissingOrderName,
    OrderNotFound,
    OrderTypeInvalid,
    OrderTypeMissing,
    PagingImpossible,
    PagingUnavailable,
    PairingWindowClosed,
    TokenDeleted,
    TokenRejected,
)
from ttgateway.client.errors import is_failure
from ttgateway.protocol import MESSAGES, ReturnCode

UNKNOWN_UUID = "00000000-0000-4000-8000-000000000000"


def assert_gateway_said(error: GatewayError, code: ReturnCode, status: int) -> None:
    assert error.return_code == code
    assert error.status == status
    assert error.message == MESSAGES[code]


def test_every_failing_return_code_in_the_protocol_has_its_own_exception():
    failing = {code for code in ReturnCode if is_failure(code)}
    assert failing == set(ERRORS)
    assert len(set(ERRORS.values())) == len(ERRORS)
    assert all(issubclass(cls, GatewayError) and cls is not GatewayError for cls in ERRORS.values())


def test_the_three_token_failures_are_all_token_rejections():
    for cls in (MalformedAuthorization, InvalidToken, TokenDeleted):
        assert issubclass(cls, TokenRejected)


def test_informational_codes_are_not_failures():
    for code in (1002, 1009, 1010, 0, 2, 5, 8, 9, 10):
        assert not is_failure(code)


async def test_a_request_without_a_token_raises_malformed_authorization(simulator):
    async with GatewayClient(simulator.url) as anonymous:
        with pytest.raises(MalformedAuthorization) as caught:
            await anonymous.active_orders()
    assert_gateway_said(caught.value, ReturnCode.MALFORMED_AUTHORIZATION, 401)


async def test_an_unknown_token_raises_invalid_token(simulator):
    async with GatewayClient(simulator.url, "ab" * 24) as stranger:
        with pytest.raises(InvalidToken) as caught:
            await stranger.statistics()
    assert_gateway_said(caught.value, ReturnCode.INVALID_TOKEN, 401)


async def test_asking_for_a_token_without_a_button_press_raises_pairing_window_closed(simulator):
    async with GatewayClient(simulator.url) as anonymous:
        with pytest.raises(PairingWindowClosed) as caught:
            await anonymous.generate_token("portal")
    assert_gateway_said(caught.value, ReturnCode.WINDOW_CLOSED, 403)


async def test_a_refusing_gateway_raises_api_unavailable(client, controls):
    await controls.set_faults(refuse=True)
    with pytest.raises(ApiUnavailable) as caught:
        await client.active_orders()
    assert_gateway_said(caught.value, ReturnCode.API_UNAVAILABLE, 503)


async def test_an_order_that_is_not_active_raises_order_not_found(client):
    with pytest.raises(OrderNotFound) as caught:
        await client.active_order("4242")
    assert_gateway_said(caught.value, ReturnCode.ORDER_NOT_FOUND, 404)


async def test_a_history_uuid_the_gateway_never_saw_raises_order_not_found(client):
    with pytest.raises(OrderNotFound):
        await client.order(UNKNOWN_UUID)


async def test_an_order_id_that_is_neither_number_nor_uuid_raises_invalid_order_id(unchecked):
    with pytest.raises(InvalidOrderId) as caught:
        await unchecked.active_order("table-five")
    assert_gateway_said(caught.value, ReturnCode.INVALID_ORDER_ID, 400)


async def test_an_order_without_a_name_raises_missing_order_name(unchecked):
    with pytest.raises(MissingOrderName) as caught:
        await unchecked.submit_order("", "TO_GO")
    assert_gateway_said(caught.value, ReturnCode.MISSING_ORDER_NAME, 400)


async def test_an_order_name_that_is_not_digits_raises_invalid_order_name(unchecked):
    with pytest.raises(InvalidOrderName) as caught:
        await unchecked.submit_order("A12", "TO_GO")
    assert_gateway_said(caught.value, ReturnCode.INVALID_ORDER_NAME, 400)


async def test_a_table_that_is_not_digits_raises_invalid_location_name(unchecked):
    with pytest.raises(InvalidLocationName) as caught:
        await unchecked.submit_order("12", "TO_GO", location="patio")
    assert_gateway_said(caught.value, ReturnCode.INVALID_LOCATION_NAME, 400)


async def test_a_history_filter_on_a_bad_table_raises_invalid_location_name(unchecked):
    with pytest.raises(InvalidLocationName):
        await unchecked.orders(location_name="patio")


async def test_an_order_without_a_type_raises_order_type_missing(unchecked):
    with pytest.raises(OrderTypeMissing) as caught:
        await unchecked.submit_order("12", "")
    assert_gateway_said(caught.value, ReturnCode.ORDER_TYPE_MISSING, 400)


async def test_an_unknown_order_type_raises_order_type_invalid(unchecked):
    with pytest.raises(OrderTypeInvalid) as caught:
        await unchecked.submit_order("12", "DELIVERY")
    assert_gateway_said(caught.value, ReturnCode.ORDER_TYPE_INVALID, 400)


async def test_a_history_filter_on_an_unknown_type_raises_order_type_invalid(unchecked):
    with pytest.raises(OrderTypeInvalid):
        await unchecked.orders(order_type="DELIVERY")


async def test_paging_while_the_gateway_cannot_page_raises_paging_unavailable(client, controls):
    await client.submit_order("12", "TO_GO", dummy_tracker=True)
    await controls.set_faults(paging_unavailable=True)
    with pytest.raises(PagingUnavailable) as caught:
        await client.page("12")
    assert_gateway_said(caught.value, ReturnCode.PAGING_UNAVAILABLE, 503)


async def test_paging_an_order_without_a_tracker_raises_paging_impossible(client):
    result = await client.submit_order("12", "TO_GO")
    assert result.warning == "Tracker not assigned with order."
    with pytest.raises(PagingImpossible) as caught:
        await client.page("12")
    assert_gateway_said(caught.value, ReturnCode.PAGING_IMPOSSIBLE, 400)


async def test_a_target_time_of_zero_raises_invalid_target_time(unchecked):
    with pytest.raises(InvalidTargetTime) as caught:
        await unchecked.statistics(target_time=0)
    assert_gateway_said(caught.value, ReturnCode.INVALID_TARGET_TIME, 400)


async def test_a_limit_of_zero_raises_invalid_limit(unchecked):
    with pytest.raises(InvalidLimit) as caught:
        await unchecked.orders(limit=0)
    assert_gateway_said(caught.value, ReturnCode.INVALID_LIMIT, 400)


async def test_a_negative_offset_raises_invalid_offset(unchecked):
    with pytest.raises(InvalidOffset) as caught:
        await unchecked.orders(offset=-1)
    assert_gateway_said(caught.value, ReturnCode.INVALID_OFFSET, 400)


async def test_a_date_in_another_format_raises_invalid_dates(unchecked):
    with pytest.raises(InvalidDates) as caught:
        await unchecked.orders(created_after="24/11/2026 12:00")
    assert_gateway_said(caught.value, ReturnCode.INVALID_DATES, 400)


async def test_a_limit_over_one_hundred_raises_limit_over_maximum(unchecked):
    with pytest.raises(LimitOverMaximum) as caught:
        await unchecked.orders(limit=101)
    assert_gateway_said(caught.value, ReturnCode.LIMIT_OVER_MAXIMUM, 400)


async def test_a_history_lookup_by_name_raises_invalid_uuid(unchecked):
    with pytest.raises(InvalidUuid) as caught:
        await unchecked.order("66")
    assert_gateway_said(caught.value, ReturnCode.INVALID_UUID, 400)


async def test_a_gateway_that_cannot_read_the_body_raises_invalid_json(canned):
    canned.reply = (400, {"status": 400, "returnCode": -31, "message": "Invalid JSON body."})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(InvalidJson) as caught:
            await gateway_client.page("12")
    assert_gateway_said(caught.value, ReturnCode.INVALID_JSON, 400)
    assert isinstance(caught.value, InvalidRequest)


async def test_a_deleted_token_raises_token_deleted_over_http(canned):
    canned.reply = (401, {"status": 401, "returnCode": 1001, "message": "Token deleted."})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(TokenDeleted) as caught:
            await gateway_client.active_orders()
    assert_gateway_said(caught.value, ReturnCode.TOKEN_DELETED, 401)


async def test_an_invalid_order_id_from_another_firmware_raises_invalid_order_id(canned):
    canned.reply = (400, {"status": 400, "returnCode": -7})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(InvalidOrderId) as caught:
            await gateway_client.active_order("12")
    # No message in the answer: the documented one stands in.
    assert_gateway_said(caught.value, ReturnCode.INVALID_ORDER_ID, 400)


async def test_an_unknown_negative_code_raises_a_plain_gateway_error(canned):
    canned.reply = (500, {"status": 500, "returnCode": -99, "message": "Flux capacitor."})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(GatewayError) as caught:
            await gateway_client.active_orders()
    assert type(caught.value) is GatewayError
    assert (caught.value.status, caught.value.return_code) == (500, -99)
    assert caught.value.message == "Flux capacitor."


async def test_a_failing_code_sent_with_http_200_still_raises(canned):
    canned.reply = (200, {"status": 200, "returnCode": -6, "message": "Order not found."})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(OrderNotFound):
            await gateway_client.active_order("12")


async def test_an_http_error_without_a_return_code_raises_a_plain_gateway_error(canned):
    canned.reply = (502, {"error": "upstream"})
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        with pytest.raises(GatewayError) as caught:
            await gateway_client.active_orders()
    assert type(caught.value) is GatewayError
    assert caught.value.status == 502
    assert caught.value.return_code is None
