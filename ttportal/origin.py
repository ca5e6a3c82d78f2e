"""The WebSocket origin check: a socket is opened only by the portal's own pages.

Browsers do not apply the same-origin policy to WebSockets, so a page elsewhere could open one
with the user's session cookie. Channels' ``AllowedHostsOriginValidator`` compares the Origin's
host name only: a page on another port of the same machine (another demo, the simulator, any
local service) passed. Here the Origin must equal the request's own scheme, host and port, or
be one of ``CSRF_TRUSTED_ORIGINS``; the Host must also be one of ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}

Origin = tuple[str, str, int]


def parse_origin(value: str) -> Origin | None:
    """``(scheme, host, port)`` of an origin such as ``https://portal.example.com:8443``."""
    try:
        parts = urlsplit(value.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {name.decode("latin1"): value.decode("latin1") for name, value in scope["headers"]}


def _request_scheme(scope: dict[str, Any], headers: dict[str, str]) -> str:
    """https when the socket came over TLS, here or at a proxy Django is told to trust."""
    if scope.get("scheme") in {"wss", "https"}:
        return "https"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        name, secure_value = proxy_header
        header = name.removeprefix("HTTP_").replace("_", "-").lower()
        if headers.get(header, "").split(",")[0].strip() == secure_value:
            return "https"
    return "http"


def own_origin(scope: dict[str, Any]) -> Origin | None:
    """The origin of the portal as this request addressed it, if its Host is allowed."""
    headers = _headers(scope)
    host = headers.get("host", "")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return parse_origin(f"{_request_scheme(scope, headers)}://{host}")


def _trusted(origin: Origin) -> bool:
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        scheme, _, rest = entry.lower().partition("://")
        wildcard = rest.startswith("*.")
        trusted = parse_origin(f"{scheme}://{rest[2:] if wildcard else rest}")
        if trusted is None or trusted[0] != origin[0] or trusted[2] != origin[2]:
            continue
        if origin[1] == trusted[1] or (wildcard and origin[1].endswith("." + trusted[1])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    given = parse_origin(_headers(scope).get("origin", ""))
    if given is None:
        return False
    return given == own_origin(scope) or _trusted(given)


class SameOriginValidator:
    """ASGI middleware: refuses (403 at the handshake) a socket from any other origin."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
