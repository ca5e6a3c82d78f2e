"""Loopback ports for servers the tests start (children processes, simulators, closed ports)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port nothing listens on now (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
