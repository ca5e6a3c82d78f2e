"""Is each gateway answering? Liveness the way the vendor recommends, plus a rarer token check.

``GET /api/v2`` needs no token, so it is cheap and says only "alive". The token is checked less
often, with a small authenticated read, so that a token revoked on the gateway shows up as
"needs pairing" even before the relay's socket is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from gateways.models import Gateway
from gateways.services.status import announce, mark_needs_pairing, set_status
from gateways.services.wording import for_person
from ttgateway.client import GatewayClient, GatewayError, GatewayInfo, TokenRejected
from ttportal.blocking import run_blocking

PROBE_TIMEOUT_SECONDS = 3.0
# A small gateway answers a handful of requests at once; a chain's worker checks many gateways.
MAX_CONCURRENT_PROBES = 32


@dataclass(frozen=True)
class Probe:
    """What one health check saw; ``error`` is a person-readable reason when it saw nothing."""

    info: GatewayInfo | None
    error: str = ""
    token_checked: bool = False
    token_rejected: bool = False


async def probe(base_url: str, token: str | None) -> Probe:
    """Liveness, then (when ``token`` is given) one authenticated read to prove the token."""
    async with GatewayClient(base_url, timeout=PROBE_TIMEOUT_SECONDS) as client:
        try:
            info = await client.liveness()
        except GatewayError as exc:
            return Probe(None, for_person(exc, "health check"))
    if token is None:
        return Probe(info)
    async with GatewayClient(base_url, token=token, timeout=PROBE_TIMEOUT_SECONDS) as client:
        try:
            await client.active_orders()
        except TokenRejected as exc:
            return Probe(info, for_person(exc), token_checked=True, token_rejected=True)
        except GatewayError:
            return Probe(info)  # alive but busy: the token is checked next time
    return Probe(info, token_checked=True)


async def _probe_all(targets: list[tuple[str, str | None]]) -> list[Probe]:
    limit = asyncio.Semaphore(MAX_CONCURRENT_PROBES)

    async def one(base_url: str, token: str | None) -> Probe:
        async with limit:
            return await probe(base_url, token)

    return await asyncio.gather(*(one(url, token) for url, token in targets))


def check_gateways(gateways: Iterable[Gateway]) -> list[Probe]:
    """Probe gateways concurrently and record what was seen. Call from sync code only."""
    now = timezone.now()
    chosen = list(gateways)
    targets = [
        (g.base_url, g.token_secret() if g.is_paired and g.token_check_due(now) else None)
        for g in chosen
    ]
    probes = run_blocking(_probe_all(targets))
    for gateway, seen in zip(chosen, probes, strict=True):
        record_liveness(gateway, seen)
    return probes


def record_liveness(gateway: Gateway, seen: Probe) -> None:
    """Store what a probe saw and move the gateway online or offline when that changed."""
    now = timezone.now()
    was_reachable = gateway.reachable
    gateway.reachable = seen.info is not None
    fields = ["reachable", "last_error"]
    if seen.info is not None:
        gateway.last_seen = now
        gateway.model = seen.info.model or gateway.model
        gateway.firmware = seen.info.firmware or gateway.firmware
        fields += ["last_seen", "model", "firmware"]
        if gateway.status != Gateway.Status.NEEDS_PAIRING:
            gateway.last_error = ""
    else:
        gateway.last_error = seen.error[:500]
    if seen.token_checked and not seen.token_rejected:
        gateway.token_checked = now
        fields.append("token_checked")
    Gateway.objects.filter(pk=gateway.pk).update(**{f: getattr(gateway, f) for f in fields})

    if seen.token_rejected:
        mark_needs_pairing(gateway, "health check: " + seen.error)
        return
    moved = False
    if gateway.is_paired:
        status = Gateway.Status.ONLINE if gateway.reachable else Gateway.Status.OFFLINE
        moved = set_status(gateway, status, seen.error)
    if not moved and was_reachable != gateway.reachable:
        announce(gateway)
