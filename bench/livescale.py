"""Live updates at chain scale: many gateways, many boards, a lunch rush and a burst.

``uv run python -m bench.relay --scenario lunch`` (or ``python -m bench.livescale``;
``--quick`` for 10 gateways and 105 sockets; ``--help`` for the knobs).

N simulators (``python -m ttgateway.simulator``, one process each) are paired with the portal,
one site per gateway. Browser sockets open ``ws/board/?site=ID`` (``--per-site`` per site) plus
``--head-office`` sockets on ``ws/board/`` that see every site, all in a process of their own.
This process follows every simulator's own WebSocket (the direct subscriber) and drives the
changes through each simulator's hardware controls, at ``--rate`` changes/s per gateway, open
loop. The burst sends ``--burst`` changes to one gateway as fast as the controls answer.

A delivery's *added* latency is its arrival at a board minus the arrival of the same change at
the direct subscriber, in the same run (``CLOCK_MONOTONIC``, shared by the processes).

``--mode single``: ``manage.py serve`` on SQLite (the single box). ``--mode scaled``: two
``daphne`` web processes behind one Redis channel layer, one ``manage.py relay``, one Celery
worker (with beat), PostgreSQL. The sockets are spread over both web processes. Loopback only;
every child is stopped by its PID in a ``finally``, the scratch database and Redis keys removed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp

from bench.relay import (
    CONNECT_CONCURRENCY,
    HOST,
    PASSWORD,
    STEPS,
    USERNAME,
    change,
    direct_token,
    log_in,
    migrate,
    open_board,
    troubles,
)
from bench.simulator import (
    cpu_seconds,
    free_port,
    number_cell,
    percentile,
    server_process,
    wait_http,
)
from ttgateway.controls import SimulatorControls, SyncSimulatorControls

PG_URL = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "livescale_bench"
# A Redis database of the run's own (BENCH_REDIS_URL) keeps it clear of other programs on a
# shared server: a FLUSHDB elsewhere in the same database silently ends every delivery.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TODAY = "today"

Key = tuple[int, str, str]  # (gateway index, order name, change)
Stamp = tuple[float, int, str, str]  # (monotonic time, portal gateway id or -1, name, change)


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    gateways: int
    per_site: int
    head_office: int
    rate: float  # changes/s per gateway
    changes: int  # changes per gateway in the rush (a multiple of 3)
    burst: int  # changes to one gateway, flat out (a multiple of 3)
    drivers: int
    modes: tuple[str, ...]
    phase_timeout: float
    time_limit: float
    idle_seconds: float
    keep_logs: Path | None


def parse_settings(argv: Sequence[str] | None) -> Settings:
    p = argparse.ArgumentParser(prog="python -m bench.livescale", description=__doc__)
    p.add_argument("--quick", action="store_true", help="10 gateways, 10 per site, 300 burst")
    p.add_argument("--gateways", type=int, help="simulated gateways, one site each (50)")
    p.add_argument("--per-site", type=int, default=10, help="board sockets per site (10)")
    p.add_argument("--head-office", type=int, default=5, help="sockets on every site (5)")
    p.add_argument("--rate", type=float, default=1.0, help="changes/s per gateway (1)")
    p.add_argument("--changes", type=int, help="changes per gateway in the rush (30; quick 30)")
    p.add_argument("--burst", type=int, help="changes in the burst (1,000; quick 300)")
    p.add_argument("--drivers", type=int, default=4, help="concurrent burst drivers (4)")
    p.add_argument("--mode", default="single,scaled", help="single, scaled or both")
    p.add_argument("--phase-timeout", type=float, default=60.0)
    p.add_argument("--time-limit", type=float, default=900.0)
    p.add_argument("--idle-seconds", type=float, default=10.0, help="idle CPU window (10)")
    p.add_argument("--keep-logs", type=Path, help="copy the servers' logs to this folder")
    a = p.parse_args(argv)
    changes = a.changes or 30
    burst = a.burst or (300 if a.quick else 1002)
    return Settings(
        gateways=a.gateways or (10 if a.quick else 50),
        per_site=a.per_site,
        head_office=a.head_office,
        rate=a.rate,
        changes=max(3, changes - changes % 3),
        burst=max(3, burst - burst % 3),
        drivers=a.drivers,
        modes=tuple(m.strip() for m in a.mode.split(",") if m.strip()),
        phase_timeout=a.phase_timeout,
        time_limit=a.time_limit,
        idle_seconds=a.idle_seconds,
        keep_logs=a.keep_logs,
    )


# --- processes ---------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return math.nan


@dataclass
class Portal:
    """The portal's processes and where the browsers reach them."""

    web_urls: list[str]
    pids: dict[str, int]  # role -> pid
    web_roles: list[str]

    def cpu(self) -> dict[str, float]:
        return {role: cpu_seconds(pid) for role, pid in self.pids.items()}

    def rss(self) -> dict[str, float]:
        return {role: rss_mb(pid) for role, pid in self.pids.items()}


