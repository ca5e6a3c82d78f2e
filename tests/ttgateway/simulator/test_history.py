"""GET /orders and GET /orders/{uuid}: ORDER_SUMMARY, ordering, paging, filters, purge."""

import uuid

import pytest

from tests.ttgateway.simulator.contract import ORDER_SUMMARY_KEYS, UTC_TIME


async def test_a_cleared_order_is_summarised_in_history(gateway):
    await gateway.freeze("2026-03-02T10:00:36")
    created = await gateway.create("66", "ON_PREMISES")
    await gateway.advance(5)
    await gateway.clear("66")
    order_id = created.body["activeorder"]["uuid"]
    reply = await gateway.call("GET", f"/orders/{order_id}")
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "order"}
    assert reply.body["status"] == 200
    assert reply.body["returnCode"] == 9
    # The vendor's example, field for field (times and uuid ours).
    assert reply.body["order"] == {
        "locationName": None,
        "orderLocated": None,
        "uuid": order_id,
        "orderCleared": "2026-03-02T10:00:41+00:00",
        "orderType": "ON_PREMISE",
        "orderStarted": "2026-03-02T10:00:36+00:00",
        "type": "ORDER_SUMMARY",
        "name": "66",
    }


async def test_a_located_order_keeps_its_table_and_time_in_history(gateway):
    await gateway.freeze("2026-03-02T10:05:27")
    await gateway.start("66", "TO_GO")
    await gateway.advance(28)
    await gateway.locate("66", "10")
    await gateway.advance(9)
    await gateway.clear("66")
    (order,) = (await gateway.orders()).body["items"]
    assert set(order) == ORDER_SUMMARY_KEYS
    assert order["orderType"] == "TO_GO"
    assert order["locationName"] == "10"
    assert order["orderStarted"] == "2026-03-02T10:05:27+00:00"
    assert order["orderLocated"] == "2026-03-02T10:05:55+00:00"
    assert order["orderCleared"] == "2026-03-02T10:06:04+00:00"


async def test_the_order_list_has_the_documented_shape_with_count_as_a_string(gateway):
    for name in ("66", "87"):
        await gateway.finish(name, after=5)
    reply = await gateway.orders()
    assert reply.status == 200
    assert set(reply.body) == {"status", "returnCode", "count", "items"}
    assert reply.body["status"] == 200
    assert reply.body["returnCode"] == 8
    assert reply.body["count"] == "2"
    for item in reply.body["items"]:
        assert set(item) == ORDER_SUMMARY_KEYS
        assert item["type"] == "ORDER_SUMMARY"
        assert UTC_TIME.match(item["orderStarted"])
        assert UTC_TIME.match(item["orderCleared"])


async def test_an_empty_history_lists_nothing(gateway):
    reply = await gateway.orders()
    assert reply.body == {"status": 200, "returnCode": 8, "count": "0", "items": []}


async def test_count_is_the_number_of_all_matches_not_of_the_page(gateway):
    for name in ("1", "2", "3"):
        await gateway.finish(name, after=1)
    reply = await gateway.orders(limit="2")
    assert reply.body["count"] == "3"
    assert len(reply.body["items"]) == 2


async def test_orders_are_listed_by_start_then_uuid(gateway):
    await gateway.freeze()
    # Three orders started in the same second, one started earlier but cleared last.
    early = (await gateway.create("9")).body["activeorder"]["uuid"]
    await gateway.advance(60)
    same_second = [(await gateway.create(n)).body["activeorder"]["uuid"] for n in ("1", "2", "3")]
    await gateway.advance(60)
    for name in ("3", "1", "2", "9"):
        await gateway.clear(name)
    listed = [o["uuid"] for o in (await gateway.orders()).body["items"]]
    assert listed == [early, *sorted(same_second)]


async def test_offset_paging_walks_the_history_without_gaps_or_repeats(gateway):
    await gateway.controls.seed_history(days=1, orders_per_day=40, seed=3)
    everything = (await gateway.orders(limit="100")).body["items"]
    walked = []
    offset = 0
    while True:
        page = (await gateway.orders(limit="7", offset=str(offset))).body["items"]
        walked += page
        if len(page) < 7:
            break
        offset += 7
    assert len(everything) > 7
    assert walked == everything
    assert len({o["uuid"] for o in walked}) == len(walked)
    assert [o["orderStarted"] for o in walked] == sorted(o["orderStarted"] for o in walked)


async def test_the_default_limit_is_25_and_100_is_allowed(gateway):
    await gateway.controls.seed_history(days=1, orders_per_day=120, seed=3)
    total = int((await gateway.orders()).body["count"])
    assert total > 100
    assert len((await gateway.orders()).body["items"]) == 25
    assert len((await gateway.orders(limit="100")).body["items"]) == 100


