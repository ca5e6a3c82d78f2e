"""The relay: one long-lived WebSocket per paired gateway, fed to a handler (the order mirror).

Each gateway is followed by its own task, which reconnects with capped exponential backoff and
jitter, detects a silent socket with pings, and starts every connection with the gateway's
snapshot so the mirror converges after any blip. Every few seconds the relay re-reads the
gateways: new pairings are picked up, a changed address or token restarts that gateway's task,
and an unpaired gateway's task stops. A refused token stops that gateway until it is paired again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from django.utils import timezone

from gateways.crypto import SealBroken
from gateways.leases import RelayLeases
from gateways.models import Gateway
from gateways.services import mark_needs_pairing
from gateways.services.health import Probe, record_liveness
from gateways.services.identity import (
    ANOTHER_DEVICE,
    has_identity,
    liveness_at,
    proves,
    record_conflict,
)
from ttgateway.client import (
    EventStream,
    GatewayClient,
    GatewayError,
    GatewayInfo,
    GatewayUnreachable,
    MalformedResponse,
    OrderEvent,
    Snapshot,
    TokenRejected,
)
from ttportal.dbthread import in_db_thread

log = logging.getLogger(__name__)

NOTE_EVERY_SECONDS = 1.0


class RelayHandler(Protocol):
    """What the relay feeds: the whole active set on (re)connect, then each change."""

    async def snapshot(self, gateway_id: int, snapshot: Snapshot) -> None: ...

    async def event(self, gateway_id: int, event: OrderEvent) -> None: ...

    async def drain(self) -> None:
        """Until the work handed over is done: the relay calls it as it stops."""

    def when_behind(self, resync: Callable[[int], None]) -> None:
        """Remember ``resync``: the handler calls it with a gateway whose changes it could not
        keep (a failed write), and the relay reconnects that gateway for a fresh snapshot."""


@dataclass(frozen=True)
class Target:
    """Where and how to reach one gateway; a change in any field restarts its task."""

    gateway_id: int
    base_url: str
    token: str = field(repr=False)
    # Who must answer at base_url before the token is sent (None: not recorded yet, the
    # address is trusted as it was when paired; the health check records it).
    identity: Gateway | None = field(default=None, compare=False, repr=False)
    identity_key: tuple[str, str, str] = ("", "", "")


@dataclass
class Backoff:
    """Capped exponential backoff with full jitter, so many relays do not reconnect in step."""

    base: float = 0.5
    cap: float = 30.0
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class RelaySettings:
    refresh_seconds: float = 2.0
    heartbeat_seconds: float = 10.0
    backoff_base: float = 0.5
    backoff_cap: float = 30.0


# Every database call here goes through ``in_db_thread``, so a connection the server closed
# (a PostgreSQL restart) is replaced instead of failing the long-lived relay forever.


def _load_targets(claim: Callable[[list[int]], set[int]] | None) -> dict[int, Target]:
    targets: dict[int, Target] = {}
    paired = list(Gateway.objects.paired().prefetch_related("tokens"))
    mine = claim([g.pk for g in paired]) if claim is not None else None
    for gateway in paired:
        if mine is not None and gateway.pk not in mine:
            continue
        try:
            token = gateway.token_secret()
        except SealBroken:
            log.error("gateway %s: its stored token cannot be decrypted; pair it again", gateway.pk)
            continue
        if token:
            known = has_identity(gateway)
            targets[gateway.pk] = Target(
                gateway.pk,
                gateway.base_url,
                token,
                identity=gateway if known else None,
                identity_key=(gateway.serial, gateway.device_name, gateway.model),
            )
    return targets


@in_db_thread
def _refused(gateway_id: int, reason: str) -> None:
    gateway = Gateway.objects.filter(pk=gateway_id).first()
    if gateway is not None:
        mark_needs_pairing(gateway, f"relay: {reason}")


@in_db_thread
def _connected(gateway_id: int, up: bool, error: str = "") -> None:
    """The socket says more than the health check: record it as liveness at once."""
    gateway = Gateway.objects.filter(pk=gateway_id).first()
    if gateway is not None and gateway.is_paired:
        info = GatewayInfo(None, None, None, None, None) if up else None
        record_liveness(gateway, Probe(info, error))


def _note_heard(gateway_id: int, at: datetime, lag_ms: int) -> None:
    # Seen, too: the scheduled health check skips a gateway the relay hears (health.py).
    Gateway.objects.filter(pk=gateway_id).update(relay_heard=at, relay_lag_ms=lag_ms, last_seen=at)


class Relay:
    """Follows every paired gateway this process holds until told to stop.

    ``leases`` shares the gateways with other relay processes; without it this relay follows
    them all (the single box).
    """

    def __init__(
        self,
        handler: RelayHandler,
        settings: RelaySettings | None = None,
        leases: RelayLeases | None = None,
    ) -> None:
        self.handler = handler
        self.settings = settings or RelaySettings()
        self.leases = leases
        self.followed: dict[int, tuple[Target, asyncio.Task[None]]] = {}
        self._last_noted: dict[int, datetime] = {}
        self._streams: dict[int, EventStream] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self.connected: set[int] = set()
        handler.when_behind(self.resync)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.refresh()
                except Exception:
                    # A database hiccup must not end the relay for every gateway: next round.
                    log.exception("relay: refreshing the gateways failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.refresh_seconds)
        finally:
            await self.stop_all()
            await self.handler.drain()
            if self.leases is not None:
                await in_db_thread(self.leases.release_all)()

    async def refresh(self) -> None:
        """Start, restart or stop gateway tasks to match the database (and the leases)."""
        claim = self.leases.hold if self.leases is not None else None
        targets = await in_db_thread(_load_targets)(claim)
        for gateway_id, (target, task) in list(self.followed.items()):
            if targets.get(gateway_id) != target or task.done():
                await self._stop(gateway_id)
        for gateway_id, target in targets.items():
            if gateway_id not in self.followed:
                task = asyncio.create_task(self.follow(target), name=f"relay-{gateway_id}")
                self.followed[gateway_id] = (target, task)

    async def _stop(self, gateway_id: int) -> None:
        _, task = self.followed.pop(gateway_id)
        task.cancel()
        # A task that died of an error has already logged it; it must not break the refresh.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self.connected.discard(gateway_id)

    def resync(self, gateway_id: int) -> None:
        """Reconnect a gateway now: its snapshot repairs what the handler lost. Waiting for the
        gateway's next event instead left the mirror behind when the lost change was the
        last one for a while (an order missing from the board until the next one came)."""
        stream = self._streams.get(gateway_id)
        if stream is None:
            return  # not connected: the next connection starts with a snapshot anyway
        log.warning(
            "gateway %s: the mirror missed changes; reconnecting for a snapshot", gateway_id
        )
        closing = asyncio.get_running_loop().create_task(stream.close())
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)

    async def stop_all(self) -> None:
        for gateway_id in list(self.followed):
            await self._stop(gateway_id)

    async def follow(self, target: Target) -> None:
        """One gateway, for as long as its target stays the same."""
        backoff = Backoff(self.settings.backoff_base, self.settings.backoff_cap)
        while True:
            try:
                await self._listen(target, backoff)
            except TokenRejected as exc:
                log.warning("gateway %s refused the relay's token: %s", target.gateway_id, exc)
                await _refused(target.gateway_id, str(exc))
                return
            except MalformedResponse as exc:
                # It answered, so it is not offline: reconnecting (and its snapshot) is enough.
                log.warning("gateway %s sent a malformed message: %s", target.gateway_id, exc)
                await self._lost(target.gateway_id, "")
            except GatewayError as exc:
                log.info("gateway %s: relay connection ended: %s", target.gateway_id, exc)
                await self._lost(target.gateway_id, str(exc))
            except Exception:
                # The handler failed (the database, most likely). Reconnecting starts with a
                # snapshot, which repairs whatever the failed event did not write.
                log.exception("gateway %s: relay handler failed; reconnecting", target.gateway_id)
                await self._lost(target.gateway_id, "")
            await asyncio.sleep(backoff.next_delay())

    async def _lost(self, gateway_id: int, error: str) -> None:
        if gateway_id in self.connected:
            self.connected.discard(gateway_id)
            if error:
                await _connected(gateway_id, False, error)

    async def _prove(self, target: Target) -> None:
        """The token goes only to a device that proves to be the gateway: one without a token
        announcing the same name, or sitting at its old address, gets nothing."""
        if target.identity is None:
            return
        gateway = target.identity
        info = await liveness_at(gateway.host, gateway.port)
        if info is None:
            raise GatewayUnreachable(f"No gateway answers at {target.base_url}")
        if not proves(gateway, info):
            await in_db_thread(record_conflict)(gateway, gateway.host, gateway.port, info)
            raise GatewayUnreachable(ANOTHER_DEVICE)

    async def _listen(self, target: Target, backoff: Backoff) -> None:
        await self._prove(target)
        async with (
            GatewayClient(target.base_url, target.token) as client,
            client.events(heartbeat=self.settings.heartbeat_seconds) as stream,
        ):
            self._streams[target.gateway_id] = stream
            try:
                await self._read(target, backoff, stream)
            finally:
                if self._streams.get(target.gateway_id) is stream:
                    del self._streams[target.gateway_id]

    async def _read(self, target: Target, backoff: Backoff, stream: EventStream) -> None:
        async for event in stream:
            if isinstance(event, Snapshot):
                await self.handler.snapshot(target.gateway_id, event)
                if target.gateway_id not in self.connected:
                    self.connected.add(target.gateway_id)
                    backoff.reset()
                    await _connected(target.gateway_id, True)
            else:
                await self.handler.event(target.gateway_id, event)
                await self._heard(target.gateway_id, event)

    async def _heard(self, gateway_id: int, event: OrderEvent) -> None:
        """Note when and how late the gateway was heard (for metrics), at most once a second."""
        now = timezone.now()
        last = self._last_noted.get(gateway_id)
        if last is not None and (now - last).total_seconds() < NOTE_EVERY_SECONDS:
            return
        self._last_noted[gateway_id] = now
        lag_ms = int((now - event.order.state_changed).total_seconds() * 1000)
        await in_db_thread(_note_heard)(gateway_id, now, lag_ms)
