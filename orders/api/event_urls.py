"""``/api/v1/events/`` and ``/api/v1/webhooks/`` (the stream is a WebSocket: orders.routing)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from orders.api.events import EventFeed
from orders.api.webhooks import WebhookEndpointViewSet

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="api-webhook")

urlpatterns: list[URLPattern | URLResolver] = [
    path("events/", EventFeed.as_view(), name="api-events"),
    *router.urls,
]
