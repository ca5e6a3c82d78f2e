"""The one outbound rule: which addresses the portal may dial for gateways and for webhooks."""

from __future__ import annotations

import socket
import threading
from typing import Any

import pytest

from gateways import outbound
from gateways.outbound import DestinationRefused, check_gateway_address, check_webhook_url

LAN = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7", "fe80::/10"]


@pytest.fixture
def lan_only(settings: Any) -> None:
    """The production default: gateways on the private LAN ranges, webhooks public only."""
    settings.TTPORTAL_GATEWAY_NETWORKS = LAN
    settings.TTPORTAL_WEBHOOK_NETWORKS = []


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    """Every name resolves to ``addresses`` (no resolver is asked)."""

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in addresses[0] else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.usefixtures("lan_only")
@pytest.mark.parametrize("host", ["10.1.2.3", "172.16.0.9", "192.168.1.20", "fd12::5", "fe80::1"])
def test_a_gateway_on_the_lan_is_allowed(host: str) -> None:
    check_gateway_address(host, 8000)


@pytest.mark.usefixtures("lan_only")
@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "::",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
        "::ffff:7f00:1",
        "169.254.169.254",
        "fd00:ec2::254",
        "224.0.0.251",
        "ff02::fb",
        "255.255.255.255",
        "8.8.8.8",
        "172.32.0.1",
    ],
)
def test_a_gateway_off_the_lan_is_refused(host: str) -> None:
    with pytest.raises(DestinationRefused):
        check_gateway_address(host, 8000)


@pytest.mark.parametrize("port", [0, -1, 65536, 10**9])
def test_a_gateway_port_outside_the_range_is_refused(port: int) -> None:
    with pytest.raises(DestinationRefused):
        check_gateway_address("127.0.0.1", port)


def test_loopback_is_allowed_only_when_the_setting_lists_it(settings: Any) -> None:
    check_gateway_address("127.0.0.1", 8000)  # the tests list loopback
    settings.TTPORTAL_GATEWAY_NETWORKS = LAN
    with pytest.raises(DestinationRefused):
        check_gateway_address("127.0.0.1", 8000)


def test_always_refused_addresses_stay_refused_whatever_the_setting(settings: Any) -> None:
    settings.TTPORTAL_GATEWAY_NETWORKS = ["0.0.0.0/0", "::/0"]
    for host in ("0.0.0.0", "::", "169.254.169.254", "::ffff:169.254.169.254", "224.0.0.251"):
        with pytest.raises(DestinationRefused):
            check_gateway_address(host, 80)


@pytest.mark.usefixtures("lan_only")
def test_a_name_is_refused_when_any_of_its_addresses_is_off_the_lan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving_to(monkeypatch, "192.168.1.20", "127.0.0.1")
    with pytest.raises(DestinationRefused):
        check_gateway_address("gateway.lan", 8000)


@pytest.mark.usefixtures("lan_only")
def test_a_name_on_the_lan_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    resolving_to(monkeypatch, "192.168.1.20")
    check_gateway_address("gateway.lan", 8000)


@pytest.mark.usefixtures("lan_only")
def test_localhost_is_refused_by_default() -> None:
    with pytest.raises(DestinationRefused):
        check_gateway_address("localhost", 8000)


def test_a_name_that_does_not_resolve_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "no such name")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(DestinationRefused):
        check_gateway_address("nowhere.invalid", 8000)


def test_a_resolver_that_hangs_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    released = threading.Event()

    def hang(*args: Any, **kwargs: Any) -> list[Any]:
        released.wait(10)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    monkeypatch.setattr(outbound, "RESOLVE_SECONDS", 0.2)
    try:
        with pytest.raises(DestinationRefused) as refused:
            check_gateway_address("slow.lan", 8000)
        assert refused.value.reason == "resolve-timeout"
    finally:
        released.set()


@pytest.mark.parametrize("host", ["", " ", "a/b", "user@10.0.0.1", "x" * 300])
def test_a_malformed_host_is_refused(host: str) -> None:
    with pytest.raises(DestinationRefused):
        check_gateway_address(host, 8000)


def test_the_refusal_names_no_internals(settings: Any) -> None:
    settings.TTPORTAL_GATEWAY_NETWORKS = LAN
    with pytest.raises(DestinationRefused) as refused:
        check_gateway_address("127.0.0.1", 8000)
    message = str(refused.value)
    assert "127.0.0.1" not in message
    assert "TTPORTAL" not in message
    assert "/8" not in message


@pytest.mark.usefixtures("lan_only")
@pytest.mark.parametrize(
    "url",
    [
        "ftp://8.8.8.8/hook",
        "file:///etc/passwd",
        "gopher://8.8.8.8/",
        "https://user:secret@8.8.8.8/hook",
        "https://user@8.8.8.8/hook",
        "https://127.0.0.1/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:8080/",
        "https://8.8.8.8:0/hook",
        "https://8.8.8.8:99999/hook",
        "https://8.8.8.8\\@127.0.0.1/",
        "https:///hook",
        "https://exa mple.com/",
    ],
)
def test_a_webhook_that_is_not_a_public_http_url_is_refused(url: str) -> None:
    with pytest.raises(DestinationRefused):
        check_webhook_url(url)


@pytest.mark.usefixtures("lan_only")
def test_a_public_webhook_url_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    check_webhook_url("https://8.8.8.8/hook")
    resolving_to(monkeypatch, "93.184.215.14")
    check_webhook_url("https://hooks.example.com:8443/pos?x=1")


@pytest.mark.usefixtures("lan_only")
def test_a_webhook_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolving_to(monkeypatch, "93.184.215.14", "10.0.0.7")
    with pytest.raises(DestinationRefused):
        check_webhook_url("https://hooks.example.com/")


def test_webhooks_reach_loopback_only_when_the_setting_opens_it(settings: Any) -> None:
    check_webhook_url("http://127.0.0.1:9000/hook")  # the tests open loopback
    settings.TTPORTAL_WEBHOOK_NETWORKS = []
    with pytest.raises(DestinationRefused):
        check_webhook_url("http://127.0.0.1:9000/hook")
