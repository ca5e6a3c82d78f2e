"""Examples of events and webhook endpoints, shown in the interactive docs."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

ORDER_EVENT = {
    "id": 1042,
    "type": "order.located",
    "occurred_at": "2026-12-03T12:04:05.120000Z",
    "site": 1,
    "gateway": 1,
    "data": {
        "uuid": "3f1c2a9e-8d1b-4a53-9c65-1d2e3f4a5b6c",
        "number": "12",
        "type": "on_premises",
        "table": "7",
        "state": "located",
        "paged": False,
        "started_at": "2026-12-03T12:01:00Z",
        "located_at": "2026-12-03T12:04:05Z",
        "elapsed_seconds": 185,
        "gateway": 1,
        "site": 1,
        "version": 2,
    },
}
FEED = OpenApiExample(
    "A page of the feed",
    value={
        "results": [ORDER_EVENT],
        "has_more": False,
        "next": "https://portal.example/api/v1/events/?after=1042&limit=100",
    },
    response_only=True,
)
ENDPOINT_BODY = {
    "id": 3,
    "url": "https://pos.example/hooks/tt",
    "event_types": ["order.created", "order.cleared"],
    "description": "Kitchen display",
    "enabled": True,
    "disabled_reason": "",
    "created": "2026-12-03T11:00:00Z",
}
ENDPOINT = OpenApiExample("An endpoint", value=ENDPOINT_BODY, response_only=True)
ENDPOINT_LIST = OpenApiExample("The key's endpoints", value=[ENDPOINT_BODY], response_only=True)
ENDPOINT_CREATED = OpenApiExample(
    "Created: the secret, shown this once",
    value={**ENDPOINT_BODY, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
    response_only=True,
    status_codes=["201"],
)
ENDPOINT_REQUEST = OpenApiExample(
    "Subscribe to orders starting and leaving",
    value={
        "url": "https://pos.example/hooks/tt",
        "event_types": ["order.created", "order.cleared"],
    },
    request_only=True,
)
PUSH = OpenApiExample(
    "An order reached its table",
    value={**ORDER_EVENT, "timestamp": ORDER_EVENT["occurred_at"]},
    request_only=True,
)
ENDPOINT_ENABLE = OpenApiExample(
    "Enable it again after a 410", value={"enabled": True}, request_only=True
)
