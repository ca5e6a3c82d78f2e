"""The OpenAPI description of each order operation: summary, bodies and an example of each.

Kept beside the views (which stay short) and read by drf-spectacular; the problem answers
every operation may give are added once for all by ``ttportal.api.schema``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from orders.api.serializers import (
    ActiveOrderList,
    ActiveOrderSerializer,
    CommandResult,
    HistoryPage,
    OrderInput,
    StatisticsSerializer,
)

ORDER: dict[str, Any] = {
    "uuid": "3f1c2a9e-8a6b-4c1d-9e7f-2b5a6c7d8e9f",
    "number": "12",
    "type": "on_premises",
    "table": "7",
    "state": "located",
    "paged": False,
    "started_at": "2026-12-03T12:01:30Z",
    "located_at": "2026-12-03T12:03:02Z",
    "elapsed_seconds": 214,
    "gateway": 1,
    "site": 1,
}
WAITING = {**ORDER, "table": None, "state": "started", "located_at": None}
NO_TRACKER = "Tracker not assigned with order."

ORDER_PATH = OpenApiParameter(
    "order", str, OpenApiParameter.PATH, description="The order's number (e.g. 12) or its uuid."
)


def example(name: str, value: Any, **kwargs: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, **kwargs)


LIST_ORDERS: dict[str, Any] = {
    "operation_id": "orders_list",
    "summary": "A gateway's active orders",
    "description": (
        "From the portal's live mirror of the gateway: fast, and still answered while the "
        "gateway is offline. `mirror.as_of` says when the portal last heard from it."
    ),
    "responses": {200: ActiveOrderList},
    "examples": [
        example(
            "Two orders",
            {
                "mirror": {
                    "gateway_status": "online",
                    "as_of": "2026-12-03T12:05:01Z",
                    "age_seconds": 3,
                },
                "results": [ORDER, {**WAITING, "number": "13", "uuid": ORDER["uuid"][:-1] + "0"}],
            },
            response_only=True,
        )
    ],
}

SUBMIT_ORDER: dict[str, Any] = {
    "operation_id": "orders_submit",
    "summary": "Start an order, locate it, or change it",
    "description": (
        "The gateway's own semantics: a new number starts an order (201); the number of an "
        "active order changes its type or table (200, `modified`); sending what the gateway "
        "already has changes nothing (200, `already_started` / `already_located`). Send an "
        "`Idempotency-Key` so that a retry never acts twice."
    ),
    "request": OrderInput,
    "responses": {
        201: OpenApiResponse(CommandResult, description="Started."),
        200: OpenApiResponse(CommandResult, description="Modified, or nothing to change."),
    },
    "examples": [
        example(
            "Start order 12, eat in", {"number": "12", "type": "on_premises"}, request_only=True
        ),
        example(
            "Start order 14 at table 7",
            {"number": "14", "type": "to_go", "table": "7"},
            request_only=True,
        ),
        example(
            "Started",
            {
                "result": "created",
                "message": "Order 12 started.",
                "warning": NO_TRACKER,
                "order": WAITING,
            },
            response_only=True,
            status_codes=["201"],
        ),
        example(
            "Nothing to change",
            {
                "result": "already_started",
                "message": "Order already started.",
                "warning": None,
                "order": WAITING,
            },
            response_only=True,
            status_codes=["200"],
        ),
    ],
}

CLEAR_ALL: dict[str, Any] = {
    "operation_id": "orders_clear_all",
    "summary": "Clear every active order of a gateway",
    "responses": {200: CommandResult},
    "examples": [
        example(
            "Cleared",
            {
                "result": "cleared",
                "message": "Cleared 3 orders on Kitchen.",
                "warning": None,
                "order": None,
            },
            response_only=True,
        )
    ],
}

GET_ORDER: dict[str, Any] = {
    "operation_id": "orders_retrieve",
    "summary": "One active order",
    "parameters": [ORDER_PATH],
    "responses": {200: ActiveOrderSerializer},
    "examples": [example("An order at its table", ORDER, response_only=True)],
}

DELETE_ORDER: dict[str, Any] = {
    "operation_id": "orders_clear",
    "summary": "Clear one order",
    "description": "The order leaves the gateway and goes to the portal's history.",
    "parameters": [ORDER_PATH],
    "request": None,
    "responses": {200: CommandResult},
    "examples": [
        example(
            "Cleared",
            {"result": "cleared", "message": "Order 12 cleared.", "warning": None, "order": None},
            response_only=True,
        )
    ],
}

PAGE_ORDER: dict[str, Any] = {
    "operation_id": "orders_page",
    "summary": "Page an order (its tracker vibrates)",
    "parameters": [ORDER_PATH],
    "request": None,
    "responses": {200: CommandResult},
    "examples": [
        example(
            "Paged",
            {
                "result": "paged",
                "message": "Order 12 paged.",
                "warning": None,
                "order": {**WAITING, "paged": True},
            },
            response_only=True,
        )
    ],
}

HISTORY_RECORD = {
    "uuid": ORDER["uuid"],
    "number": "12",
    "type": "on_premises",
    "table": "7",
    "started_at": "2026-12-03T12:01:30Z",
    "located_at": "2026-12-03T12:03:02Z",
    "cleared_at": "2026-12-03T12:14:45Z",
    "delivery_seconds": 795,
    "time_to_sit_seconds": 92,
    "paged": False,
    "cleared_by": "tracker",
    "gateway": 1,
    "site": 1,
    "sequence": 4182,
}

HISTORY: dict[str, Any] = {
    "operation_id": "history_list",
    "summary": "Finished orders, for an incremental sync",
    "description": (
        "In the order the portal wrote them (`sequence`), oldest first. Keep the `after` of each "
        "page and send it as `?after=` next time: a record written late, or changed since "
        "(confirmed by the gateway's history, cleared differently), comes again with a higher "
        "`sequence`, so a sync never misses one. Upsert by `uuid`."
    ),
    "parameters": [
        OpenApiParameter(
            "after", int, description="The `after` of the previous page (0: from the start)."
        ),
        OpenApiParameter("limit", int, description="Records per page, 1 to 500 (default 100)."),
        OpenApiParameter("site", int),
        OpenApiParameter("gateway", int),
        OpenApiParameter("started_after", str, description="ISO 8601 date-time (included)."),
        OpenApiParameter("started_before", str, description="ISO 8601 date-time (excluded)."),
        OpenApiParameter("type", str, enum=["on_premises", "to_go"]),
        OpenApiParameter("table", str, description="A table number."),
    ],
    "responses": {200: HistoryPage},
    "examples": [
        example(
            "One page",
            {"results": [HISTORY_RECORD], "after": 4182, "next": None},
            response_only=True,
        )
    ],
}

FIGURES = {
    "orders": 42,
    "delivered": 40,
    "average_delivery_seconds": 612.5,
    "average_time_to_sit_seconds": 95.0,
    "within_target": 31,
    "over_target": 9,
    "share_within_target_percent": 77.5,
}

STATISTICS: dict[str, Any] = {
    "operation_id": "statistics_retrieve",
    "summary": "Delivery figures for a period",
    "description": (
        "From the portal's own history, each site in its own calendar. Without `from`/`to`: "
        "today. Breakdowns by day, hour, part of the day, type and table."
    ),
    "parameters": [
        OpenApiParameter("site", int),
        OpenApiParameter("gateway", int),
        OpenApiParameter("from", str, description="First day, YYYY-MM-DD."),
        OpenApiParameter("to", str, description="Last day, YYYY-MM-DD (included)."),
    ],
    "responses": {200: StatisticsSerializer},
    "examples": [
        example(
            "Today",
            {
                "first_day": "2026-12-03",
                "last_day": "2026-12-03",
                "total": FIGURES,
                "median_delivery_seconds": 580.0,
                "previous": FIGURES,
                "by_day": [{"key": "2026-12-03", "label": "Thu 03 Dec", "figures": FIGURES}],
                "by_hour": [],
                "by_day_part": [],
                "by_type": [],
                "by_table": [],
            },
            response_only=True,
        )
    ],
}
