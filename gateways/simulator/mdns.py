"""mDNS advertisement of ``_tracker-http._tcp.local.``, bound to the interfaces given."""

from __future__ import annotations

import ipaddress
import socket

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from gateways.protocol import API_PREFIX, SERVICE_TYPE


def service_name(instance: str) -> str:
    return f"{instance}.{SERVICE_TYPE}"


class MdnsAdvertiser:
    """Announces one gateway; re-announces it when its address changes (a DHCP renewal)."""

    def __init__(self, instance: str, interfaces: list[str], properties: dict[str, str]) -> None:
        self.instance = instance
        self.interfaces = interfaces
        self.properties = properties
        self._zc: AsyncZeroconf | None = None
        self._info: ServiceInfo | None = None

    def _service_info(self, address: str, port: int) -> ServiceInfo:
        return ServiceInfo(
            SERVICE_TYPE,
            service_name(self.instance),
            addresses=[socket.inet_aton(address)],
            port=port,
            properties={"path": API_PREFIX, **self.properties},
            server=f"{self.instance.lower().replace(' ', '-')}.local.",
        )

    async def start(self, address: str, port: int) -> None:
        # IPv4 only, on exactly the interfaces given: tests and the demo pass 127.0.0.1 so that
        # nothing is ever multicast beyond this machine.
        self._zc = AsyncZeroconf(interfaces=self.interfaces, ip_version=IPVersion.V4Only)
        self._info = self._service_info(address, port)
        await self._zc.async_register_service(self._info, allow_name_change=True)

    async def update(self, address: str, port: int) -> None:
        if self._zc is None or self._info is None:
            return
        new = self._service_info(address, port)
        new.name = self._info.name
        self._info = new
        await self._zc.async_update_service(new)

    async def stop(self) -> None:
        if self._zc is not None:
            await self._zc.async_unregister_all_services()
            await self._zc.async_close()
            self._zc = None


def advertised_address(host: str) -> str:
    """The address to announce: the bound one, or this host's own for a wildcard bind."""
    if host in ("0.0.0.0", ""):
        return socket.gethostbyname(socket.gethostname())
    return str(ipaddress.IPv4Address(socket.gethostbyname(host)))
