"""Sharing the gateways among several relay processes, with leases in Redis.

Each relay renews the leases it holds on every refresh and claims free gateways up to its fair
share (gateways / live relays), giving back any beyond it, so a relay that starts takes part of
the load and a relay that dies loses its gateways when its leases run out, to the others.
"""

from __future__ import annotations

import math
import os
import socket
import uuid
from collections.abc import Iterable
from typing import Any

import redis

# Renew a lease only if this relay still holds it: an expired lease may be someone else's now.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


def holder_name() -> str:
    """Unique per process, readable in Redis: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RelayLeases:
    """The lease book of one relay process."""

    def __init__(
        self, client: redis.Redis, ttl_seconds: float, prefix: str, holder: str = ""
    ) -> None:
        self.client = client
        self.ttl_ms = int(ttl_seconds * 1000)
        self.prefix = prefix
        self.holder = holder or holder_name()
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)
        self.held: set[int] = set()

    def _key(self, gateway_id: int) -> str:
        return f"{self.prefix}:relay:lease:{gateway_id}"

    def _alive_key(self, holder: str) -> str:
        return f"{self.prefix}:relay:alive:{holder}"

    def relays_alive(self) -> int:
        keys = self.client.scan_iter(match=self._alive_key("*"), count=100)
        return max(1, sum(1 for _ in keys))

    def hold(self, gateway_ids: Iterable[int]) -> set[int]:
        """Renew, claim up to the fair share, give back the excess; return what is held now."""
        wanted = sorted(set(gateway_ids))
        self.client.set(self._alive_key(self.holder), "1", px=self.ttl_ms)
        share = math.ceil(len(wanted) / self.relays_alive())
        mine = {g for g in wanted if g in self.held and self._renewed(g)}
        for gateway_id in wanted:
            if len(mine) >= share:
                break
            if gateway_id not in mine and self._claimed(gateway_id):
                mine.add(gateway_id)
        for gateway_id in sorted(mine, reverse=True)[: max(0, len(mine) - share)]:
            self._give_back(gateway_id)
            mine.discard(gateway_id)
        for gone in self.held - mine - set(wanted):
            self._give_back(gone)  # unpaired or deleted: free its lease at once
        self.held = mine
        return set(mine)

    def _renewed(self, gateway_id: int) -> bool:
        return bool(self._renew(keys=[self._key(gateway_id)], args=[self.holder, self.ttl_ms]))

    def _claimed(self, gateway_id: int) -> bool:
        answer: Any = self.client.set(self._key(gateway_id), self.holder, nx=True, px=self.ttl_ms)
        return bool(answer)

    def _give_back(self, gateway_id: int) -> None:
        self._release(keys=[self._key(gateway_id)], args=[self.holder])

    def release_all(self) -> None:
        """On a clean stop: the others need not wait for the leases to run out."""
        for gateway_id in self.held:
            self._give_back(gateway_id)
        self.held = set()
        self.client.delete(self._alive_key(self.holder))


def from_settings() -> RelayLeases | None:
    """Leases when the portal runs scaled (REDIS_URL); None on the single box (one relay)."""
    from django.conf import settings

    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(settings.REDIS_URL)
    return RelayLeases(
        client, settings.TTPORTAL_RELAY_LEASE_SECONDS, settings.TTPORTAL_REDIS_PREFIX
    )
