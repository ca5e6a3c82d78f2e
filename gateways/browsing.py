"""Finding gateways on the LAN: python-zeroconf browsing ``_tracker-http._tcp.local.``.

Only the interfaces in ``settings.TTPORTAL_DISCOVERY_INTERFACES`` are used: "all" on a site's
box, 127.0.0.1 in tests and the demo, so nothing is ever multicast beyond the machine there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from django.conf import settings
from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from ttgateway.protocol import SERVICE_TYPE

INFO_TIMEOUT_MS = 3000


@dataclass(frozen=True)
class FoundGateway:
    """A gateway answering on the LAN: its stable service name and where it is now."""

    service_name: str
    host: str
    port: int
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def instance(self) -> str:
        """The human part of the service name ("Kitchen GW" of "Kitchen GW._tracker-http...")."""
        return self.service_name.removesuffix("." + SERVICE_TYPE)


def interfaces() -> InterfaceChoice | list[str]:
    chosen: list[str] = list(settings.TTPORTAL_DISCOVERY_INTERFACES)
    return InterfaceChoice.All if chosen in ([], ["all"]) else chosen


def open_zeroconf() -> AsyncZeroconf:
    return AsyncZeroconf(interfaces=interfaces(), ip_version=IPVersion.V4Only)


async def resolve(zc: Zeroconf, service_name: str) -> FoundGateway | None:
    info = AsyncServiceInfo(SERVICE_TYPE, service_name)
    if not await info.async_request(zc, INFO_TIMEOUT_MS):
        return None
    addresses = info.parsed_addresses(IPVersion.V4Only)
    if not addresses or info.port is None:
        return None
    properties = {
        key.decode(errors="replace"): (value or b"").decode(errors="replace")
        for key, value in info.properties.items()
    }
    return FoundGateway(service_name, addresses[0], info.port, properties)


async def browse(seconds: float | None = None) -> list[FoundGateway]:
    """Every gateway that answers within ``seconds``, each resolved to its current address."""
    names: set[str] = set()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Removed:
            names.add(name)

    azc = open_zeroconf()
    browser = AsyncServiceBrowser(azc.zeroconf, SERVICE_TYPE, handlers=[on_change])
    try:
        await asyncio.sleep(settings.TTPORTAL_DISCOVERY_SECONDS if seconds is None else seconds)
        resolved = await asyncio.gather(*(resolve(azc.zeroconf, n) for n in sorted(names)))
    finally:
        await browser.async_cancel()
        await azc.async_close()
    return [found for found in resolved if found is not None]


async def watch(on_found: Callable[[FoundGateway], Awaitable[None]], stop: asyncio.Event) -> None:
    """Browse until ``stop``: every gateway that appears or changes address is reported.

    Runs in the single box's server (and, with ``relay --discover``, in a relay on the LAN), so
    a gateway that comes back at a new address is followed within seconds, not at the next
    scheduled discovery.
    """
    changed: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def on_change(
        zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        if state_change is not ServiceStateChange.Removed:
            loop.call_soon_threadsafe(changed.put_nowait, name)

    azc = open_zeroconf()
    browser = AsyncServiceBrowser(azc.zeroconf, SERVICE_TYPE, handlers=[on_change])
    stopped = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            next_name = asyncio.ensure_future(changed.get())
            await asyncio.wait({next_name, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not next_name.done():
                next_name.cancel()
                break
            found = await resolve(azc.zeroconf, next_name.result())
            if found is not None:
                await on_found(found)
    finally:
        stopped.cancel()
        await browser.async_cancel()
        await azc.async_close()
