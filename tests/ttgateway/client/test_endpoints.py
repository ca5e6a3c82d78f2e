"""Every endpoint, called through the client against the simulator, answers typed results."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.ttgateway.client import vendor_payloads as vendor
from ttgateway.client import (
    ActiveOrder,
    GatewayClient,
    OrderNotFound,
    PairingWindowClosed,
    SubmitOutcome,
)
from ttgateway.protocol import DEFAULT_PORT, OrderState, OrderType


async def test_liveness_needs_no_token_and_describes_the_gateway(simulator):
    async with GatewayClient(simulator.url) as anonymous:
        info = await anonymous.liveness()
    assert info.api_version == "2"
    assert info.model


async def test_a_button_press_lets_the_client_generate_one_token_which_then_works(
    simulator, controls
):
    await controls.press_button()
    async with GatewayClient(simulator.url) as anonymous:
        issued = await anonymous.generate_token("portal")
        with pytest.raises(PairingWindowClosed):
            await anonymous.generate_token("portal")  # one press, one token
    assert issued.name == "portal"
    assert issued.creation_date is not None
    async with GatewayClient(simulator.url, issued.token) as paired:
        assert await paired.active_orders() == ()


async def test_starting_a_new_order_without_a_tracker_is_created_with_the_warning(client):
    result = await client.submit_order("66", OrderType.ON_PREMISES)
    assert result.outcome is SubmitOutcome.CREATED
    assert result.created
    assert result.warning == "Tracker not assigned with order."
    assert result.order is not None
    assert result.order.name == "66"
    assert result.order.state is OrderState.STARTED
    assert result.order.location is None
    assert result.order.created.tzinfo is UTC


async def test_starting_an_order_with_a_tracker_has_no_warning(client):
    result = await client.submit_order("66", OrderType.TO_GO, dummy_tracker=True)
    assert result.created
    assert result.warning is None


async def test_starting_with_a_table_gives_a_located_order(client):
    result = await client.submit_order(7, "ON_PREMISE", location=12)
    assert result.order is not None
    assert result.order.state is OrderState.LOCATED
    assert result.order.location == "12"
    assert result.order.order_type is OrderType.ON_PREMISES


async def test_submitting_an_active_order_again_with_changes_modifies_it(client):
    created = await client.submit_order("66", OrderType.ON_PREMISES)
    modified = await client.submit_order("66", OrderType.TO_GO)
    assert modified.outcome is SubmitOutcome.MODIFIED
    assert modified.changed
    assert modified.order is not None
    assert created.order is not None
    assert modified.order.uuid == created.order.uuid
    assert modified.order.order_type is OrderType.TO_GO


async def test_submitting_an_unchanged_started_order_says_already_started(client):
    await client.submit_order("66", OrderType.TO_GO)
    again = await client.submit_order("66", OrderType.TO_GO)
    assert again.outcome is SubmitOutcome.ALREADY_STARTED
    assert again.order is None
    assert again.message == "Order already started."
    assert not again.changed


async def test_submitting_an_unchanged_located_order_says_already_located(client):
    await client.submit_order("66", OrderType.TO_GO, location="3")
    again = await client.submit_order("66", OrderType.TO_GO, location="3")
    assert again.outcome is SubmitOutcome.ALREADY_LOCATED
    assert again.message == "Order already located."


async def test_an_active_order_can_be_read_by_name_or_by_uuid(client):
    created = (await client.submit_order("66", OrderType.TO_GO)).order
    assert created is not None
    by_name = await client.active_order("66")
    by_uuid = await client.active_order(created.uuid)
    assert by_name.uuid == by_uuid.uuid == created.uuid


async def test_active_orders_lists_every_active_order_oldest_first(client, controls):
    await client.submit_order("1", OrderType.TO_GO)
    await controls.advance_clock(5)
    await client.submit_order("2", OrderType.ON_PREMISES)
    await controls.advance_clock(5)  # created times are whole seconds: no ties
    await controls.start_tracker("3")
    orders = await client.active_orders()
    assert [o.name for o in orders] == ["1", "2", "3"]
    assert all(isinstance(o, ActiveOrder) for o in orders)


async def test_deleting_an_order_clears_it_into_history(client):
    await client.submit_order("66", OrderType.TO_GO, location="4")
    cleared = await client.delete_order("66")
    assert cleared is not None
    assert cleared.state is OrderState.CLEARED
    with pytest.raises(OrderNotFound):
        await client.active_order("66")
    record = await client.order(cleared.uuid)
    assert (record.name, record.location, record.uuid) == ("66", "4", cleared.uuid)


async def test_delete_all_clears_every_active_order(client):
    for name in ("1", "2", "3"):
        await client.submit_order(name, OrderType.TO_GO)
    cleared = await client.delete_all()
    assert sorted(o.name for o in cleared) == ["1", "2", "3"]
    assert await client.active_orders() == ()


async def test_paging_marks_the_order_paged_and_cancelling_unmarks_it(client):
    await client.submit_order("66", OrderType.TO_GO, dummy_tracker=True)
    paged = await client.page("66")
    assert paged is not None
    assert paged.paged
    cancelled = await client.page("66", tracking=False)
    assert cancelled is not None
    assert not cancelled.paged


async def test_statistics_count_todays_cleared_orders(client, controls):
    await controls.move_clock(to=datetime.now(UTC).replace(hour=12).isoformat())
    await client.submit_order("1", OrderType.TO_GO)
    await controls.advance_clock(100)
    await client.delete_order("1")
    await client.submit_order("2", OrderType.TO_GO)
    await controls.advance_clock(400)
    await client.delete_order("2")
    stats = await client.statistics(target_time=300)
    assert stats.orders_today == 2
    assert stats.exceeded_today == 1
    assert stats.target_time == 300
    assert stats.percent_goal == 50.0


async def test_one_history_page_honours_offset_and_limit(client, controls):
    await controls.seed_history(days=1, orders_per_day=40)
    first = await client.orders(offset=0, limit=10)
    second = await client.orders(offset=10, limit=10)
    assert len(first.items) == len(second.items) == 10
    assert first.items[-1].started <= second.items[0].started
    assert not {r.uuid for r in first.items} & {r.uuid for r in second.items}


async def test_history_filters_by_type_table_and_dates(client, controls):
    await controls.seed_history(days=3, orders_per_day=60)
    to_go = [r async for r in client.iter_orders(order_type=OrderType.TO_GO)]
    assert to_go
    assert all(r.order_type is OrderType.TO_GO for r in to_go)
    at_five = [r async for r in client.iter_orders(location_name=5)]
    assert at_five
    assert all(r.location == "5" for r in at_five)
    since = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    recent = [r async for r in client.iter_orders(created_after=since)]
    assert recent
    assert all(r.started > since for r in recent)


def test_a_client_can_be_made_from_a_host_and_port_or_a_url():
    assert GatewayClient(host="10.0.1.2").base_url == f"http://10.0.1.2:{DEFAULT_PORT}"
    assert GatewayClient(host="fe80::1", port=9).base_url == "http://[fe80::1]:9"
    assert GatewayClient("10.0.1.2:8000/api/v2/").base_url == "http://10.0.1.2:8000"
    assert GatewayClient("http://10.0.1.2:8000/api/v1").base_url == "http://10.0.1.2:8000"
    with pytest.raises(ValueError, match="either base_url or host"):
        GatewayClient()
    with pytest.raises(ValueError, match="either base_url or host"):
        GatewayClient("http://a:1", host="b")


def test_a_token_that_cannot_be_a_header_is_refused_without_being_shown():
    secret = "abc\ndef"
    with pytest.raises(ValueError, match="printable characters") as caught:
        GatewayClient("http://127.0.0.1:1", secret)
    assert secret not in str(caught.value)


async def test_the_vendors_create_answers_are_told_apart_by_status_and_code(canned):
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        expected = [
            (201, vendor.CREATED_201, SubmitOutcome.CREATED),
            (200, vendor.MODIFIED_200, SubmitOutcome.MODIFIED),
            (200, vendor.ALREADY_STARTED_1009, SubmitOutcome.ALREADY_STARTED),
            (200, vendor.ALREADY_LOCATED_1010, SubmitOutcome.ALREADY_LOCATED),
        ]
        for status, payload, outcome in expected:
            canned.reply = (status, json.loads(payload))
            result = await gateway_client.submit_order("66", OrderType.ON_PREMISES)
            assert result.outcome is outcome
    created_request = canned.requests[0]
    assert created_request.path == "/api/v2/activeorders"
    assert created_request.headers["Authorization"] == "Bearer t0ken"
