"""Is the device at an address the gateway we paired? The rule before any token is sent.

An mDNS name is an announcement anyone on the LAN can make (a second demo on the same machine
did), so a name alone never moves a paired gateway. What the device says about itself on
``GET /api/v2`` (no token needed) is recorded at pairing: its serial, or its name and model for
a device that gives no serial. A paired gateway is followed to a new address, health-checked
and relayed only where the device answering gives that identity. A device that cannot is
recorded as a :class:`~gateways.models.DeviceConflict` for an admin to see, and nothing else.
"""

from __future__ import annotations

import asyncio
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gateways.models import DeviceConflict, Gateway
from gateways.outbound import DestinationRefused, check_gateway_address
from gateways.services.status import announce
from ttgateway.client import GatewayClient, GatewayError, GatewayInfo
from ttportal.blocking import run_blocking

log = logging.getLogger(__name__)

PROOF_TIMEOUT_SECONDS = 3.0
ANOTHER_DEVICE = "Another device answers at this gateway's address; the portal is not using it."


def has_identity(gateway: Gateway) -> bool:
    """True once the portal knows who the gateway is (recorded at pairing or first check)."""
    return bool(gateway.serial or gateway.device_name)


def proves(gateway: Gateway, info: GatewayInfo | None) -> bool:
    """True when the device that answered ``info`` is ``gateway``.

    The serial decides when one was recorded; otherwise the device's own name and model (a
    firmware that gives no serial). Firmware is left out: it changes on every update.
    """
    if info is None or not has_identity(gateway):
        return False
    if gateway.serial:
        return info.serial == gateway.serial
    return info.serial is None and (info.name or "", info.model or "") == (
        gateway.device_name,
        gateway.model,
    )


def record_identity(gateway: Gateway, info: GatewayInfo) -> None:
    """Remember who the device is (at pairing, or on the first check where its token worked)."""
    gateway.serial = (info.serial or "")[:64]
    gateway.device_name = (info.name or "")[:100]
    gateway.model = (info.model or gateway.model)[:64]
    gateway.firmware = (info.firmware or gateway.firmware)[:64]
    fields = ["serial", "device_name", "model", "firmware"]
    Gateway.objects.filter(pk=gateway.pk).update(**{f: getattr(gateway, f) for f in fields})


async def liveness_at(host: str, port: int) -> GatewayInfo | None:
    """What the device at host:port says about itself, or None (refused, silent, not a gateway)."""
    try:
        await asyncio.to_thread(check_gateway_address, host, port)
    except DestinationRefused:
        return None
    async with GatewayClient(host=host, port=port, timeout=PROOF_TIMEOUT_SECONDS) as client:
        try:
            return await client.liveness()
        except GatewayError:
            return None


def refusal_is_the_gateways(gateway: Gateway) -> bool:
    """Whether a token refusal just seen at the gateway's address came from the gateway.

    A gateway whose identity is not recorded yet is trusted at its address (as before identities
    were kept). Otherwise the device there must prove it; one that cannot is recorded as a
    conflict, and a device gone silent proves nothing either way: nothing is revoked on it.
    """
    if not has_identity(gateway):
        return True
    info = run_blocking(liveness_at(gateway.host, gateway.port))
    if info is None:
        return False
    if proves(gateway, info):
        return True
    record_conflict(gateway, gateway.host, gateway.port, info)
    return False


def said(info: GatewayInfo | None) -> str:
    """What a device said about itself, for an admin (short; never anything secret)."""
    if info is None:
        return "no answer as a gateway"
    parts = [
        f"{label} {value}"
        for label, value in (("name", info.name), ("model", info.model), ("serial", info.serial))
        if value
    ]
    return (", ".join(parts) or "a gateway that gave no name")[:300]


def record_conflict(gateway: Gateway, host: str, port: int, info: GatewayInfo | None) -> None:
    """Note (once per address, counting repeats) a device that could not prove to be ``gateway``."""
    now = timezone.now()
    updated = DeviceConflict.objects.filter(gateway=gateway, host=host, port=port).update(
        last_seen=now, times=F("times") + 1, said=said(info)
    )
    if updated:
        return
    try:
        with transaction.atomic():
            DeviceConflict.objects.create(
                gateway=gateway, host=host[:255], port=port, said=said(info), first_seen=now
            )
    except IntegrityError:
        return  # recorded meanwhile by another process
    log.warning(
        "gateway %s: a device at %s:%s could not prove to be it (%s); not applied",
        gateway.pk,
        host,
        port,
        said(info),
    )
    announce(gateway)
