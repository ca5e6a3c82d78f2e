"""Finding gateways: what mDNS reports, and what a person types when multicast is not there.

A discovered gateway is known by its service name. When it comes back at another address (a
DHCP renewal) only its address changes: the token stays valid and nobody pairs again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from enum import StrEnum

from django.db import transaction

from gateways import browsing
from gateways.browsing import FoundGateway
from gateways.models import Gateway, Site, StatusChange
from gateways.services.status import announce
from ttgateway.client import GatewayClient, GatewayError, GatewayInfo
from ttportal.blocking import run_blocking
from ttportal.dbthread import in_db_thread

log = logging.getLogger(__name__)

HOSTNAME_RE = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.?)+$")


class Found(StrEnum):
    NEW = "new"
    MOVED = "moved"
    UNCHANGED = "unchanged"


class AddGatewayError(Exception):
    """A gateway could not be added by address; the message says why, for the person."""


def discover(site: Site, seconds: float | None = None) -> list[tuple[Gateway, Found]]:
    """Browse the LAN once and record every gateway found under ``site``."""
    return discover_for([site], seconds)


def record_for(sites: list[Site], found: FoundGateway) -> tuple[Gateway, Found]:
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
    address); a new one is filed under the first site, and an admin moves it if it belongs
    to another. Without this, every site on the LAN would get its own copy of each gateway.
    """
    if not sites:
        return []
    return [record_for(sites, found) for found in run_blocking(browsing.browse(seconds))]


@transaction.atomic
def record_found(site: Site, found: FoundGateway) -> tuple[Gateway, Found]:
    """Upsert a gateway seen on the LAN: new ones unpaired, known ones followed to new addresses."""
    gateway = (
        Gateway.objects.select_for_update()
        .filter(site=site, service_name=found.service_name)
        .first()
    )
    if gateway is None:
        # A gateway first added by hand and now announcing itself is the same gateway.
        gateway = (
            Gateway.objects.select_for_update()
            .filter(site=site, service_name="", host=found.host, port=found.port)
            .first()
        )
        if gateway is not None:
            gateway.service_name = found.service_name
            gateway.save(update_fields=["service_name"])
    if gateway is None:
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
    if (gateway.host, gateway.port) == (found.host, found.port):
        return gateway, Found.UNCHANGED
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
    raise AddGatewayError(f"“{raw}” is not an IP address or a host name.")


def add_by_address(site: Site, host: str, port: int) -> Gateway:
    """Add a gateway a person located by hand (a network without multicast): it must answer."""
    host = clean_host(host)
    if not 1 <= port <= 65535:
        raise AddGatewayError(f"Port {port} is out of range (1-65535).")
    existing = Gateway.objects.filter(site=site, host=host, port=port).first()
    if existing is not None:
        raise AddGatewayError(f"{existing.name} is already at {host}:{port} on {site}.")
    base_url = Gateway(host=host, port=port).base_url
    try:
        info = run_blocking(_liveness(base_url))
    except GatewayError as exc:
        raise AddGatewayError(
            f"No Table Tracker gateway answered at {host}:{port} ({exc})."
        ) from exc
    gateway = Gateway.objects.create(
        site=site,
        name=(info.name or f"Gateway {host}")[:100],
        host=host,
        port=port,
        model=info.model or "",
        firmware=info.firmware or "",
        reachable=True,
    )
    announce(gateway)
    return gateway


async def _liveness(base_url: str) -> GatewayInfo:
    async with GatewayClient(base_url) as client:
        return await client.liveness()


def record_for_local_sites(found: FoundGateway) -> tuple[Gateway, Found] | None:
    """File a gateway this process saw under the sites it serves: those with no worker queue
    of their own (the single box), or None when there are none."""
    sites = list(Site.objects.filter(discovery_enabled=True, worker_queue="").order_by("pk"))
    return record_for(sites, found) if sites else None


async def watch_lan(stop: asyncio.Event) -> None:
    """Continuous discovery for the local sites, until ``stop``."""

    async def on_found(found: FoundGateway) -> None:
        await in_db_thread(record_for_local_sites)(found)

    await browsing.watch(on_found, stop)
