"""The one rule for every address the portal dials: gateways on the LAN, webhooks on the Internet.

A person types an address (or a LAN device announces one) and the portal's own network position
does the dialling, so an unchecked address lets anyone reach whatever the server can reach:
its own loopback services, the cloud's metadata endpoint, other hosts of the private network.
Every name is resolved (in a bounded time) and *every* address it resolves to must be allowed;
IPv4 written inside IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address it is.

Gateways may live only on ``settings.TTPORTAL_GATEWAY_NETWORKS`` (the private LAN ranges by
default; tests and the demo add loopback). Webhooks may reach only public addresses, plus
``settings.TTPORTAL_WEBHOOK_NETWORKS`` (empty by default; tests and the demo add loopback).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The private LAN ranges a restaurant's gateways live on (IPv6 unique-local and link-local too:
#: an mDNS announcement often carries only a link-local IPv6 address).
DEFAULT_GATEWAY_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
)

#: Cloud metadata services (AWS, GCP, Azure, OpenStack; AWS's IPv6 one): they hand out the
#: server's credentials, so no setting can open them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address) for address in ("169.254.169.254", "fd00:ec2::254")
)

#: How long a name may take to resolve before the address is refused.
RESOLVE_SECONDS = 2.0

# A few threads resolve names so that a hanging resolver costs a bounded wait, never a worker.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="outbound-resolve")


class DestinationRefused(Exception):
    """The portal will not dial this address. The message is fit to show to the person."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        #: A short word for logs (never shown): why the address was refused.
        self.reason = reason


GATEWAY_REFUSED = (
    "This address can't be used for a gateway: gateways must be on this site's network."
)
WEBHOOK_REFUSED = "This address can't be used for a webhook: it must be a public http or https URL."


def check_gateway_address(host: str, port: int) -> None:
    """Refuse unless every address ``host`` resolves to is on a network gateways may use."""
    _check_port(port, GATEWAY_REFUSED)
    allowed = networks(tuple(settings.TTPORTAL_GATEWAY_NETWORKS))
    for address in resolve(host, port, GATEWAY_REFUSED):
        if _always_refused(address) or not _within(address, allowed):
            raise DestinationRefused(GATEWAY_REFUSED, reason="network")


def check_webhook_url(url: str) -> None:
    """Refuse unless ``url`` is plain http(s), carries no credentials and reaches only public
    addresses (or networks the settings open for webhooks)."""
    host, port = _webhook_host_and_port(url)
    allowed = networks(tuple(settings.TTPORTAL_WEBHOOK_NETWORKS))
    for address in resolve(host, port, WEBHOOK_REFUSED):
        if _always_refused(address):
            raise DestinationRefused(WEBHOOK_REFUSED, reason="network")
        if not (address.is_global or _within(address, allowed)):
            raise DestinationRefused(WEBHOOK_REFUSED, reason="network")


def resolve(host: str, port: int, refusal: str) -> list[IPAddress]:
    """Every address ``host`` stands for (IPv4-mapped IPv6 unwrapped), within RESOLVE_SECONDS."""
    name = host.strip().removeprefix("[").removesuffix("]")
    if not name or len(name) > 253 or any(ch.isspace() or ch in "/\\@" for ch in name):
        raise DestinationRefused(refusal, reason="malformed")
    try:
        return [_unwrap(ipaddress.ip_address(name))]
    except ValueError:
        pass  # a name, not a literal address: ask the resolver
    future = _resolver.submit(socket.getaddrinfo, name, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_SECONDS)
    except FutureTimeout:
        future.cancel()
        raise DestinationRefused(refusal, reason="resolve-timeout") from None
    except (OSError, UnicodeError, ValueError):
        raise DestinationRefused(refusal, reason="unresolved") from None
    addresses = [_unwrap(ipaddress.ip_address(str(info[4][0]).split("%")[0])) for info in infos]
    if not addresses:
        raise DestinationRefused(refusal, reason="unresolved")
    return addresses


@lru_cache(maxsize=32)
def networks(cidrs: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """The networks a setting names (cached: the setting is read on every check)."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _within(address: IPAddress, allowed: Iterable[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in allowed)


def _unwrap(address: IPAddress) -> IPAddress:
    """``::ffff:127.0.0.1`` reaches 127.0.0.1, so it is judged as 127.0.0.1."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).split("%")[0])
    return address


def _always_refused(address: IPAddress) -> bool:
    """Addresses no setting can open: "any" (reaches this host), multicast, broadcast, metadata."""
    return (
        address.is_unspecified
        or address.is_multicast
        or address in METADATA_ADDRESSES
        or address == ipaddress.IPv4Address("255.255.255.255")
    )


def _check_port(port: int, refusal: str) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DestinationRefused(refusal, reason="port")


def _webhook_host_and_port(url: str) -> tuple[str, int]:
    if not url or len(url) > 2048 or any(ord(ch) <= 0x20 or ch == "\\" for ch in url):
        raise DestinationRefused(WEBHOOK_REFUSED, reason="malformed")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise DestinationRefused(WEBHOOK_REFUSED, reason="scheme")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise DestinationRefused(WEBHOOK_REFUSED, reason="credentials")
    try:
        port = parts.port
    except ValueError:
        raise DestinationRefused(WEBHOOK_REFUSED, reason="port") from None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not parts.hostname:
        raise DestinationRefused(WEBHOOK_REFUSED, reason="malformed")
    _check_port(port, WEBHOOK_REFUSED)
    return parts.hostname, port
