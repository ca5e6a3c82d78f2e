"""ASGI entry point: Django for HTTP, Channels for WebSockets (session-authenticated)."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttportal.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: routing modules import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from ttportal.origin import SameOriginValidator  # noqa: E402
from ttportal.routing import api_websocket_urlpatterns, websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                # API-key sockets first (no session, no origin check: see ttportal.routing).
                *api_websocket_urlpatterns,
                # Only the portal's own pages (scheme, host and port) may open a session socket.
                re_path(
                    "", SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
                ),
            ]
        ),
    }
)

# What is alive once the application is built (Django, the apps, the routing) lives as long as
# the web server: frozen out of the collector's sight, so that a full collection does not walk
# it while every socket waits (pauses of 100-160 ms at lunch; the single box freezes in
# ttportal.singlebox once its roles have started).
gc.freeze()
