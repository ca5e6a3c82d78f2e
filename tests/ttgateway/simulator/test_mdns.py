"""Discovery: the simulator announces _tracker-http._tcp.local. over mDNS, on loopback only."""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from zeroconf import IPVersion, ServiceStateChange
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from ttgateway.simulator import Simulator, SimulatorConfig
from ttgateway.waiting import eventually

SERVICE = "_tracker-http._tcp.local."
# Names of this process's own: a demo or another suite may announce gateways on loopback too.
BISTRO = f"Bistro Gateway {os.getpid()}"
MOVING = f"Moving Gateway {os.getpid()}"


def _config(name: str) -> SimulatorConfig:
    return SimulatorConfig(
        host="127.0.0.1", port=0, name=name, mdns=True, mdns_interfaces=["127.0.0.1"]
    )


@asynccontextmanager
async def _browser() -> AsyncIterator[tuple[AsyncZeroconf, asyncio.Queue[str]]]:
    """A zeroconf browser on loopback, as an integrator would run one; yields names found."""
    found: asyncio.Queue[str] = asyncio.Queue()
    zc = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)

    def on_change(zeroconf, service_type, name, state_change):
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            found.put_nowait(name)

    browser = AsyncServiceBrowser(zc.zeroconf, SERVICE, handlers=[on_change])
    try:
        yield zc, found
    finally:
        await browser.async_cancel()
        await zc.async_close()


async def _resolve(zc: AsyncZeroconf, name: str) -> AsyncServiceInfo:
    info = AsyncServiceInfo(SERVICE, name)
    assert await info.async_request(zc.zeroconf, 3000), f"{name} did not resolve"
    return info


async def _next_named(found: asyncio.Queue[str], instance: str) -> str:
    async with asyncio.timeout(5):
        while (name := await found.get()) != f"{instance}.{SERVICE}":
            pass
    return name


async def test_a_browser_finds_the_simulator_with_its_port():
    async with Simulator(_config(BISTRO)) as sim, _browser() as (zc, found):
        name = await _next_named(found, BISTRO)
        info = await _resolve(zc, name)
    assert info.port == sim.port
    assert info.parsed_addresses(IPVersion.V4Only) == ["127.0.0.1"]
    assert info.properties[b"path"] == b"/api/v2"


async def test_a_moved_gateway_is_announced_at_its_new_address():
    async with Simulator(_config(MOVING)) as sim, _browser() as (zc, found):
        name = await _next_named(found, MOVING)
        await sim.move("127.0.0.2", 0)
        assert await _next_named(found, MOVING) == name  # announced as an update
        moved = await _resolve(zc, name)
        assert moved.port == sim.port
        assert "127.0.0.2" in moved.parsed_addresses(IPVersion.V4Only)

        async def only_the_new_address() -> bool:
            info = await _resolve(zc, name)
            return info.parsed_addresses(IPVersion.V4Only) == ["127.0.0.2"]

        # A cache flush would let the old address linger (RFC 6762 10.2); a goodbye drops it.
        assert await eventually(only_the_new_address, within=0.5)
