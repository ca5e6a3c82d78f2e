"""A running simulated gateway: the aiohttp server, its faults, mDNS and persistence."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from ttgateway.protocol import API_PREFIX, WEBSOCKET_AUTH_SECONDS, ReturnCode
from ttgateway.simulator import api, controls, persistence
from ttgateway.simulator.gateway import GatewayError, GatewayIdentity, GatewayState
from ttgateway.simulator.mdns import MdnsAdvertiser, advertised_address
from ttgateway.simulator.traffic import DemoTraffic
from ttgateway.simulator.websocket import DelaySource, WebSocketHub

log = logging.getLogger(__name__)


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    name: str = "TT Gateway"
    timezone: str = "UTC"
    auth_timeout: float = WEBSOCKET_AUTH_SECONDS
    state_file: Path | None = None
    mdns: bool = False
    mdns_interfaces: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    # [ours] Announce the name even when another device holds it (an impostor), instead of
    # renaming as a real device does.
    mdns_claim_name: bool = False
    demo_traffic: bool = False
    demo_speed: float = 1.0
    seed: int | None = None


@dataclass
class Faults:
    """What the gateway is doing wrong right now; see ``POST /_sim/faults``."""

    refuse: bool = False
    paging_unavailable: bool = False
    offline_until: float | None = None

    def to_wire(self, delay: DelaySource) -> dict[str, Any]:
        return {
            "delay_ms": round(delay.seconds * 1000),
            "refuse": self.refuse,
            "paging_unavailable": self.paging_unavailable,
            "offline": self.offline_until is not None,
        }


class Simulator:
    """One simulated Table Tracker gateway on a real socket.

    Use ``async with Simulator(SimulatorConfig(port=0)) as sim`` in tests: port 0 picks a free
    port, and ``sim.url`` says which.
    """

    def __init__(
        self, config: SimulatorConfig | None = None, state: GatewayState | None = None
    ) -> None:
        self.config = config or SimulatorConfig()
        self.state = state or GatewayState(
            identity=GatewayIdentity(name=self.config.name), timezone=self.config.timezone
        )
        self.faults = Faults()
        self.delay = DelaySource()
        self.hub = WebSocketHub(self.state, self.config.auth_timeout, self.delay)
        self.traffic = DemoTraffic(self.state, self.config.demo_speed, self.config.seed)
        self.host = self.config.host
        self.port = self.config.port
        self.app = self._build_app()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._mdns: MdnsAdvertiser | None = None
        self._save_handle: asyncio.TimerHandle | None = None
        self._offline_task: asyncio.Task[None] | None = None

    # --- the app ---------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_middleware, api.gateway_errors])
        app[api.STATE_KEY] = self.state
        app[controls.SIMULATOR_KEY] = self
        api.add_routes(app)
        app.router.add_get(API_PREFIX + "/websocket", self.hub.handle)
        controls.add_routes(app)
        return app

    @web.middleware
    async def _faults_middleware(
        self, request: web.Request, handler: api.Handler
    ) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)  # the hardware controls never misbehave
        if self.delay.seconds:
            await asyncio.sleep(self.delay.seconds)
        if self.faults.refuse:
            return api.failure(GatewayError(503, ReturnCode.API_UNAVAILABLE))
        return await handler(request)

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}{API_PREFIX}/websocket"

    async def start(self) -> None:
        if self.config.state_file and persistence.load(self.state, self.config.state_file):
            log.info("simulator state loaded from %s", self.config.state_file)
        self.state.on_change = self._schedule_save
        self._runner = web.AppRunner(
            self.app, handle_signals=False, access_log=None, shutdown_timeout=0.5
        )
        await self._runner.setup()
        await self._listen(self.host, self.port)
        if self.config.mdns:
            self._mdns = MdnsAdvertiser(
                self.config.name,
                self.config.mdns_interfaces,
                {"model": self.state.identity.model, "firmware": self.state.identity.firmware},
                claim_name=self.config.mdns_claim_name,
            )
            await self._mdns.start(advertised_address(self.host), self.port)
        if self.config.demo_traffic:
            self.traffic.start()

    async def _listen(self, host: str, port: int) -> None:
        assert self._runner is not None
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self.host, self.port = host, server.sockets[0].getsockname()[1]
        self._site = site

    async def stop(self) -> None:
        await self.traffic.stop()
        if self._offline_task is not None:
            self._offline_task.cancel()
        if self._mdns is not None:
            await self._mdns.stop()
        self.hub.drop_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.save_now()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- faults ----------------------------------------------------------------------------

    def _drop_connections(self, spare: asyncio.BaseTransport | None = None) -> None:
        """Cut every open connection but ``spare`` (the one still owed an answer)."""
        self.hub.drop_all()
        if self._runner is not None and self._runner.server is not None:
            for connection in self._runner.server.connections:
                transport = connection.transport
                if transport is not None and transport is not spare:
                    transport.abort()

    async def go_offline(self, seconds: float | None = None) -> None:
        """Stop answering at all: the port refuses connections, open ones are cut."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        self._drop_connections()
        loop = asyncio.get_running_loop()
        self.faults.offline_until = loop.time() + seconds if seconds else float("inf")
        if seconds:
            self._offline_task = asyncio.create_task(self._come_back(seconds))

    async def _come_back(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._offline_task = None
        await self.go_online()

    async def go_online(self) -> None:
        if self._site is None and self._runner is not None:
            await self._listen(self.host, self.port)
        self.faults.offline_until = None

    async def move(
        self,
        host: str | None = None,
        port: int | None = None,
        spare: asyncio.BaseTransport | None = None,
    ) -> None:
        """Come back at another address, as after a DHCP renewal; mDNS follows.

        ``spare`` is the connection that asked for the move (the /_sim/address control): it is
        left open so that it can still be answered, and the answer closes it.
        """
        old = self._site
        await self._listen(host or self.host, self.port if port is None else port)
        if old is not None:
            await old.stop()
        self._drop_connections(spare)
        if self._mdns is not None:
            await self._mdns.update(advertised_address(self.host), self.port)

    def set_delay(self, milliseconds: float) -> None:
        self.delay.seconds = max(0.0, milliseconds) / 1000

    def set_paging_unavailable(self, unavailable: bool) -> None:
        self.faults.paging_unavailable = unavailable
        self.state.paging_available = not unavailable

    def clear_faults(self) -> None:
        self.set_delay(0)
        self.faults.refuse = False
        self.set_paging_unavailable(False)

    # --- persistence -----------------------------------------------------------------------

    def _schedule_save(self) -> None:
        if self.config.state_file is None or self._save_handle is not None:
            return
        with contextlib.suppress(RuntimeError):  # no loop: saved at stop instead
            self._save_handle = asyncio.get_running_loop().call_later(0.5, self.save_now)

    def save_now(self) -> None:
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        if self.config.state_file is not None:
            persistence.save(self.state, self.config.state_file)


async def serve_forever(sim: Simulator) -> None:
    await sim.start()
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()
