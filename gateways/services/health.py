"""Is each gateway answering? Liveness the way the vendor recommends, plus a rarer token check.

``GET /api/v2`` needs no token, so it is cheap and says only "alive". The token is checked less
often, with a small authenticated read, so that a token revoked on the gateway shows up as
"needs pairing" even before the relay's socket is refused. The token goes only to a device that
proves to be the gateway (``gateways.services.identity``); another device at its address makes
it "not answering", never "needs pairing".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from gateways.fields import fit
from gateways.models import Gateway
from gateways.outbound import DestinationRefused, check_gateway_address
from gateways.services.identity import (
    ANOTHER_DEVICE,
    has_identity,
    proves,
    record_conflict,
    record_identity,
)
from gateways.services.status import announce, mark_needs_pairing, set_status
from gateways.services.wording import for_person
from ttgateway.bridge import run_blocking
from ttgateway.client import GatewayClient, GatewayError, GatewayInfo, TokenRejected

PROBE_TIMEOUT_SECONDS = 3.0
NOT_ALLOWED = "The gateway's address is outside the networks gateways may use (settings)."
# A small gateway answers a handful of requests at once; a chain's worker checks many gateways.
MAX_CONCURRENT_PROBES = 32


@dataclass(frozen=True)
class Probe:
    """What one health check saw; ``error`` is a person-readable reason when it saw nothing.

    ``impostor`` is set when a device answered at the gateway's address but could not prove
    to be it: the token was not sent, and the gateway counts as not answering.
    """

    info: GatewayInfo | None
    error: str = ""
    token_checked: bool = False
    token_rejected: bool = False
    impostor: GatewayInfo | None = None


@dataclass(frozen=True)
class Target:
    """One gateway to probe: where, who it must prove to be, and its token when due."""

    gateway: Gateway
    token: str | None = field(default=None, repr=False)


async def probe(target: Target) -> Probe:
    """Liveness; then, once the device proves to be the gateway, one authenticated read with
    ``token`` (when given) to prove the token."""
    gateway, token = target.gateway, target.token
    try:
        await asyncio.to_thread(check_gateway_address, gateway.host, gateway.port)
    except DestinationRefused:
        return Probe(None, NOT_ALLOWED)
    async with GatewayClient(gateway.base_url, timeout=PROBE_TIMEOUT_SECONDS) as client:
        try:
            info = await client.liveness()
        except GatewayError as exc:
            return Probe(None, for_person(exc, "health check"))
    if has_identity(gateway) and not proves(gateway, info):
        return Probe(None, ANOTHER_DEVICE, impostor=info)
    if token is None:
        return Probe(info)
    async with GatewayClient(
        gateway.base_url, token=token, timeout=PROBE_TIMEOUT_SECONDS
    ) as client:
        try:
            await client.active_orders()
        except TokenRejected as exc:
            return Probe(info, for_person(exc), token_checked=True, token_rejected=True)
        except GatewayError:
            return Probe(info)  # alive but busy: the token is checked next time
    return Probe(info, token_checked=True)


async def _probe_all(targets: list[Target]) -> list[Probe]:
    limit = asyncio.Semaphore(MAX_CONCURRENT_PROBES)

    async def one(target: Target) -> Probe:
        async with limit:
            return await probe(target)

    return await asyncio.gather(*(one(target) for target in targets))


def heard_by_relay(gateway: Gateway, now: datetime) -> bool:
    """Whether the relay's socket vouches for the gateway, so that a scheduled probe adds nothing.

    It does when the relay had a message from it within the health interval while it counts as
    reachable: that socket was opened with the token, by a device that proved to be the
    gateway. Not when its token is due for its own check (a token revoked on the gateway may
    leave an open socket open) or when it counts as unreachable (only a probe brings it back).
    At lunch these probes were a tenth of the portal's work, all on gateways the relay hears.
    """
    if gateway.relay_heard is None or not gateway.reachable or not gateway.is_paired:
        return False
    if gateway.token_check_due(now):
        return False
    return now - gateway.relay_heard < timedelta(seconds=settings.TTPORTAL_HEALTH_SECONDS)


def check_scheduled(gateways: Iterable[Gateway]) -> int:
    """The scheduled health check: probe the gateways the relay does not vouch for; returns
    how many are alive (answered, or heard by the relay)."""
    now = timezone.now()
    chosen = list(gateways)
    due = [g for g in chosen if not heard_by_relay(g, now)]
    probes = check_gateways(due)
    return len(chosen) - len(due) + sum(1 for p in probes if p.info is not None)


def check_gateways(gateways: Iterable[Gateway]) -> list[Probe]:
    """Probe gateways concurrently and record what was seen. Call from sync code only."""
    now = timezone.now()
    chosen = list(gateways)
    targets = [
        Target(g, g.token_secret() if g.is_paired and g.token_check_due(now) else None)
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
        gateway.last_error = fit(Gateway, "last_error", seen.error)
    if seen.token_checked and not seen.token_rejected:
        gateway.token_checked = now
        fields.append("token_checked")
    Gateway.objects.filter(pk=gateway.pk).update(**{f: getattr(gateway, f) for f in fields})
    if seen.impostor is not None:
        record_conflict(gateway, gateway.host, gateway.port, seen.impostor)
    elif seen.info is not None and seen.token_checked and not has_identity(gateway):
        # Paired before devices were told apart: the token just worked here, so this device
        # is the gateway. From now on it must prove it.
        record_identity(gateway, seen.info)

    if seen.token_rejected:
        mark_needs_pairing(gateway, "health check: " + seen.error)
        return
    moved = False
    if gateway.is_paired:
        status = Gateway.Status.ONLINE if gateway.reachable else Gateway.Status.OFFLINE
        moved = set_status(gateway, status, seen.error)
    if not moved and was_reachable != gateway.reachable:
        announce(gateway)
