"""mDNS advertisement of ``_tracker-http._tcp.local.``, bound to the interfaces given."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable
from typing import Any

from zeroconf import IPVersion, ServiceInfo

# Not in zeroconf's public names, but stable for years: a goodbye for single records needs them.
from zeroconf._protocol.outgoing import DNSOutgoing
from zeroconf.asyncio import AsyncZeroconf
from zeroconf.const import _FLAGS_AA, _FLAGS_QR_RESPONSE

from ttgateway.protocol import API_PREFIX, SERVICE_TYPE


def service_name(instance: str) -> str:
    return f"{instance}.{SERVICE_TYPE}"


class MdnsAdvertiser:
    """Announces one gateway; re-announces it when its address changes (a DHCP renewal)."""

    def __init__(
        self,
        instance: str,
        interfaces: list[str],
        properties: dict[str, str],
        claim_name: bool = False,
    ) -> None:
        self.instance = instance
        self.interfaces = interfaces
        self.properties = properties
        # A real device renames itself ("-2") when another one holds its name; an impostor
        # (a misconfigured or hostile device, or a test of one) announces it regardless.
        self.claim_name = claim_name
        self._zc: AsyncZeroconf | None = None
        self._info: ServiceInfo | None = None
        self._announcing: Awaitable[Any] | None = None

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
        self._announcing = await self._zc.async_register_service(
            self._info,
            allow_name_change=not self.claim_name,
            cooperating_responders=self.claim_name,
        )

    def _stop_announcing(self) -> None:
        """Stop repeating earlier announcements: they would advertise the old address again."""
        if isinstance(self._announcing, asyncio.Future):
            self._announcing.cancel()
        self._announcing = None

    async def update(self, address: str, port: int) -> None:
        if self._zc is None or self._info is None:
            return
        self._stop_announcing()
        old = self._info
        new = self._service_info(address, port)
        new.name = old.name
        self._info = new
        self._announcing = await self._zc.async_update_service(new)
        self._say_goodbye_to_what_changed(old, new)

    def _say_goodbye_to_what_changed(self, old: ServiceInfo, new: ServiceInfo) -> None:
        """Withdraw the old address and port (TTL 0), so browsers drop them at once.

        A cache-flush announcement alone does not do it: RFC 6762 10.2 flushes only records
        received more than a second before, so an address announced moments before the move
        would stay cached for its whole TTL.
        """
        assert self._zc is not None
        goodbye = DNSOutgoing(_FLAGS_QR_RESPONSE | _FLAGS_AA)
        kept = set(new.addresses)
        for record in old.dns_addresses(override_ttl=0):
            if record.address not in kept:
                goodbye.add_answer_at_time(record, 0)
        if old.port != new.port:
            goodbye.add_answer_at_time(old.dns_service(override_ttl=0), 0)
        if goodbye.answers:
            self._zc.zeroconf.async_send(goodbye)

    async def stop(self) -> None:
        if self._zc is not None:
            self._stop_announcing()
            await self._zc.async_unregister_all_services()
            await self._zc.async_close()
            self._zc = None


def advertised_address(host: str) -> str:
    """The address to announce: the bound one, or this host's own for a wildcard bind."""
    if host in ("0.0.0.0", ""):
        return socket.gethostbyname(socket.gethostname())
    return str(ipaddress.IPv4Address(socket.gethostbyname(host)))