def scaled_env(work: Path, prefix: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"{PG_URL}/{PG_NAME}",
        "REDIS_URL": REDIS_URL,
        "TTPORTAL_REDIS_PREFIX": prefix,
    }


def base_env(work: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "ttportal.settings"
    os.environ["TTPORTAL_DATA_DIR"] = str(work / "data")
    os.environ["TTPORTAL_DISCOVERY_INTERFACES"] = HOST
    os.environ["TTPORTAL_GATEWAY_NETWORKS"] = "127.0.0.0/8"  # its simulators are on loopback
    os.environ.setdefault("TTPORTAL_LOG_LEVEL", "WARNING")
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TTPORTAL_REDIS_PREFIX"):
        os.environ.pop(name, None)


def distinct_free_ports(count: int) -> list[int]:
    """``count`` ports free on loopback, no two alike: each is held until all are picked.

    Picked one by one and let go at once, two of 50 could be the same port (the kernel hands a
    freed port out again); the second simulator then failed to bind, the first answered for
    both, and pairing failed on the address already filed.
    """
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((HOST, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


@contextlib.contextmanager
def simulators(count: int, work: Path) -> Iterator[list[tuple[str, int, int]]]:
    """``count`` simulators: (url, port, pid) each, all stopped by PID on the way out."""
    with contextlib.ExitStack() as stack:
        started = []
        for index, port in enumerate(distinct_free_ports(count)):
            argv = [sys.executable, "-m", "ttgateway.simulator", "--host", HOST, "--port"]
            log = work / f"sim-{index}.log"
            process = stack.enter_context(server_process([*argv, str(port)], log))
            started.append((f"http://{HOST}:{port}", port, process, log))
        for url, _port, process, log in started:
            wait_http(f"{url}/_sim/state", process, log)
        yield [(url, port, process.pid) for url, port, process, _log in started]


def set_up(ports: list[int], urls: list[str]) -> list[tuple[int, int]]:
    """In a child process: a user who sees every site, one site and paired gateway per port.

    Returns (site id, gateway id) per gateway. Pairing queues a task on a broker nobody reads
    (``CELERY_BROKER_URL=memory://`` in this child): the pairing is run here.
    """
    import logging

    import django

    os.environ["CELERY_BROKER_URL"] = "memory://"
    django.setup()
    from django.contrib.auth.models import User
    from django.db import connections

    from gateways import services
    from gateways.models import Gateway, Membership, PairingAttempt, Site

    logging.getLogger("kombu").setLevel(logging.ERROR)
    out = []
    try:
        user = User.objects.create_user(USERNAME, password=PASSWORD)
        for index, (port, url) in enumerate(zip(ports, urls, strict=True)):
            site = Site.objects.create(
                name=f"Site {index}", time_zone="UTC", discovery_enabled=False
            )
            Membership.objects.create(user=user, site=site, role=Membership.Role.MANAGER)
            gateway = Gateway.objects.create(site=site, name=f"GW {index}", host=HOST, port=port)
            with SyncSimulatorControls(url) as controls:
                controls.press_button()
            attempt = services.run_pairing(services.start_pairing(gateway, user).pk)
            if attempt.outcome != PairingAttempt.Outcome.PAIRED:
                raise RuntimeError(f"pairing failed: {attempt.outcome} {attempt.message}")
            out.append((site.pk, gateway.pk))
    finally:
        connections.close_all()
    return out


def run_child(target: Any, *args: Any) -> Any:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(target, args)


@contextlib.contextmanager
def portal(mode: str, work: Path) -> Iterator[Portal]:
    """Start the portal's processes (after set-up), stopped by PID whatever happens."""
    manage = [sys.executable, "manage.py"]
    with contextlib.ExitStack() as stack:
        if mode == "single":
            port = free_port()
            argv = [*manage, "serve", "--host", HOST, "--port", str(port), "--no-discovery"]
            p = stack.enter_context(server_process(argv, work / "serve.log"))
            url = f"http://{HOST}:{port}"
            wait_http(f"{url}/healthz", p, work / "serve.log")
            yield Portal([url], {"serve": p.pid}, ["serve"])
            return
        pids: dict[str, int] = {}
        urls = []
        for name in ("web1", "web2"):
            port = free_port()
            argv = [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port)]
            p = stack.enter_context(
                server_process([*argv, "ttportal.asgi:application"], work / f"{name}.log")
            )
            url = f"http://{HOST}:{port}"
            wait_http(f"{url}/healthz", p, work / f"{name}.log")
            pids[name] = p.pid
            urls.append(url)
        p = stack.enter_context(server_process([*manage, "relay"], work / "relay.log"))
        pids["relay"] = p.pid
        celery = [sys.executable, "-m", "celery", "-A", "ttportal", "worker", "-B", "-Q"]
        worker = [*celery, "celery", "--pool", "threads", "-c", "4", "-l", "WARNING"]
        worker += ["-s", str(work / "data" / "celerybeat-schedule")]
        p = stack.enter_context(server_process(worker, work / "worker.log"))
        pids["worker"] = p.pid
        yield Portal(urls, pids, ["web1", "web2"])


# --- browsers ----------------------------------------------------------------------------------


def fleet_main(conn: Connection, plan: list[tuple[str, str]], cookie: str) -> None:
    asyncio.run(_fleet(conn, plan, cookie))


def parse(messages: Sequence[tuple[float, str]]) -> list[Stamp]:
    out: list[Stamp] = []
    for at, text in messages:
        payload = json.loads(text)
        kind = payload.get("type")
        if kind in ("order.upserted", "order.removed"):
            order = payload["order"]
            out.append((at, int(order["gateway"]), str(order["name"]), str(payload["change"])))
        elif kind == "site.today":
            out.append((at, -1, "", TODAY))
    return out


async def _fleet(conn: Connection, plan: list[tuple[str, str]], cookie: str) -> None:
    """One socket per (url, origin); each drain waits for its wanted count of order messages."""
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)
    inboxes: list[list[tuple[float, str]]] = [[] for _ in plan]
    counts = [0] * len(plan)

    async def one(url: str, origin: str) -> aiohttp.ClientWebSocketResponse:
        async with limit:
            return await open_board(session, url, origin, cookie)

    async def read(index: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        box = inboxes[index]
        while True:
            msg = await ws.receive()
            stamp = now()
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return
            box.append((stamp, msg.data))
            if '"type": "order.' in msg.data:
                counts[index] += 1

    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout
    ) as session:
        try:
            sockets = await asyncio.gather(*(one(u, o) for u, o in plan))
        except Exception as exc:
            conn.send(("error", repr(exc)))
            return
        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(sockets)]
        conn.send(("ready", len(sockets)))
        try:
            while True:
                command = await asyncio.to_thread(conn.recv)
                if command[0] != "drain":
                    break
                _, wanted, seconds = command
                deadline = now() + seconds
                # Polls counters the sockets' readers bump: one wake-up per 50 ms, not per message.
                while now() < deadline and any(  # noqa: ASYNC110
                    c < w for c, w in zip(counts, wanted, strict=True)
                ):
                    await asyncio.sleep(0.05)
                await asyncio.sleep(1.0)  # the site.today of the last clears
                taken = [parse(box) for box in inboxes]
                for box in inboxes:
                    box.clear()
                for i in range(len(counts)):
                    counts[i] = 0
                conn.send(("arrivals", taken))
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


