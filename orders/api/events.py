"""The event feed: how a plugin that missed pushes, or was down, catches up (the truth)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiWebhook,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gateways.api.permissions import visible_sites
from orders.api import event_examples
from orders.models import Event
from orders.services import events

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


class FeedQuery(serializers.Serializer[None]):
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


# For the schema only: the feed writes ``events.event_payload`` as it is.
EVENT = inline_serializer(
    "Event",
    {
        "id": serializers.IntegerField(help_text="Increases with every event: the cursor."),
        "type": serializers.ChoiceField(choices=Event.Type.choices),
        "occurred_at": serializers.DateTimeField(),
        "site": serializers.IntegerField(),
        "gateway": serializers.IntegerField(),
        "data": serializers.DictField(
            help_text="The order (with its version) or the gateway, as it became."
        ),
    },
    many=True,
)


FEED_ANSWER = inline_serializer(
    "EventPage",
    {
        "results": EVENT,
        "has_more": serializers.BooleanField(help_text="More events wait: ask `next` at once."),
        "next": serializers.URLField(help_text="Ask this next (also when `results` is empty)."),
    },
)


class EventFeed(APIView):
    @extend_schema(
        operation_id="events_list",
        summary="Every change after a cursor, oldest first",
        description=(
            "Order created/located/modified/paged/cleared and gateway online/offline/"
            "needs_pairing, for the key's sites, kept 30 days. Pass the last `id` you handled "
            "as `after`; an event committed late is never skipped (ids are handed out in "
            "commit order). Order events carry the order's `version`: drop an older one."
        ),
        parameters=[
            OpenApiParameter("after", int, description="Only events with a greater id."),
            OpenApiParameter("limit", int, description=f"At most this many (1-{MAX_LIMIT})."),
        ],
        responses={200: FEED_ANSWER},
        examples=[event_examples.FEED],
    )
    def get(self, request: Request) -> Response:
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        site_ids = visible_sites(request).values_list("pk", flat=True)
        page = events.feed(site_ids, after, limit)
        return Response(
            {
                "results": [events.event_payload(e) for e in page.events],
                "has_more": page.has_more,
                "next": next_url(request, page.cursor, limit),
            }
        )


def next_url(request: Request, cursor: int, limit: int) -> Any:
    return request.build_absolute_uri(f"{request.path}?after={cursor}&limit={limit}")


# The push every endpoint receives, in the schema's ``webhooks`` (OpenAPI 3.1).
EVENT_WEBHOOK = OpenApiWebhook(
    name="event",
    decorator=extend_schema(
        summary="An event, pushed to a webhook endpoint",
        description=(
            "POSTed per Standard Webhooks 1.0 with `webhook-id` (the same on every retry: drop "
            "repeats), `webhook-timestamp` (refuse one more than 5 minutes off) and "
            "`webhook-signature: v1,<base64 HMAC-SHA256>` of `id.timestamp.body` with the "
            "endpoint's `whsec_` secret. Answer 2xx within 10 s; anything else is retried "
            "(5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); 410 disables the endpoint. Order "
            "is not guaranteed: the feed is the source of truth."
        ),
        request=inline_serializer(
            "EventPush",
            {
                "id": serializers.IntegerField(),
                "type": serializers.ChoiceField(choices=Event.Type.choices),
                "occurred_at": serializers.DateTimeField(),
                "timestamp": serializers.DateTimeField(help_text="The same as occurred_at."),
                "site": serializers.IntegerField(),
                "gateway": serializers.IntegerField(),
                "data": serializers.DictField(),
            },
        ),
        responses={200: None, 204: None, 410: None},
        examples=[event_examples.PUSH],
    ),
)
