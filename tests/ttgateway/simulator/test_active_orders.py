"""POST, GET, DELETE /activeorders and paging, row by row of the spec's endpoint table."""

import pytest

from tests.ttgateway.simulator.contract import ACTIVEORDER_KEYS, NAIVE_TIME, NOON, UUID

WARNING = "Tracker not assigned with order."


async def test_an_order_created_without_a_tracker_carries_the_warning(gateway):
    await gateway.freeze()
    reply = await gateway.create("66")
    assert reply.status == 201
    assert set(reply.body) == {"status", "returnCode", "warning", "activeorder"}
    assert reply.body["status"] == 201
    assert reply.body["returnCode"] == 5
    assert reply.body["warning"] == WARNING
    order = reply.body["activeorder"]
    assert set(order) == ACTIVEORDER_KEYS
    assert UUID.match(order["uuid"])
    assert order == {
        "name": "66",
        "uuid": order["uuid"],
        "orderType": "ON_PREMISE",
        "locationName": "",
        "state": "started",
        "stateChanged": NOON,
        "created": NOON,
        "paged": False,
        "elapsedTime": 0,
    }


async def test_a_dummy_tracker_address_binds_a_tracker_and_drops_the_warning(gateway):
    reply = await gateway.create("66", dummy_tracker=True)
    assert reply.status == 201
    assert set(reply.body) == {"status", "returnCode", "activeorder"}


async def test_a_tracker_address_is_remembered_for_later_orders(gateway):
    await gateway.start("66")
    await gateway.clear("66")
    reply = await gateway.create("66")
    assert reply.status == 201
    assert "warning" not in reply.body


@pytest.mark.parametrize(
    ("sent", "answered"),
    [("ON_PREMISES", "ON_PREMISE"), ("ON_PREMISE", "ON_PREMISE"), ("TO_GO", "TO_GO")],
)
async def test_both_spellings_of_on_premises_are_accepted_and_answered_as_on_premise(
    gateway, sent, answered
):
    reply = await gateway.create("66", sent)
    assert reply.status == 201
    assert reply.body["activeorder"]["orderType"] == answered


async def test_an_order_created_with_a_location_is_located_at_once(gateway):
    reply = await gateway.create("27", location="207")
    assert reply.status == 201
    assert reply.body["activeorder"]["state"] == "located"
    assert reply.body["activeorder"]["locationName"] == "207"


async def test_an_empty_location_leaves_the_order_started(gateway):
    reply = await gateway.create("27", location="")
    assert reply.body["activeorder"]["state"] == "started"
    assert reply.body["activeorder"]["locationName"] == ""


async def test_changing_the_order_type_modifies_the_order(gateway):
    created = (await gateway.create("66")).body["activeorder"]
    reply = await gateway.create("66", "TO_GO")
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "activeorder"}
    assert reply.body["status"] == 200
    assert reply.body["returnCode"] == 5
    assert reply.body["activeorder"] == {**created, "orderType": "TO_GO"}


async def test_giving_a_started_order_a_location_locates_it(gateway):
    await gateway.freeze()
    created = (await gateway.create("66")).body["activeorder"]
    await gateway.advance(30)
    reply = await gateway.create("66", location="12")
    assert reply.status == 200
    assert reply.body["activeorder"] == {
        **created,
        "state": "located",
        "locationName": "12",
        "stateChanged": "2026-03-02T12:00:30",
        "elapsedTime": 30,
    }


async def test_resubmitting_a_started_order_answers_already_started(gateway):
    await gateway.create("66")
    reply = await gateway.create("66")
    assert reply.is_error(200, 1009), reply.body


async def test_resubmitting_a_located_order_answers_already_located(gateway):
    await gateway.create("66", location="12")
    assert (await gateway.create("66", location="12")).is_error(200, 1010)
    assert (await gateway.create("66")).is_error(200, 1010)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"orderType": "TO_GO"}, -8),
        ({"name": "", "orderType": "TO_GO"}, -8),
        ({"name": "abc", "orderType": "TO_GO"}, -9),
        ({"name": "-5", "orderType": "TO_GO"}, -9),
        ({"name": "6.5", "orderType": "TO_GO"}, -9),
        ({"name": "0", "orderType": "TO_GO"}, -9),
        ({"name": "66", "orderType": "TO_GO", "locationName": "A1"}, -10),
        ({"name": "66", "orderType": "TO_GO", "locationName": "-3"}, -10),
        ({"name": "66"}, -11),
        ({"name": "66", "orderType": ""}, -11),
        ({"name": "66", "orderType": "DELIVERY"}, -12),
        ({"name": "66", "orderType": "to_go"}, -12),
    ],
)
async def test_an_invalid_order_is_refused_with_the_documented_code(gateway, body, code):
    reply = await gateway.call("POST", "/activeorders", json=body)
    assert reply.is_error(400, code), reply.body
    assert (await gateway.call("GET", "/activeorders")).body["count"] == 0


async def test_a_body_that_is_not_json_is_refused(gateway):
    reply = await gateway.call("POST", "/activeorders", data="name=66")
    assert reply.status == 400
    assert reply.body["returnCode"] == -31


async def test_the_active_list_holds_every_active_order(gateway):
    first = (await gateway.create("1")).body["activeorder"]
    second = (await gateway.create("2", "TO_GO", "5")).body["activeorder"]
    reply = await gateway.call("GET", "/activeorders")
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "count", "items"}
    assert reply.body["returnCode"] == 5
    assert int(reply.body["count"]) == 2
    assert {o["uuid"] for o in reply.body["items"]} == {first["uuid"], second["uuid"]}
    assert all(set(o) == ACTIVEORDER_KEYS for o in reply.body["items"])