class Fleet:
    def __init__(self, plan: list[tuple[str, str]], cookie: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=fleet_main, args=(child, plan, cookie), name="bench-browsers", daemon=True
        )

    async def start(self) -> None:
        self.process.start()
        answer = await self._receive(180)
        if answer[0] != "ready":
            raise RuntimeError(f"browser sockets failed to open: {answer[1]}")

    async def drain(self, wanted: list[int], seconds: float) -> list[list[Stamp]]:
        self.conn.send(("drain", wanted, seconds))
        answer = await self._receive(seconds + 90)
        result: list[list[Stamp]] = answer[1]
        return result

    async def _receive(self, seconds: float) -> Any:
        if not await asyncio.to_thread(self.conn.poll, seconds):
            raise TimeoutError("the browsers' process did not answer")
        return self.conn.recv()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(("stop",))
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)


# --- direct subscribers, drivers, loop-lag probe -------------------------------------------------


@dataclass
class Direct:
    ws: aiohttp.ClientWebSocketResponse
    messages: list[tuple[float, str]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def read(self) -> None:
        while True:
            msg = await self.ws.receive()
            stamp = now()
            if msg.type is not aiohttp.WSMsgType.TEXT:
                return
            self.messages.append((stamp, msg.data))

    def take(self) -> list[tuple[float, str, str]]:
        out = []
        change_of = {event: board for _a, event, board in STEPS}
        for at, text in self.messages:
            payload = json.loads(text)
            board = change_of.get(payload.get("type", ""))
            if board is not None:
                out.append((at, str(payload["name"]), board))
        self.messages.clear()
        return out


async def open_direct(http: aiohttp.ClientSession, sim_url: str, token: str) -> Direct:
    ws_url = "ws" + sim_url.removeprefix("http") + "/api/v2/websocket"
    ws = await http.ws_connect(ws_url, heartbeat=None, max_msg_size=0)
    await ws.send_json({"accesstoken": token})
    await ws.receive(timeout=10)  # the snapshot
    direct = Direct(ws)
    direct.task = asyncio.create_task(direct.read())
    return direct


async def drive_gateway(
    http: aiohttp.ClientSession,
    sim_url: str,
    names: list[str],
    rate: float,
    offset: float,
    sent: dict[tuple[str, str], float],
) -> None:
    """Open loop at ``rate`` changes/s: waves of 5 trackers start, sit at a table, leave."""
    schedule = [
        (name, step)
        for first in range(0, len(names), 5)
        for step in range(len(STEPS))
        for name in names[first : first + 5]
    ]
    previous: dict[str, asyncio.Task[None]] = {}

    async def after(before: asyncio.Task[None] | None, name: str, step: int) -> None:
        if before is not None:
            await before
        await change(SimulatorControls(sim_url, session=http), name, step, sent)

    start = time.monotonic() + offset
    for index, (name, step) in enumerate(schedule):
        await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
        previous[name] = asyncio.create_task(after(previous.get(name), name, step))
    await asyncio.gather(*previous.values())


async def drive_burst(
    http: aiohttp.ClientSession, sim_url: str, names: list[str], drivers: int
) -> dict[tuple[str, str], float]:
    sent: dict[tuple[str, str], float] = {}
    queue = iter(names)

    async def one() -> None:
        for name in queue:
            for step in range(len(STEPS)):
                await change(SimulatorControls(sim_url, session=http), name, step, sent)

    await asyncio.gather(*(one() for _ in range(drivers)))
    return sent


class LagProbe:
    """WebSocket pings to a web process: Daphne answers them on its event loop, so the round
    trip over loopback is that loop's lag (plus this process's own, seen at idle)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.samples: list[float] = []
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        while True:
            sent = now()
            await self.ws.ping()
            while True:
                msg = await self.ws.receive()
                if msg.type is aiohttp.WSMsgType.PONG:
                    break
                if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return
            self.samples.append(now() - sent)
            await asyncio.sleep(0.05)

    def take(self) -> list[float]:
        taken, self.samples = self.samples, []
        return taken


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Case:
    label: str
    changes: int = 0
    deliveries: int = 0
    expected: int = 0
    added: list[float] = field(default_factory=list)
    direct_lat: list[float] = field(default_factory=list)
    portal_lat: list[float] = field(default_factory=list)
    today_expected: int = 0
    today_got: int = 0
    first_sent: float = math.nan
    last_arrival: float = math.nan
    direct_last: float = math.nan
    cpu: dict[str, float] = field(default_factory=dict)
    lag: list[float] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.expected - self.deliveries

    def rows(self) -> list[tuple[str, str]]:
        ms = 1000
        total_cpu = sum(self.cpu.values())
        web_cpu = sum(v for k, v in self.cpu.items() if k.startswith(("web", "serve")))
        window = self.last_arrival - self.first_sent
        direct_window = self.direct_last - self.first_sent
        per_socket = self.deliveries / max(1, self.expected // max(1, self.changes))
        out = [
            ("changes", f"{self.changes:,}"),
            ("p50 / p99 ms, direct", f"{_ms(self.direct_lat, 0.5)} / {_ms(self.direct_lat, 0.99)}"),
            ("p50 / p99 ms, portal", f"{_ms(self.portal_lat, 0.5)} / {_ms(self.portal_lat, 0.99)}"),
            ("p50 / p99 ms added", f"{_ms(self.added, 0.5)} / {_ms(self.added, 0.99)}"),
            ("deliveries/s", number_cell(self.deliveries / window if window > 0 else math.nan)),
            (
                "changes/s direct / portal (per socket)",
                f"{number_cell(self.changes / direct_window if direct_window > 0 else math.nan)}"
                f" / {number_cell(per_socket / window if window > 0 else math.nan)}",
            ),
            ("server CPU ms/change", number_cell(total_cpu / max(1, self.changes) * ms)),
            (
                "server CPU µs/delivery (all / web only)",
                f"{number_cell(total_cpu / max(1, self.deliveries) * 1e6)} / "
                f"{number_cell(web_cpu / max(1, self.deliveries) * 1e6)}",
            ),
            ("CPU s by process", ", ".join(f"{k} {v:.2f}" for k, v in self.cpu.items())),
            ("lost / expected", f"{self.lost} / {self.expected:,}"),
            # One per batch of the relay's writes that cleared orders: fewer than the clears
            # when a burst batches them.
            ("site.today got / clears", f"{self.today_got:,} / {self.today_expected:,}"),
            (
                "loop lag ms p50 / p99 / max",
                f"{_ms(self.lag, 0.5)} / {_ms(self.lag, 0.99)} / {_ms(self.lag, 1.0)}",
            ),
        ]
        return out


def _ms(samples: Sequence[float], fraction: float) -> str:
    return number_cell(percentile(samples, fraction) * 1000)


async def measure(
    s: Settings,
    mode: str,
    where: Portal,
    sims: list[tuple[str, int, int]],
    ids: list[tuple[int, int]],
    out: list[str],
) -> None:
    index_of_gateway = {gw: i for i, (_site, gw) in enumerate(ids)}
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(
        cookie_jar=jar,
        timeout=aiohttp.ClientTimeout(total=60),
        connector=aiohttp.TCPConnector(limit=0),
    ) as http:
        cookie = await log_in(http, where.web_urls[0])
        # The relay is following every gateway once a change reaches a head-office socket.
        await warm_up(http, where, sims, cookie, index_of_gateway)
        tokens = [direct_token(url) for url, _p, _pid in sims]
        directs = [
            await open_direct(http, url, tok)
            for (url, _p, _pid), tok in zip(sims, tokens, strict=True)
        ]
        plan: list[tuple[str, str]] = []
        sees: list[set[int] | None] = []  # gateway indexes each socket sees (None: all)
        n = 0
        for i, (site, _gw) in enumerate(ids):
            for _ in range(s.per_site):
                url = where.web_urls[n % len(where.web_urls)]
                n += 1
                plan.append((f"ws{url.removeprefix('http')}/ws/board/?site={site}", url))
                sees.append({i})
        for _ in range(s.head_office):
            url = where.web_urls[n % len(where.web_urls)]
            n += 1
            plan.append((f"ws{url.removeprefix('http')}/ws/board/", url))
            sees.append(None)
        probes = []
        for url in where.web_urls:
            ws = await http.ws_connect(
                f"ws{url.removeprefix('http')}/ws/board/",
                headers={"Cookie": cookie},
                origin=url,
                autoping=False,
                heartbeat=None,
                max_msg_size=0,
            )
            probes.append(LagProbe(ws))
        browsers = Fleet(plan, cookie)
        rss_start = where.rss()
        try:
            await browsers.start()
            out.append(f"{mode}: {len(plan)} board sockets open on {len(where.web_urls)} web")
            # Idle: what the portal burns with N gateways followed and the sockets open.
            await asyncio.sleep(2)
            before = where.cpu()
            for p in probes:
                p.take()
            await asyncio.sleep(s.idle_seconds)
            idle = {k: (where.cpu()[k] - v) / s.idle_seconds for k, v in before.items()}
            idle_lag = [x for p in probes for x in p.take()]
            out.append(
                f"{mode}: idle CPU over {s.idle_seconds:g} s with {len(sims)} gateways: "
                + ", ".join(f"{k} {v:.1%}" for k, v in idle.items())
                + f" of a core; idle ping p50 {_ms(idle_lag, 0.5)} ms"
            )
            cases = []
            # The rush: every gateway at once, open loop.
            sent: list[dict[tuple[str, str], float]] = [{} for _ in sims]
            names = [str(2000 + i) for i in range(s.changes // 3)]
            before = where.cpu()
            drives = [
                drive_gateway(http, url, names, s.rate, random.uniform(0, 1 / s.rate), sent[i])
                for i, (url, _p, _pid) in enumerate(sims)
            ]
            # Memory over the rush, from the sockets open: the soak's "flat" is read here (the
            # start above is before the sockets, which take memory of their own).
            rss_rush = [where.rss()]
            sampling = asyncio.ensure_future(sample_rss(where, rss_rush, RSS_EVERY_SECONDS))
            await asyncio.gather(*drives)
            sampling.cancel()
            rss_rush.append(where.rss())
            rush = await collect(
                f"{mode}: rush {len(sims)} gateways x {s.changes} at {s.rate:g}/s",
                s,
                where,
                browsers,
                directs,
                sent,
                sees,
                index_of_gateway,
                before,
                probes,
            )
            cases.append(rush)
            # The burst: one gateway, flat out.
            sent = [{} for _ in sims]
            names = [str(5000 + i) for i in range(s.burst // 3)]
            before = where.cpu()
            sent[0] = await drive_burst(http, sims[0][0], names, s.drivers)
            burst = await collect(
                f"{mode}: burst 1 gateway x {s.burst}",
                s,
                where,
                browsers,
                directs,
                sent,
                sees,
                index_of_gateway,
                before,
                probes,
            )
            cases.append(burst)
            rss_end = where.rss()
            out.append(
                f"{mode}: RSS MB start -> end: "
                + ", ".join(f"{k} {rss_start[k]:.0f} -> {rss_end[k]:.0f}" for k in rss_start)
            )
            out.append(
                f"{mode}: RSS MB over the rush, every {RSS_EVERY_SECONDS:g} s from the sockets "
                "open to its last change: "
                + "; ".join(
                    f"{k} " + " ".join(f"{sample[k]:.0f}" for sample in rss_rush) for k in rss_start
                )
            )
            for case in cases:
                out.append(f"\n| {case.label} | |\n| --- | ---: |")
                out.extend(f"| {k} | {v} |" for k, v in case.rows())
        finally:
            await asyncio.to_thread(browsers.stop)
            for p in probes:
                p.task.cancel()
            for d in directs:
                if d.task is not None:
                    d.task.cancel()


RSS_EVERY_SECONDS = 30.0


async def sample_rss(where: Portal, into: list[dict[str, float]], every: float) -> None:
    """Each process's resident memory every ``every`` seconds, until cancelled."""
    while True:
        await asyncio.sleep(every)
        into.append(where.rss())


async def collect(
    label: str,
    s: Settings,
    where: Portal,
    browsers: Fleet,
    directs: list[Direct],
    sent: list[dict[tuple[str, str], float]],
    sees: list[set[int] | None],
    index_of_gateway: dict[int, int],
    cpu_before: dict[str, float],
    probes: list[LagProbe],
) -> Case:
    print(f"  {label}", file=sys.stderr)
    per_gateway = [len(x) for x in sent]
    clears = [len(x) // 3 for x in sent]
    wanted = [
        sum(per_gateway) if seen is None else sum(per_gateway[i] for i in seen) for seen in sees
    ]
    deadline = now() + s.phase_timeout
    while now() < deadline and any(  # noqa: ASYNC110 - polls the direct sockets' counts
        len([1 for _m in d.messages]) < n for d, n in zip(directs, per_gateway, strict=True)
    ):
        await asyncio.sleep(0.05)
    boards = await browsers.drain(wanted, max(1.0, deadline - now()))
    case = Case(label)
    case.cpu = {k: v - cpu_before[k] for k, v in where.cpu().items()}
    case.lag = [x for p in probes for x in p.take()]
    case.changes = sum(per_gateway)
    arrived_direct: dict[Key, float] = {}
    for i, d in enumerate(directs):
        for at, name, board in d.take():
            key = (i, name, board)
            if (name, board) in sent[i] and key not in arrived_direct:
                arrived_direct[key] = at
                case.direct_lat.append(at - sent[i][(name, board)])
                case.direct_last = at if math.isnan(case.direct_last) else max(case.direct_last, at)
    case.first_sent = min(min(x.values()) for x in sent if x)
    for seen, stamps in zip(sees, boards, strict=True):
        gws = range(len(sent)) if seen is None else seen
        case.expected += sum(per_gateway[i] for i in gws)
        case.today_expected += sum(clears[i] for i in gws)
        got: set[Key] = set()
        for at, gw, name, board in stamps:
            if board == TODAY:
                case.today_got += 1
                continue
            i = index_of_gateway.get(gw, -1)
            key = (i, name, board)
            if i < 0 or (name, board) not in sent[i] or key in got:
                continue
            got.add(key)
            case.deliveries += 1
            case.portal_lat.append(at - sent[i][(name, board)])
            if key in arrived_direct:
                case.added.append(at - arrived_direct[key])
            case.last_arrival = at if math.isnan(case.last_arrival) else max(case.last_arrival, at)
    return case


async def warm_up(
    http: aiohttp.ClientSession,
    where: Portal,
    sims: list[tuple[str, int, int]],
    cookie: str,
    index_of_gateway: dict[int, int],
) -> None:
    """Until a new tracker on every gateway reaches a head-office socket on each web process.

    The relay may not follow a gateway yet (it re-reads them every few seconds, and a change
    made before it connects arrives in the snapshot, not as a change): retry with a new
    tracker every 2 s. The warm-up trackers are cleared at the end.
    """
    sockets = []
    for url in where.web_urls:
        sockets.append(
            await open_board(http, f"ws{url.removeprefix('http')}/ws/board/", url, cookie)
        )
    started: list[tuple[str, str]] = []
    try:
        confirmed: list[set[tuple[int, str]]] = [set() for _ in sockets]
        done: set[int] = set()
        give_up = now() + 120
        attempt = 0
        while len(done) < len(sims):
            if now() > give_up:
                raise RuntimeError(f"warm-up: only {len(done)} of {len(sims)} gateways relayed")
            name = str(900 + attempt)
            attempt += 1
            mine = {}
            for i, (sim_url, _p, _pid) in enumerate(sims):
                if i not in done:
                    await change(SimulatorControls(sim_url, session=http), name, 0, {})
                    started.append((sim_url, name))
                    mine[i] = name
            until = now() + 2.0

            async def drain(
                box: set[tuple[int, str]], ws: aiohttp.ClientWebSocketResponse, until: float
            ) -> None:
                while now() < until:
                    with contextlib.suppress(TimeoutError):
                        msg = await ws.receive(timeout=max(0.01, until - now()))
                        if msg.type is not aiohttp.WSMsgType.TEXT:
                            raise RuntimeError(f"board socket closed during warm-up: {msg!r}")
                        for _at, gw, seen_name, board in parse([(0.0, msg.data)]):
                            if board == "created" and gw in index_of_gateway:
                                box.add((index_of_gateway[gw], seen_name))

            await asyncio.gather(
                *(drain(b, w, until) for b, w in zip(confirmed, sockets, strict=True))
            )
            for i, tracker in mine.items():
                if all((i, tracker) in box for box in confirmed):
                    done.add(i)
        for sim_url, name in started:
            await change(SimulatorControls(sim_url, session=http), name, 2, {})
    finally:
        for ws in sockets:
            await ws.close()


def pg(tool: str, *args: str, check: bool = False) -> None:
    """``createdb`` / ``dropdb`` on the loopback PostgreSQL: fixed arguments, our own names."""
    path = shutil.which(tool) or tool
    subprocess.run([path, "-h", HOST, "-U", "postgres", *args], check=check)  # noqa: S603


def one_mode(s: Settings, mode: str, work: Path, out: list[str], deadline: float) -> None:
    base_env(work)
    prefix = f"livescale-bench-{os.getpid()}"
    if mode == "scaled":
        os.environ.update(scaled_env(work, prefix))
        pg("dropdb", "--if-exists", PG_NAME)
        pg("createdb", PG_NAME, check=True)
    try:
        with simulators(s.gateways, work) as sims:
            print(f"  {mode}: {len(sims)} simulators up; migrate, pair", file=sys.stderr)
            migrate(work / f"migrate-{mode}.log")
            ids = run_child(set_up, [p for _u, p, _pid in sims], [u for u, _p, _pid in sims])
            with portal(mode, work) as where:
                try:
                    asyncio.run(
                        asyncio.wait_for(
                            measure(s, mode, where, sims, ids, out), deadline - time.monotonic()
                        )
                    )
                except BaseException:
                    for log in work.glob("*.log"):
                        if not log.name.startswith("sim-"):
                            print(f"--- {log.name} ---\n{troubles(log)[-3000:]}", file=sys.stderr)
                    raise
                finally:
                    if s.keep_logs is not None:
                        s.keep_logs.mkdir(parents=True, exist_ok=True)
                        for log in work.glob("*.log"):
                            shutil.copy(log, s.keep_logs / f"{mode}-{log.name}")
    finally:
        if mode == "scaled":
            pg("dropdb", "--if-exists", "--force", PG_NAME)
            with contextlib.suppress(Exception):
                import redis

                client = redis.Redis.from_url(REDIS_URL)
                for key in client.scan_iter(match=f"{prefix}*"):
                    client.delete(key)
        base_env(work)


def main(argv: Sequence[str] | None = None) -> int:
    s = parse_settings(argv)
    started = time.monotonic()
    out: list[str] = []
    status = 0
    try:
        for mode in s.modes:
            with tempfile.TemporaryDirectory(prefix=f"bench-livescale-{mode}-") as tmp:
                work = Path(tmp)
                (work / "data").mkdir()
                one_mode(s, mode, work, out, started + s.time_limit)
    except TimeoutError:
        print(f"! stopped at the time limit ({s.time_limit:g} s)", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        status = 130
    print(
        f"gateways {s.gateways}, {s.per_site} sockets per site + {s.head_office} head office; "
        f"rush {s.changes} changes per gateway at {s.rate:g}/s; burst {s.burst} by "
        f"{s.drivers} drivers; python {sys.version.split()[0]}",
        flush=True,
    )
    print("\n".join(out), flush=True)
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
