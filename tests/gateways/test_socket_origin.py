"""A socket opens only from the portal's own pages: scheme, host and port, or a trusted origin."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from tests.portal_fixtures import session_cookie
from ttportal.asgi import application
from ttportal.origin import origin_allowed

pytestmark = pytest.mark.django_db(transaction=True)


def handshake(origin: str, host: str, scheme: str = "ws", **headers: str) -> dict[str, Any]:
    pairs = [(b"origin", origin.encode()), (b"host", host.encode())]
    pairs += [(name.encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": pairs}


async def connect(user: Any, origin: str, host: str) -> bool:
    cookie = await sync_to_async(session_cookie)(user)
    headers = [(b"origin", origin.encode()), (b"host", host.encode()), (b"cookie", cookie)]
    communicator = WebsocketCommunicator(application, "/ws/sites/", headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


async def test_a_page_of_the_portal_itself_opens_a_socket(alice):
    assert await connect(alice, "http://127.0.0.1:8080", "127.0.0.1:8080")


async def test_a_page_on_another_port_of_the_same_machine_is_refused(alice):
    assert not await connect(alice, "http://127.0.0.1:8000", "127.0.0.1:8080")


def test_the_default_port_of_the_scheme_is_the_same_origin():
    assert origin_allowed(handshake("http://localhost", "localhost:80"))
    assert origin_allowed(handshake("http://localhost:80", "localhost"))


def test_another_scheme_is_another_origin():
    assert not origin_allowed(handshake("https://localhost", "localhost"))
    assert not origin_allowed(handshake("http://localhost:443", "localhost:443", scheme="wss"))


def test_behind_a_trusted_tls_proxy_the_https_page_is_the_same_origin(settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    forwarded = {"x-forwarded-proto": "https"}

    assert origin_allowed(
        handshake("https://portal.example.com", "portal.example.com", **forwarded)
    )
    assert not origin_allowed(
        handshake("http://portal.example.com", "portal.example.com", **forwarded)
    )


def test_the_forwarded_scheme_is_ignored_unless_the_proxy_is_trusted(settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = None
    forwarded = {"x-forwarded-proto": "https"}

    assert not origin_allowed(
        handshake("https://portal.example.com", "portal.example.com", **forwarded)
    )


def test_a_host_outside_allowed_hosts_is_refused_even_from_its_own_origin(settings):
    settings.ALLOWED_HOSTS = ["portal.example.com"]

    assert not origin_allowed(handshake("http://evil.example", "evil.example"))


def test_a_configured_trusted_origin_may_open_a_socket(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://wall.example.com", "https://*.example.net"]

    assert origin_allowed(handshake("https://wall.example.com", "127.0.0.1:8080"))
    assert origin_allowed(handshake("https://board.example.net", "127.0.0.1:8080"))
    assert not origin_allowed(handshake("https://wall.example.com:8443", "127.0.0.1:8080"))
    assert not origin_allowed(handshake("http://wall.example.com", "127.0.0.1:8080"))
    assert not origin_allowed(handshake("https://example.net.evil.example", "127.0.0.1:8080"))


def test_a_socket_without_an_origin_or_with_a_malformed_one_is_refused():
    assert not origin_allowed({"type": "websocket", "headers": [(b"host", b"127.0.0.1")]})
    assert not origin_allowed(handshake("null", "127.0.0.1"))
    assert not origin_allowed(handshake("http://127.0.0.1:99999", "127.0.0.1"))
