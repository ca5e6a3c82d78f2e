"""WebSocket routes of every app, gathered in one place."""

from __future__ import annotations

from typing import Any

from gateways.routing import websocket_urlpatterns as gateway_routes
from orders.routing import websocket_urlpatterns as order_routes

websocket_urlpatterns: list[Any] = [*gateway_routes, *order_routes]
