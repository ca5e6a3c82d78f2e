"""The single box: the web server, the relay, a Celery worker and beat in one process.

One process is what lets the single box run with no server at all: the channel layer and the
Celery broker live in memory, shared by the web server (Daphne, on Twisted's asyncio reactor),
the relay (tasks on the same event loop) and the worker and beat (threads). The scaled
deployment runs the same pieces as separate processes instead (``daphne``, ``manage.py relay``,
``celery worker``, ``celery beat``) with Redis between them.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import threading
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings

from ttportal import realtime

log = logging.getLogger(__name__)


@dataclass
class Roles:
    worker: bool = True
    beat: bool = True
    relay: bool = True
    discovery: bool = True


class EmbeddedWorker:
    """A Celery worker on a thread of this process, consuming the in-memory broker."""

    def __init__(self, concurrency: int = 4) -> None:
        from celery.worker import WorkController

        from ttportal.celery import app

        self.controller = WorkController(
            app=app,
            pool_cls="threads",
            concurrency=concurrency,
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            loglevel=logging.INFO,
        )
        # A daemon, so a worker stuck in a task can never keep the process from exiting.
        self.thread = threading.Thread(
            target=self.controller.start, name="celery-worker", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.controller.stop(in_sighandler=False)
        self.thread.join(10)


class EmbeddedBeat:
    """Celery beat on a thread: sends the scheduled discovery and health tasks."""

    def __init__(self) -> None:
        from celery.beat import EmbeddedService

        from ttportal.celery import app

        schedule = settings.DATA_DIR / "celerybeat-schedule"
        # Wake at least every second, so stopping never waits for the next scheduled task.
        self.service = EmbeddedService(
            app, thread=True, schedule_filename=str(schedule), max_interval=1
        )

    def start(self) -> None:
        self.service.start()

    def stop(self) -> None:
        self.service.stop()


class OnLoop:
    """A long-running coroutine on the web server's event loop, stopped through an event."""

    name = "task"

    def __init__(self) -> None:
        self.stop_event: asyncio.Event | None = None
        self.task: asyncio.Task[None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        raise NotImplementedError

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        async def main() -> None:
            self.stop_event = asyncio.Event()
            await self.run(self.stop_event)

        self.task = loop.create_task(main(), name=self.name)

    async def stop(self) -> None:
        if self.stop_event is not None:
            self.stop_event.set()
        if self.task is not None:
            await self.task


class RelayOnLoop(OnLoop):
    """The relay: on the web server's loop, it shares the in-memory channel layer."""

    name = "relay"

    async def run(self, stop: asyncio.Event) -> None:
        from gateways.relay import Relay, RelaySettings
        from orders.feed import MirrorFeed

        refresh = settings.TTPORTAL_RELAY_REFRESH_SECONDS
        await Relay(MirrorFeed(), RelaySettings(refresh_seconds=refresh)).run(stop)


class DiscoveryOnLoop(OnLoop):
    """Continuous mDNS discovery, so a moved gateway is followed in seconds."""

    name = "discovery"

    async def run(self, stop: asyncio.Event) -> None:
        from gateways.services.discovery import watch_lan

        try:
            await watch_lan(stop)
        except OSError as exc:  # no multicast on this network: the scheduled browse remains
            log.warning("continuous discovery is off: %s", exc)


def serve(host: str, port: int, roles: Roles, on_ready: Any = None) -> None:
    """Run everything until SIGINT or SIGTERM, then stop each piece in order."""
    from daphne.endpoints import build_endpoint_description_strings
    from daphne.server import Server
    from twisted.internet import reactor

    from ttportal.asgi import application

    worker = EmbeddedWorker() if roles.worker else None
    beat = EmbeddedBeat() if roles.beat else None
    relay = RelayOnLoop() if roles.relay else None
    discovery = DiscoveryOnLoop() if roles.discovery else None
    stopping: list[asyncio.Task[None]] = []

    def stop_threads() -> None:
        if beat is not None:
            beat.stop()
        if worker is not None:
            worker.stop()

    async def shut_down() -> None:
        log.info("stopping: relay, worker and beat first, then the web server")
        for piece in (relay, discovery):
            if piece is not None:
                await piece.stop()
        await asyncio.get_running_loop().run_in_executor(None, stop_threads)
        cast(Any, reactor).stop()  # twisted types the reactor as an interface

    def on_signal() -> None:
        if not stopping:  # a second Ctrl-C while stopping changes nothing
            stopping.append(asyncio.ensure_future(shut_down()))

    def ready() -> None:
        loop = asyncio.get_event_loop()
        realtime.set_home_loop(loop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        for piece in (relay, discovery):
            if piece is not None:
                piece.start(loop)
        if worker is not None:
            worker.start()
        if beat is not None:
            beat.start()
        # Everything alive now (Django, the apps, Twisted) lives as long as the process: out
        # of the collector's sight, a full collection no longer walks it while boards wait.
        gc.collect()
        gc.freeze()
        if on_ready is not None:
            on_ready()

    server = Server(
        application=application,
        endpoints=build_endpoint_description_strings(host=host, port=port),
        ready_callable=ready,
        signal_handlers=False,  # ours stop the relay and the threads before the reactor
        server_name="ttportal",
    )
    try:
        server.run()
    finally:
        realtime.set_home_loop(None)
