"""iter_orders reads all of history in pages of 100, trusting neither meaning of ``count``."""

from __future__ import annotations

from aiohttp import web

from ttgateway.client import GatewayClient, OrderSummary
from ttgateway.simulator.records import FinishedOrder


def as_summary(record: FinishedOrder) -> OrderSummary:
    return OrderSummary(
        name=record.name,
        uuid=record.uuid,
        order_type=record.order_type,
        location=record.location,
        started=record.started,
        located=record.located,
        cleared=record.cleared,
    )


async def test_iterating_history_returns_exactly_the_gateways_history_in_order(
    client, controls, simulator
):
    seeded = await controls.seed_history(days=2, orders_per_day=150)
    assert seeded.history_count > 250
    records = [record async for record in client.iter_orders()]
    assert records == [as_summary(r) for r in simulator.state.history]


def history_gateway(total: int, count_says: str) -> tuple[list[str], object]:
    """A handler serving ``total`` fake records whose ``count`` says whatever the test wants."""
    asked: list[str] = []

    async def handler(request: web.Request) -> tuple[int, dict[str, object]]:
        asked.append(request.query_string)
        offset, limit = int(request.query["offset"]), int(request.query["limit"])
        items = [
            {
                "name": str(n % 60 + 1),
                "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "orderType": "TO_GO",
                "locationName": None,
                "orderStarted": f"2026-01-01T10:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
                "orderLocated": None,
                "orderCleared": "2026-01-01T12:00:00+00:00",
                "type": "ORDER_SUMMARY",
            }
            for n in range(offset, min(offset + limit, total))
        ]
        return 200, {"status": 200, "returnCode": 8, "count": count_says, "items": items}

    return asked, handler


async def test_a_count_that_means_this_page_does_not_stop_iteration_early(canned):
    asked, canned.handler = history_gateway(total=250, count_says="7")
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        records = [r async for r in gateway_client.iter_orders()]
    assert len(records) == 250
    assert len(asked) == 3


async def test_a_count_that_means_all_matches_does_not_skip_the_last_empty_page(canned):
    asked, canned.handler = history_gateway(total=200, count_says="200")
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        records = [r async for r in gateway_client.iter_orders()]
    assert len(records) == 200
    assert asked == [f"offset={o}&limit=100" for o in (0, 100, 200)]


async def test_a_record_seen_twice_while_history_shifts_is_yielded_once(canned):
    # A gateway whose history grew at the front between two pages repeats a record.
    async def handler(request: web.Request) -> tuple[int, dict[str, object]]:
        offset = int(request.query["offset"])
        numbers = range(0, 100) if offset == 0 else range(99, 150)
        items = [
            {
                "name": "1",
                "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "orderType": "TO_GO",
                "orderStarted": "2026-01-01T10:00:00+00:00",
                "orderCleared": "2026-01-01T10:05:00+00:00",
            }
            for n in numbers
        ]
        return 200, {"status": 200, "returnCode": 8, "count": "150", "items": items}

    canned.handler = handler
    async with GatewayClient(canned.url, "t0ken") as gateway_client:
        uuids = [r.uuid async for r in gateway_client.iter_orders()]
    assert len(uuids) == len(set(uuids)) == 150
