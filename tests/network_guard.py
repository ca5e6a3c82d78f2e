"""Refuse, and record, any socket traffic from the tests that would leave this machine.

Tests, demos and benchmarks talk to loopback only. Multicast is allowed only on a socket whose
multicast interface is loopback (zeroconf bound to 127.0.0.1): anything else is recorded and
raised, and the run fails at the end even if some library swallowed the exception.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

violations: list[str] = []

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_sendto = socket.socket.sendto


class NonLoopbackTraffic(RuntimeError):
    pass


def _multicast_interface_is_loopback(sock: socket.socket) -> bool:
    try:
        raw = sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, 4)
    except OSError:
        return False
    return ipaddress.IPv4Address(raw).is_loopback


def is_allowed(sock: socket.socket, address: Any) -> bool:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return True
    host = str(address[0]).split("%")[0]
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name that would need a DNS lookup: tests use addresses
    if ip.is_loopback:
        return True
    return ip.is_multicast and ip.version == 4 and _multicast_interface_is_loopback(sock)


def _check(sock: socket.socket, address: Any) -> None:
    if not is_allowed(sock, address):
        violations.append(f"{sock.family.name} to {address!r}")
        raise NonLoopbackTraffic(f"tests may only talk to loopback, not {address!r}")


def _connect(self: socket.socket, address: Any) -> None:
    _check(self, address)
    _original_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _check(self, address)
    return _original_connect_ex(self, address)


def _sendto(self: socket.socket, data: Any, *args: Any) -> int:
    address = args[-1]
    _check(self, address)
    return _original_sendto(self, data, *args)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = _sendto  # type: ignore[method-assign,assignment]
