"""Finding gateways: what mDNS reports, and what a person types when multicast is not there.

A discovered gateway is found by its service name. When it comes back at another address (a
DHCP renewal) only its address changes, once the device there proves to be it (its serial, see
``gateways.services.identity``): the token stays valid and nobody pairs again. Another device
announcing the same name is recorded for an admin, never followed. Every announced or typed
address must pass ``gateways.outbound`` before it is dialled.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateways import browsing
from gateways.browsing import FoundGateway
from gateways.models import Gateway, Site, StatusChange
from gateways.outbound import DestinationRefused, check_gateway_address
from gateways.services import identity
from gateways.services.identity import has_identity
from gateways.services.status import announce
from ttgateway.bridge import run_blocking
from ttgateway.client import GatewayClient, GatewayError, GatewayInfo
from ttportal.dbthread import in_db_thread

log = logging.getLogger(__name__)

HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.?)+$")


class Found(StrEnum):
    NEW = "new"
    MOVED = "moved"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"  # a device under a known name that could not prove to be it


class AddGatewayError(Exception):
    """A gateway could not be added by address; the message says why, for the person."""


NOT_A_GATEWAY = (
    "No Table Tracker gateway answered at this address. Check the address and port, and that "
    "the gateway is powered and on this site's network."
)


def discover(site: Site, seconds: float | None = None) -> list[tuple[Gateway, Found]]:
    """Browse the LAN once and record every gateway found under ``site``."""
    return discover_for([site], seconds)


def record_for(sites: list[Site], found: FoundGateway) -> tuple[Gateway, Found] | None:
    """File one gateway seen on a LAN these sites share (see :func:`discover_for`)."""
    home = (
        Gateway.objects.filter(site__in=sites, service_name=found.service_name)
        .select_related("site")
        .first()
    )
    return record_found(home.site if home else sites[0], found)


def discover_for(sites: list[Site], seconds: float | None = None) -> list[tuple[Gateway, Found]]:
    """Browse once for sites that share a LAN (one worker queue): a gateway is filed once.

    A gateway already known at one of these sites stays there (and is followed to its new
    address once the device there proves to be it); a new one is filed under the first site,
    and an admin moves it if it belongs to another. Without this, every site on the LAN would
    get its own copy of each gateway.
    """
    if not sites:
        return []
    recorded = (record_for(sites, found) for found in run_blocking(browsing.browse(seconds)))
    return [outcome for outcome in recorded if outcome is not None]


def record_found(site: Site, found: FoundGateway) -> tuple[Gateway, Found] | None:
    """File a gateway seen on the LAN: new ones unpaired, known ones followed to a new address
    only when the device there proves to be them. None when the announced address is one the
    portal may not dial (see gateways.outbound), or is already another gateway's."""
    try:
        check_gateway_address(found.host, found.port)
    except DestinationRefused as refused:
        log.warning(
            "announcement of %s ignored: address refused (%s)", found.instance, refused.reason
        )
        return None
    known = Gateway.objects.filter(site=site, service_name=found.service_name).first()
    if known is None:
        return _file_new(site, found)
    if (known.host, known.port) == (found.host, found.port):
        return known, Found.UNCHANGED
    if not _may_follow(known, found):
        return known, Found.CONFLICT
    return _move(known, found)


def _may_follow(gateway: Gateway, found: FoundGateway) -> bool:
    """A gateway with nothing to lose (no identity, no token) follows its name; one the portal
    knows follows only a device that proves to be it, while the old address no longer does."""
    if not has_identity(gateway) and not gateway.is_paired:
        return True
    there = run_blocking(identity.liveness_at(found.host, found.port))
    if not identity.proves(gateway, there):
        identity.record_conflict(gateway, found.host, found.port, there)
        return False
    still = run_blocking(identity.liveness_at(gateway.host, gateway.port))
    if identity.proves(gateway, still):
        # Two devices both give its identity: one is a copy. Keep the address that worked.
        identity.record_conflict(gateway, found.host, found.port, there)
        return False
    return True


