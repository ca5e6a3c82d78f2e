"""``manage.py relay``: follow every paired gateway's WebSocket (scaled deployment role)."""

from __future__ import annotations

import asyncio
import gc
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from gateways.leases import from_settings
from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed


class Command(BaseCommand):
    help = "Relay gateway events into the active-order mirror and to the boards until stopped."

    def handle(self, *args: Any, **options: Any) -> None:
        # Django and the apps live as long as the relay: out of the collector's sight, so that
        # a full collection does not hold up the gateways' sockets (see ttportal.asgi).
        gc.freeze()
        asyncio.run(self._run())

    async def _run(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        leases = from_settings()
        relay = Relay(
            MirrorFeed(),
            RelaySettings(refresh_seconds=settings.TTPORTAL_RELAY_REFRESH_SECONDS),
            leases=leases,
        )
        shared = f"sharing gateways as {leases.holder}" if leases else "following every gateway"
        self.stdout.write(f"relay running, {shared}; Ctrl-C stops it")
        await relay.run(stop)
