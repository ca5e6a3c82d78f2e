"""WebSocket routes of every app, gathered in one place."""

from __future__ import annotations

from typing import Any

from django.urls import path

from gateways.routing import websocket_urlpatterns as gateway_routes
from orders.api.consumers import EventStreamConsumer
from orders.routing import websocket_urlpatterns as order_routes

websocket_urlpatterns: list[Any] = [*gateway_routes, *order_routes]

# Sockets authenticated by an API key, not by the session cookie: a plugin is no browser and
# sends no Origin, and a page elsewhere gains nothing by opening one (it has no key), so these
# are served without the origin check that protects the cookie-authenticated pages.
api_websocket_urlpatterns: list[Any] = [
    path("api/v1/stream", EventStreamConsumer.as_asgi()),
]