@transaction.atomic
def _file_new(site: Site, found: FoundGateway) -> tuple[Gateway, Found] | None:
    holder = Gateway.objects.select_for_update().filter(host=found.host, port=found.port).first()
    if holder is not None and holder.site_id == site.pk and not holder.service_name:
        # A gateway first added by hand and now announcing itself is the same gateway.
        holder.service_name = found.service_name
        holder.save(update_fields=["service_name"])
        return holder, Found.UNCHANGED
    if holder is not None:
        log.info(
            "announcement of %s ignored: its address is gateway %s's", found.instance, holder.pk
        )
        return None
    gateway = Gateway.objects.create(
        site=site,
        name=found.instance[:100],
        service_name=found.service_name,
        host=found.host,
        port=found.port,
        model=found.properties.get("model", "")[:64],
        firmware=found.properties.get("firmware", "")[:64],
    )
    log.info("discovered gateway %s at %s:%s", gateway.name, found.host, found.port)
    announce(gateway)
    return gateway, Found.NEW


@transaction.atomic
def _move(gateway: Gateway, found: FoundGateway) -> tuple[Gateway, Found]:
    gateway = Gateway.objects.select_for_update().get(pk=gateway.pk)
    # A record still filed at the new address is stale: the device there just proved to be
    # this gateway (DHCP handed the other one's old address to it). It keeps no address until
    # it is seen again.
    for stale in Gateway.objects.filter(host=found.host, port=found.port).exclude(pk=gateway.pk):
        StatusChange.objects.create(
            gateway=stale, status=stale.status, detail=f"address taken by {gateway.name}"
        )
        Gateway.objects.filter(pk=stale.pk).update(host="", reachable=False)
    detail = f"moved from {gateway.host}:{gateway.port} to {found.host}:{found.port}"
    gateway.host, gateway.port = found.host, found.port
    gateway.save(update_fields=["host", "port"])
    StatusChange.objects.create(gateway=gateway, status=gateway.status, detail=detail)
    log.info("gateway %s %s", gateway.pk, detail)
    announce(gateway)
    return gateway, Found.MOVED


def clean_host(raw: str) -> str:
    host = raw.strip().removeprefix("http://").rstrip("/")
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        if HOSTNAME_RE.match(host):
            return host
    raise AddGatewayError("Enter an IP address or a host name, e.g. 192.168.1.40.")


def add_by_address(site: Site, host: str, port: int) -> Gateway:
    """Add a gateway a person located by hand (a network without multicast): it must answer.

    Refused addresses, silence and answers that are not a gateway's all give the person the
    same words, so the form cannot be used to map which ports answer on the portal's network.
    """
    host = clean_host(host)
    if not 1 <= port <= 65535:
        raise AddGatewayError("Enter a port from 1 to 65535.")
    existing = Gateway.objects.filter(host=host, port=port).select_related("site").first()
    if existing is not None:
        if existing.site_id == site.pk:
            raise AddGatewayError(f"This address is already {existing.name}'s.")
        raise AddGatewayError("This address is already filed under another site.")
    try:
        check_gateway_address(host, port)
    except DestinationRefused as refused:
        log.info("add by address refused (%s)", refused.reason)
        raise AddGatewayError(NOT_A_GATEWAY) from None
    try:
        info = run_blocking(_liveness(Gateway(host=host, port=port).base_url))
    except GatewayError as exc:
        log.info("add by address: no gateway there (%s)", type(exc).__name__)
        raise AddGatewayError(NOT_A_GATEWAY) from None
    try:
        gateway = Gateway.objects.create(
            site=site,
            name=(info.name or "Gateway")[:100],
            host=host,
            port=port,
            model=(info.model or "")[:64],
            firmware=(info.firmware or "")[:64],
            reachable=True,
            last_seen=timezone.now(),  # it has just answered
        )
    except IntegrityError:
        raise AddGatewayError("This address is already filed under another site.") from None
    announce(gateway)
    return gateway


async def _liveness(base_url: str) -> GatewayInfo:
    async with GatewayClient(base_url, timeout=identity.PROOF_TIMEOUT_SECONDS) as client:
        return await client.liveness()


def record_for_local_sites(found: FoundGateway) -> tuple[Gateway, Found] | None:
    """File a gateway this process saw under the sites it serves: those with no worker queue
    of their own (the single box), or None when there are none."""
    sites = list(Site.objects.filter(discovery_enabled=True, worker_queue="").order_by("pk"))
    return record_for(sites, found) if sites else None


async def watch_lan(stop: asyncio.Event) -> None:
    """Continuous discovery for the local sites, until ``stop``."""

    async def on_found(found: FoundGateway) -> None:
        # Not on the shared sync thread: proving a device may wait on the network for seconds.
        await in_db_thread(record_for_local_sites, thread_sensitive=False)(found)

    await browsing.watch(on_found, stop)