async def test_an_offset_past_the_end_gives_an_empty_page(gateway):
    await gateway.finish("1", after=1)
    reply = await gateway.orders(offset="5")
    assert reply.status == 200
    assert reply.body["items"] == []
    assert reply.body["count"] == "1"


async def _three_orders_a_minute_apart(gateway):
    await gateway.freeze("2026-03-02T10:00:00")
    ids = []
    for name in ("1", "2", "3"):
        ids.append(await gateway.finish(name, after=60))
    return ids  # started at 10:00:00, 10:01:00, 10:02:00


async def test_created_after_keeps_orders_started_after_the_moment(gateway):
    ids = await _three_orders_a_minute_apart(gateway)
    reply = await gateway.orders(created_after="2026-03-02T10:00:30")
    assert [o["uuid"] for o in reply.body["items"]] == ids[1:]
    assert reply.body["count"] == "2"


async def test_created_before_keeps_orders_started_before_the_moment(gateway):
    ids = await _three_orders_a_minute_apart(gateway)
    reply = await gateway.orders(created_before="2026-03-02T10:01:30")
    assert [o["uuid"] for o in reply.body["items"]] == ids[:2]


async def test_both_dates_make_a_window(gateway):
    ids = await _three_orders_a_minute_apart(gateway)
    reply = await gateway.orders(
        created_after="2026-03-02T10:00:30", created_before="2026-03-02T10:01:30"
    )
    assert [o["uuid"] for o in reply.body["items"]] == [ids[1]]


async def test_history_is_filtered_by_order_type(gateway):
    await gateway.start("1", "TO_GO")
    await gateway.start("2", "ON_PREMISES")
    for name in ("1", "2"):
        await gateway.clear(name)
    to_go = (await gateway.orders(order_type="TO_GO")).body["items"]
    assert [o["name"] for o in to_go] == ["1"]
    for spelling in ("ON_PREMISE", "ON_PREMISES"):
        on_premises = (await gateway.orders(order_type=spelling)).body["items"]
        assert [o["name"] for o in on_premises] == ["2"]


async def test_history_is_filtered_by_location(gateway):
    await gateway.finish("1", after=5, location="10")
    await gateway.finish("2", after=5, location="11")
    await gateway.finish("3", after=5)
    reply = await gateway.orders(location_name="10")
    assert [o["name"] for o in reply.body["items"]] == ["1"]
    assert reply.body["count"] == "1"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "abc"}, -23),
        ({"limit": "0"}, -23),
        ({"limit": "-1"}, -23),
        ({"limit": "2.5"}, -23),
        ({"offset": "abc"}, -24),
        ({"offset": "-1"}, -24),
        ({"limit": "101"}, -26),
        ({"created_after": "2026-03-02"}, -25),
        ({"created_after": "2026-03-02 10:00:00"}, -25),
        ({"created_before": "yesterday"}, -25),
        ({"created_before": "2026-02-30T10:00:00"}, -25),
        ({"location_name": "A1"}, -10),
        ({"location_name": "-4"}, -10),
        ({"order_type": "DELIVERY"}, -12),
    ],
)
async def test_an_invalid_query_is_refused_with_the_documented_code(gateway, params, code):
    reply = await gateway.orders(**params)
    assert reply.is_error(400, code), reply.body


async def test_a_single_order_needs_a_valid_uuid(gateway):
    reply = await gateway.call("GET", "/orders/66")
    assert reply.is_error(400, -27), reply.body


async def test_an_unknown_uuid_is_not_found_in_history(gateway):
    reply = await gateway.call("GET", f"/orders/{uuid.uuid4()}")
    assert reply.is_error(404, -6), reply.body


async def test_an_active_order_is_not_in_history_yet(gateway):
    created = (await gateway.create("66")).body["activeorder"]
    assert (await gateway.call("GET", f"/orders/{created['uuid']}")).is_error(404, -6)


async def test_orders_sharing_a_name_are_told_apart_by_uuid(gateway):
    first = await gateway.finish("66", after=5)
    second = await gateway.finish("66", after=7)
    assert first != second
    listed = (await gateway.orders()).body["items"]
    assert [o["name"] for o in listed] == ["66", "66"]
    for order_id in (first, second):
        reply = await gateway.call("GET", f"/orders/{order_id}")
        assert reply.body["order"]["uuid"] == order_id


async def test_history_younger_than_two_weeks_is_kept(gateway):
    order_id = await gateway.finish("66", after=5)
    await gateway.advance(13 * 24 * 3600)
    assert (await gateway.orders()).body["count"] == "1"
    assert (await gateway.call("GET", f"/orders/{order_id}")).status == 200


async def test_history_older_than_two_weeks_is_purged(gateway):
    order_id = await gateway.finish("66", after=5)
    await gateway.advance(15 * 24 * 3600)
    assert (await gateway.orders()).body["count"] == "0"
    assert (await gateway.call("GET", f"/orders/{order_id}")).is_error(404, -6)