async def test_an_active_order_is_found_by_name_and_by_uuid(gateway):
    created = (await gateway.create("66", location="3")).body["activeorder"]
    by_name = await gateway.call("GET", "/activeorders/66")
    by_uuid = await gateway.call("GET", f"/activeorders/{created['uuid']}")
    for reply in (by_name, by_uuid):
        assert reply.status == 200
        assert reply.body == {"status": 200, "returnCode": 5, "activeorder": created}


@pytest.mark.parametrize("identifier", ["67", "54ed91e6-286b-4912-b44c-7a7a3001d715"])
async def test_an_unknown_active_order_is_not_found(gateway, identifier):
    await gateway.create("66")
    reply = await gateway.call("GET", f"/activeorders/{identifier}")
    assert reply.is_error(404, -6), reply.body


async def test_timestamps_of_active_orders_carry_no_offset(gateway):
    order = (await gateway.create("66")).body["activeorder"]
    assert NAIVE_TIME.match(order["created"])
    assert NAIVE_TIME.match(order["stateChanged"])


async def test_elapsed_time_grows_with_the_clock(gateway):
    await gateway.freeze()
    await gateway.create("66")
    await gateway.advance(95)
    order = (await gateway.call("GET", "/activeorders/66")).body["activeorder"]
    assert order["elapsedTime"] == 95
    assert order["created"] == NOON


async def test_deleting_an_order_clears_it_into_history(gateway):
    await gateway.freeze()
    created = (await gateway.create("66")).body["activeorder"]
    await gateway.advance(10)
    reply = await gateway.call("DELETE", "/activeorders/66")
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "activeorder"}
    assert reply.body["returnCode"] == 5
    assert reply.body["activeorder"] == {
        **created,
        "state": "cleared",
        "stateChanged": "2026-03-02T12:00:10",
        "elapsedTime": 10,
    }
    assert (await gateway.call("GET", "/activeorders/66")).is_error(404, -6)
    history = await gateway.orders()
    assert [o["uuid"] for o in history.body["items"]] == [created["uuid"]]


async def test_an_order_is_deleted_by_uuid_too(gateway):
    created = (await gateway.create("66")).body["activeorder"]
    reply = await gateway.call("DELETE", f"/activeorders/{created['uuid']}")
    assert reply.status == 200
    assert (await gateway.call("GET", "/activeorders")).body["count"] == 0


async def test_deleting_an_unknown_order_is_not_found(gateway):
    reply = await gateway.call("DELETE", "/activeorders/66")
    assert reply.is_error(404, -6), reply.body


async def test_deleting_all_orders_empties_the_active_set_into_history(gateway):
    for name in ("1", "2", "3"):
        await gateway.create(name)
    reply = await gateway.call("DELETE", "/activeorders")
    assert reply.status == 200
    assert reply.body["status"] == 200
    assert (await gateway.call("GET", "/activeorders")).body["count"] == 0
    assert (await gateway.orders()).body["count"] == "3"


async def test_paging_an_order_marks_it_paged(gateway):
    await gateway.create("66", dummy_tracker=True)
    reply = await gateway.call("POST", "/activeorders/66/page", json={"tracking": True})
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "activeorder"}
    assert reply.body["returnCode"] == 5
    assert reply.body["activeorder"]["paged"] is True
    assert (await gateway.call("GET", "/activeorders/66")).body["activeorder"]["paged"] is True


async def test_a_page_needs_no_body_since_tracking_defaults_to_true(gateway):
    await gateway.create("66", dummy_tracker=True)
    reply = await gateway.call("POST", "/activeorders/66/page")
    assert reply.status == 200
    assert reply.body["activeorder"]["paged"] is True


async def test_an_order_without_a_tracker_cannot_be_paged(gateway):
    await gateway.create("66")
    reply = await gateway.call("POST", "/activeorders/66/page", json={"tracking": True})
    assert reply.status == 400
    assert reply.body["returnCode"] == -14
    assert set(reply.body) == {"status", "returnCode", "message"}


async def test_paging_is_unavailable_while_the_gateway_says_so(gateway):
    await gateway.create("66", dummy_tracker=True)
    await gateway.controls.set_faults(paging_unavailable=True)
    reply = await gateway.call("POST", "/activeorders/66/page", json={"tracking": True})
    assert reply.body["returnCode"] == -13
    assert reply.status >= 400
    assert set(reply.body) == {"status", "returnCode", "message"}
    await gateway.controls.clear_faults()
    assert (await gateway.call("POST", "/activeorders/66/page")).status == 200


async def test_paging_an_unknown_order_is_not_found(gateway):
    reply = await gateway.call("POST", "/activeorders/66/page", json={"tracking": True})
    assert reply.is_error(404, -6), reply.body


async def test_an_order_id_that_is_neither_a_name_nor_a_uuid_is_refused(gateway):
    reply = await gateway.call("GET", "/activeorders/table-12")
    assert reply.status == 400
    assert reply.body["returnCode"] == -7


async def test_a_page_with_tracking_false_cancels_the_page(gateway):
    await gateway.create("66", dummy_tracker=True)
    await gateway.call("POST", "/activeorders/66/page")
    reply = await gateway.call("POST", "/activeorders/66/page", json={"tracking": False})
    assert reply.status == 200
    assert reply.body["activeorder"]["paged"] is False
    assert (await gateway.call("GET", "/activeorders/66")).body["activeorder"]["paged"] is False
