"""Adding a gateway by address dials only where gateways may live, and says one plain thing
when there is no gateway there (issue 11, finding 2: no SSRF, no port-scan oracle)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gateways import services
from gateways.models import Gateway
from gateways.services.discovery import NOT_A_GATEWAY

pytestmark = pytest.mark.django_db

LAN = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"]


class Answering:
    """A loopback HTTP server that is not a gateway: it answers every request the same way."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Answering:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def redirecting(sim: Any) -> Iterator[Answering]:
    """Redirects to a real gateway: following it would file this address as a gateway."""
    location = f"http://127.0.0.1:{sim.port}/api/v2"
    with Answering(302, {"Location": location}, b"") as server:
        yield server


@pytest.fixture
def web_page() -> Iterator[Answering]:
    with Answering(200, {"Content-Type": "text/html"}, b"<html>a router</html>") as server:
        yield server


def refusal(site: Any, host: str, port: int) -> str:
    with pytest.raises(services.AddGatewayError) as refused:
        services.add_by_address(site, host, port)
    assert not Gateway.objects.exists()
    return str(refused.value)


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "::", "::ffff:127.0.0.1", "localhost", "127.0.0.1", "169.254.169.254"]
)
def test_an_address_off_the_gateway_networks_is_not_dialled(settings, site, sim, host):
    settings.TTPORTAL_GATEWAY_NETWORKS = LAN

    assert refusal(site, host, sim.port) == NOT_A_GATEWAY


def test_a_redirect_even_to_a_real_gateway_is_not_a_gateway(site, redirecting):
    assert refusal(site, "127.0.0.1", redirecting.port) == NOT_A_GATEWAY
    assert redirecting.requests == 1


def test_refused_closed_and_wrong_answers_all_read_the_same(settings, site, sim, web_page):
    closed = refusal(site, "127.0.0.1", 1)
    wrong = refusal(site, "127.0.0.1", web_page.port)
    settings.TTPORTAL_GATEWAY_NETWORKS = LAN
    refused = refusal(site, "127.0.0.1", sim.port)

    assert closed == wrong == refused == NOT_A_GATEWAY


def test_a_long_host_is_never_echoed_back(client, alice, site, monkeypatch):
    def no_such_name(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "no such name")  # no DNS from the tests

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    client.force_login(alice)
    host = "a" * 60 + "." + "b" * 60 + ".example"

    response = client.post("/gateways/add", {"site": site.pk, "host": host, "port": 8000})

    assert response.status_code == 400
    assert NOT_A_GATEWAY in response.content.decode().replace("&#x27;", "'")
    assert response.content.decode().count(host) <= 1  # only in the form's own input value


def test_the_add_form_says_when_the_address_is_another_sites(client, alice, sim, other_site):
    Gateway.objects.create(site=other_site, name="Theirs", host="127.0.0.1", port=sim.port)
    client.force_login(alice)
    site = alice.site_memberships.get().site

    response = client.post(
        "/gateways/add", {"site": site.pk, "host": "127.0.0.1", "port": sim.port}
    )

    assert response.status_code == 400
    assert "already filed under another site" in response.content.decode()
    assert "Theirs" not in response.content.decode()
