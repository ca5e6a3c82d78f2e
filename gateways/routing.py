from __future__ import annotations

from django.urls import path

from gateways.consumers import SiteEventsConsumer

websocket_urlpatterns = [
    path("ws/sites/", SiteEventsConsumer.as_asgi()),
]
