"""The scaled deployment as separate processes on PostgreSQL and Redis.

Two Daphne web servers, a Celery worker, beat and two relays, each its own process, as in
production. A browser socket on either web server sees the gateway's events; when the relay
that holds the gateway dies, the other takes it over and the board converges with no order lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
import redis
from django.conf import settings
from django.db import connection

from gateways.models import Gateway
from orders.models import ActiveOrder, OrderRecord
from orders.tasks import pull_gateway_history
from tests.loopback import free_port
from tests.portal_fixtures import database_url, serving, session_cookie
from ttgateway.controls import SimulatorControls
from ttgateway.waiting import wait_until

WAIT = 20.0


@pytest.fixture(autouse=True)
def _scaled_pass_only(transactional_db: None) -> None:
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.skip("needs PostgreSQL and Redis: runs in the scaled pass of scripts/test")


class Deployment:
    """The roles as child processes, sharing the test database and a Redis prefix."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "TTPORTAL_REDIS_PREFIX": settings.TTPORTAL_REDIS_PREFIX,
            "TTPORTAL_DATA_DIR": str(workdir),
            "TTPORTAL_RELAY_REFRESH_SECONDS": "0.3",
            "TTPORTAL_RELAY_LEASE_SECONDS": "2",
            "TTPORTAL_HEALTH_SECONDS": "1",
            "TTPORTAL_DISCOVERY_INTERFACES": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *argv],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    def web(self, name: str) -> str:
        port = free_port()
        process = self.start(
            name, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "ttportal.asgi:application"
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: serving(f"{url}/healthz", process), within=30)
        return url

    def relay_holding(self, gateway_id: int) -> str:
        """The name of the relay process that holds the gateway's lease now."""
        client = redis.Redis.from_url(settings.REDIS_URL)
        try:
            key = f"{settings.TTPORTAL_REDIS_PREFIX}:relay:lease:{gateway_id}"
            holder = cast(bytes | None, client.get(key))
        finally:
            client.close()
        assert holder is not None, "no relay holds the gateway"
        pid = int(holder.decode().split(":")[1])
        return next(n for n, p in self.processes.items() if p.pid == pid)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.workdir.glob("*.log")
        )


@pytest.fixture
def deployment() -> Iterator[Deployment]:
    with tempfile.TemporaryDirectory(prefix="ttportal-scaled-") as workdir:
        running = Deployment(Path(workdir))
        try:
            yield running
        finally:
            running.stop()
            if os.environ.get("TTPORTAL_SCALED_KEEP_LOGS"):
                print(running.logs())


async def board_socket(session: aiohttp.ClientSession, web: str, cookie: bytes, site_id: int):
    socket = await session.ws_connect(
        f"{web.replace('http', 'ws')}/ws/board/?site={site_id}",
        headers={"Cookie": cookie.decode(), "Origin": web},
    )
    first = json.loads((await socket.receive(timeout=WAIT)).data)
    assert first["type"] in {"hello", "board"}
    return socket


class BoardLog:
    """Everything one board socket received, so a later check can look at earlier messages."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.messages: list[dict[str, Any]] = []

    async def until_order(self, name: str, predicate: Any) -> dict[str, Any]:
        """The first order payload about ``name`` satisfying ``predicate``, waiting if need be."""
        deadline = time.monotonic() + WAIT
        seen = 0
        while True:
            for message in self.messages[seen:]:
                if (message.get("order") or {}).get("name") == name and predicate(message):
                    return message
            seen = len(self.messages)
            left = deadline - time.monotonic()
            assert left > 0, f"no matching event for order {name} within {WAIT} s"
            self.messages.append(json.loads((await self.socket.receive(timeout=left)).data))


def test_the_scaled_roles_relay_to_both_web_servers_and_survive_a_relay_dying(
    deployment, alice, paired_gateway, sim
):
    web1, web2 = deployment.web("web1"), deployment.web("web2")
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    celery = ("-m", "celery", "-A", "ttportal")
    deployment.start("worker", *celery, "worker", "--pool", "threads", "-c", "2", "-Q", queue)
    deployment.start("beat", *celery, "beat", "-s", str(deployment.workdir / "beat-schedule"))
    deployment.start("relay1", "manage.py", "relay")
    deployment.start("relay2", "manage.py", "relay")
    cookie = session_cookie(alice)
    site_id = paired_gateway.site_id
    seen_before = paired_gateway.last_seen

    async def scenario() -> None:
        async with aiohttp.ClientSession() as session, SimulatorControls(sim.url) as controls:
            on_web1 = BoardLog(await board_socket(session, web1, cookie, site_id))
            on_web2 = BoardLog(await board_socket(session, web2, cookie, site_id))

            await controls.start_tracker("21")
            for socket in (on_web1, on_web2):
                await socket.until_order("21", lambda m: m["type"] == "order.upserted")

            dying = deployment.relay_holding(paired_gateway.pk)
            deployment.processes[dying].kill()  # no clean stop: its leases just run out

            # While no relay listens: a new order, a located one, a cleared one.
            await controls.start_tracker("22")
            await controls.locate_tracker("21", "4")
            await controls.start_tracker("23")
            await controls.clear_tracker("23")

            for socket in (on_web1, on_web2):
                await socket.until_order("22", lambda m: m["type"] == "order.upserted")
                await socket.until_order("21", lambda m: m["order"].get("state") == "located")
            await on_web1.socket.close()
            await on_web2.socket.close()

    try:
        asyncio.run(scenario())
        survivor = deployment.relay_holding(paired_gateway.pk)
        assert survivor in {"relay1", "relay2"}
        assert deployment.processes[survivor].poll() is None

        def board_matches_gateway() -> bool:
            active = sorted(o["name"] for o in sim.call(lambda: sim.state.snapshot()["items"]))
            mirrored = sorted(ActiveOrder.objects.values_list("name", flat=True))
            return active == mirrored == ["21", "22"]

        wait_until(board_matches_gateway, within=WAIT)
        assert ActiveOrder.objects.get(name="21").location == "4"
        # The health checks sent by beat and run by the worker kept the gateway online.
        gateway = wait_until(
            lambda: Gateway.objects.filter(pk=paired_gateway.pk, last_seen__gt=seen_before).first(),
            within=WAIT,
        )
        assert gateway.status == Gateway.Status.ONLINE
        # Order 23 lived and died while no relay listened: no snapshot can show it, the
        # gateway's history does, and the pull (run by the worker process) keeps it.
        pull_gateway_history.delay(paired_gateway.pk)
        record = wait_until(lambda: OrderRecord.objects.filter(name="23").first(), within=WAIT)
        assert record.cleared is not None
        assert record.confirmed
        assert not OrderRecord.objects.filter(name__in=["21", "22"]).exists()
    except BaseException:
        print(deployment.logs())
        raise
