"""Gateway → browser latency through the portal's relay, against the gateway's own WebSocket.

``uv run python -m bench.relay`` (``--quick`` for a smoke run; ``--help`` for the knobs).
``uv run python -m bench.relay --scenario lunch [--quick]``: the chain-scale scenario (50
gateways, 10 boards per site, 5 head-office boards, a 1,000-change burst), in ``bench.livescale``.

The single box runs as it does on a site: ``manage.py serve`` (Daphne, the relay, the embedded
Celery worker and beat, the in-memory channel layer) on a scratch SQLite data directory, paired
with a ``python -m ttgateway.simulator`` process. N browser-like sockets are open on
``ws/board/`` with a real session cookie, in a process of their own; one client follows the
simulator's WebSocket directly (the baseline), in this process, next to the drivers. Each order
change is made through the simulator's hardware controls and timestamped just before it is sent;
its latency is its arrival at each socket minus that timestamp (``CLOCK_MONOTONIC``, shared by
the processes). Both sides are measured on the same changes, in the same run. Traffic goes to
127.0.0.1 only; every child process is stopped and the data directory removed, even on error or
Ctrl-C. See ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from bench.simulator import (
    cpu_seconds,
    free_port,
    number_cell,
    percentile,
    read_log,
    server_process,
    wait_http,
)
from ttgateway.controls import SimulatorControls, SyncSimulatorControls, TrackerAction

HOST = "127.0.0.1"  # loopback only, whatever the flags say
REPO = Path(__file__).resolve().parent.parent
USERNAME = "bench"
PASSWORD = "bench-relay-password"  # a throw-away user in a throw-away database
# The hardware control, the gateway's event type, and the board's ``change`` of each step.
STEPS: tuple[tuple[TrackerAction, str, str], ...] = (
    ("start", "ORDER_CREATED", "created"),
    ("locate", "ORDER_MODIFIED", "modified"),
    ("clear", "ORDER_CLEARED", "cleared"),
)
CHANGE_OF_EVENT = {event: change for _action, event, change in STEPS}
BOARD_ORDER_TYPES = ("order.upserted", "order.removed")
# After orders leave, the board also gets the site's new figures: one per clear at most (the
# relay's batch announces them once, after its last change), and at least one after the last.
TODAY_TYPE, TODAY_KEY = "site.today", ("", "today")
# What makes an arriving message count towards a phase (see Inbox).
ORDER_MARK = '"type": "order.'
TODAY_MARK = '"type": "site.today"'
GATEWAY_MARK = '"type": "ORDER_'
# Once a phase's order messages are in, this long for the site.today of its last clear.
TODAY_GRACE_SECONDS = 1.0
WARM_UP_NAME = "999"
FIRST_NAME = 1000  # each phase takes its own block of order names from here
CONNECT_CONCURRENCY = 20  # browser sockets opening at once

Key = tuple[str, str]  # (order name, change)
Arrival = tuple[float, str, str]  # (monotonic time, order name, change)


def now() -> float:
    """CLOCK_MONOTONIC: one clock for this process and the browsers' process (Linux)."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


# --- settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    browsers: tuple[int, ...]  # browser sockets per round
    paced_events: int  # changes in the paced phase (a multiple of 3)
    rate: float  # changes per second in the paced phase
    wave: int  # trackers in flight at once in the paced phase
    burst_events: int  # changes in the burst phase (a multiple of 3)
    drivers: int  # concurrent change makers in the burst phase
    phase_timeout: float  # seconds a phase's deliveries may take after its last change
    time_limit: float  # the whole run, set-up included
    keep_logs: Path | None  # copy the servers' logs here before the data directory goes


def parse_settings(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.relay", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (~25 s)")
    parser.add_argument("--browsers", type=_ints, help="browser sockets (default 1,50,200)")
    parser.add_argument("--paced-events", type=int, help="changes, paced (default 120)")
    parser.add_argument("--rate", type=float, default=10.0, help="paced changes/s (default 10)")
    parser.add_argument("--burst-events", type=int, help="changes, back to back (default 240)")
    parser.add_argument("--drivers", type=int, default=4, help="concurrent burst drivers")
    parser.add_argument(
        "--phase-timeout", type=float, default=60.0, help="wait for deliveries after (s)"
    )
    parser.add_argument("--time-limit", type=float, default=170.0, help="abort after (s)")
    parser.add_argument("--keep-logs", type=Path, help="copy the servers' logs to this folder")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    paced = args.paced_events or (60 if quick else 120)
    burst = args.burst_events or (90 if quick else 240)
    return Settings(
        browsers=args.browsers or ((1, 20) if quick else (1, 50, 200)),
        paced_events=max(3, paced - paced % 3),
        rate=max(1.0, args.rate),
        wave=10,
        burst_events=max(3, burst - burst % 3),
        drivers=max(1, args.drivers),
        phase_timeout=args.phase_timeout,
        time_limit=args.time_limit,
        keep_logs=args.keep_logs,
    )


def _ints(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(",") if part.strip())
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("give positive integers separated by commas, e.g. 1,50")
    return values


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Side:
    """What one side (direct or through the portal) saw of one phase."""

    expected: int  # deliveries that should have arrived: changes x sockets
    latencies: list[float] = field(default_factory=list)  # seconds
    last: float = math.nan  # the last matched arrival
    duplicates: int = 0
    cpu_seconds: float = math.nan  # the server process's CPU over the phase
    today_expected: int = 0  # ``site.today`` at most: one per clear per board socket
    today_received: int = 0
    today_sockets: int = 0  # board sockets that got at least one ``site.today``
    sockets: int = 0  # board sockets matched

    @property
    def lost(self) -> int:
        return self.expected - len(self.latencies)

    @property
    def today_lost(self) -> int:
        """Sockets left without the figures after the phase's clears (a batch of the relay's
        writes announces them once, so fewer than one per clear is not a loss)."""
        return self.sockets - self.today_sockets if self.today_expected else 0

    def p_ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


@dataclass
class Phase:
    """One phase of one round: the changes made, and both sides' view of them."""

    label: str
    changes: int
    first_sent: float
    direct: Side
    portal: Side

    def deliveries_per_second(self, side: Side) -> float:
        """Matched deliveries, all sockets together, from the first send to the last arrival."""
        window = side.last - self.first_sent
        return len(side.latencies) / window if window > 0 else math.nan

    def changes_per_second(self, side: Side) -> float:
        """The same per socket: how fast changes went through to each reader."""
        return self.deliveries_per_second(side) / (side.expected / self.changes)

    def cpu_ms_per_change(self, side: Side) -> float:
        return side.cpu_seconds / self.changes * 1000


@dataclass(frozen=True)
class Row:
    case: str
    metric: str
    direct: float
    portal: float

    @property
    def count(self) -> bool:
        return self.metric.startswith("lost")

    @property
    def ratio(self) -> float:
        if self.count or self.direct == 0 or math.isnan(self.direct) or math.isnan(self.portal):
            return math.nan
        return self.portal / self.direct


@dataclass
class Report:
    """What the run found so far: printed even when it is cut short."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    losses: int = 0  # deliveries lost or doubled, over all phases
    troubled: bool = True  # until the run ends well: losses, an error or the time limit


def rows_for(phase: Phase, throughput: bool) -> list[Row]:
    d, p, case = phase.direct, phase.portal, phase.label
    rows = []
    if throughput:
        rows.append(
            Row(case, "changes/s", phase.changes_per_second(d), phase.changes_per_second(p))
        )
        rows.append(
            Row(
                case,
                "deliveries/s",
                phase.deliveries_per_second(d),
                phase.deliveries_per_second(p),
            )
        )
    rows += [
        Row(case, "p50 ms", d.p_ms(0.50), p.p_ms(0.50)),
        Row(case, "p99 ms", d.p_ms(0.99), p.p_ms(0.99)),
        Row(case, "lost", float(d.lost), float(p.lost)),
        Row(case, "site.today got (at most one per clear)", math.nan, float(p.today_received)),
        Row(case, "sockets left without site.today", math.nan, float(p.today_lost)),
        Row(case, "server CPU ms/change", phase.cpu_ms_per_change(d), phase.cpu_ms_per_change(p)),
    ]
    return rows


def render(rows: Sequence[Row]) -> str:
    """A Markdown table, so that it pastes straight into bench/README.md."""
    lines = [
        "| case | metric | direct | portal | portal/direct |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row.case} | {row.metric} | {number_cell(row.direct, row.count)} "
            f"| {number_cell(row.portal, row.count)} | {number_cell(row.ratio, ratio=True)} |"
        )
    return "\n".join(lines)


def match(arrivals: Sequence[Arrival], sent: dict[Key, float], side: Side) -> None:
    """Add one socket's arrivals of this phase's changes to ``side``."""
    seen: set[Key] = set()
    side.sockets += 1
    todays = 0
    for arrived, name, change in arrivals:
        key = (name, change)
        if key == TODAY_KEY:
            todays += 1
            continue
        since = sent.get(key)
        if since is None:
            continue  # not a change of this phase (a late one of the phase before)
        if key in seen:
            side.duplicates += 1
            continue
        seen.add(key)
        side.latencies.append(arrived - since)
        side.last = arrived if math.isnan(side.last) else max(side.last, arrived)
    side.today_received += todays
    side.today_sockets += 1 if todays else 0


# --- the single box: data directory, simulator, pairing, server ---------------------------------


def portal_environment(data_dir: Path) -> None:
    """Point this process and its children at the scratch data directory, loopback only."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "ttportal.settings"
    os.environ["TTPORTAL_DATA_DIR"] = str(data_dir)
    os.environ["TTPORTAL_DISCOVERY_INTERFACES"] = HOST  # no multicast beyond this machine
    os.environ["TTPORTAL_GATEWAY_NETWORKS"] = "127.0.0.0/8"  # its simulators are on loopback
    os.environ.setdefault("TTPORTAL_LOG_LEVEL", "WARNING")
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)  # the single box: SQLite, in-memory layer and broker


def migrate(log: Path) -> None:
    """``manage.py migrate`` on the scratch database, in its own process, as a site does it."""
    with log.open("wb") as sink:
        # Our own argv (this interpreter, the repository's manage.py): nothing untrusted.
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=REPO,
            stdout=sink,
            stderr=subprocess.STDOUT,
            timeout=120,
            check=False,
        )
    if done.returncode:
        raise RuntimeError(f"migrate failed ({done.returncode}):\n{read_log(log)}")


def set_up_portal(sim_url: str, sim_port: int) -> None:
    """A manager, a site and its gateway, paired the way a manager does it (button, then pair).

    Runs Django in this process, on the same SQLite file the server will use, before the server
    starts; the connection is closed afterwards so that nothing here holds the database.
    """
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connections

    from gateways import services
    from gateways.models import Gateway, Membership, PairingAttempt, Site

    # start_pairing also queues the pairing task on this process's in-memory broker, where no
    # worker takes it (run_pairing runs here instead); kombu's warning about that is noise.
    logging.getLogger("kombu").setLevel(logging.ERROR)

    try:
        user = User.objects.create_user(USERNAME, password=PASSWORD)
        site = Site.objects.create(name="Bench", time_zone="UTC", discovery_enabled=False)
        Membership.objects.create(user=user, site=site, role=Membership.Role.MANAGER)
        gateway = Gateway.objects.create(site=site, name="Bench gateway", host=HOST, port=sim_port)
        with SyncSimulatorControls(sim_url) as controls:
            controls.press_button()
        attempt = services.run_pairing(services.start_pairing(gateway, user).pk)
        if attempt.outcome != PairingAttempt.Outcome.PAIRED:
            raise RuntimeError(f"pairing failed: {attempt.outcome} {attempt.message}")
    finally:
        connections.close_all()


def direct_token(sim_url: str) -> str:
    """A token of its own for the baseline client (the relay keeps the portal's)."""
    with SyncSimulatorControls(sim_url) as controls:
        return controls.issue_token("bench-direct")


@dataclass(frozen=True)
class Endpoints:
    sim_url: str
    portal_url: str
    token: str  # the baseline client's gateway token
    sim_pid: int
    portal_pid: int

    @property
    def sim_ws(self) -> str:
        return "ws" + self.sim_url.removeprefix("http") + "/api/v2/websocket"

    @property
    def board_ws(self) -> str:
        return "ws" + self.portal_url.removeprefix("http") + "/ws/board/"


def run(s: Settings, work: Path, report: Report, deadline: float) -> None:
    """Start the simulator, prepare and pair the portal, serve it, measure; stop everything."""
    portal_environment(work / "data")
    sim_port, portal_port = free_port(), free_port()
    sim_url, portal_url = f"http://{HOST}:{sim_port}", f"http://{HOST}:{portal_port}"
    sim_argv = [
        sys.executable,
        "-m",
        "ttgateway.simulator",
        "--host",
        HOST,
        "--port",
        str(sim_port),
    ]
    serve_argv = [sys.executable, "manage.py", "serve", "--host", HOST, "--port", str(portal_port)]
    serve_argv.append("--no-discovery")  # no mDNS at all; not on the measured path anyway
    print("  simulator, migrate, pair", file=sys.stderr)
    with server_process(sim_argv, work / "simulator.log") as sim:
        wait_http(f"{sim_url}/_sim/state", sim, work / "simulator.log")
        migrate(work / "migrate.log")
        set_up_portal(sim_url, sim_port)
        token = direct_token(sim_url)
        print("  manage.py serve", file=sys.stderr)
        with server_process(serve_argv, work / "portal.log") as portal:
            wait_http(f"{portal_url}/healthz", portal, work / "portal.log")
            where = Endpoints(sim_url, portal_url, token, sim.pid, portal.pid)
            try:
                asyncio.run(_bounded(measure(where, s, report), deadline - time.monotonic()))
            finally:
                if report.troubled:  # the servers' warnings and errors say why
                    for log in ("simulator.log", "portal.log"):
                        print(f"--- {log} ---\n{troubles(work / log)}", file=sys.stderr)
                if s.keep_logs is not None:
                    keep_logs(work, s.keep_logs)


def keep_logs(work: Path, folder: Path) -> None:
    """``--keep-logs``: the servers' whole output, kept before the data directory is removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for log in work.glob("*.log"):
        shutil.copy(log, folder / log.name)


def troubles(log: Path) -> str:
    """A server's output without its INFO and DEBUG lines (tracebacks kept), the end of it."""
    quiet = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (INFO|DEBUG) ")
    text = log.read_text(errors="replace") if log.exists() else ""
    kept = [line for line in text.splitlines() if not quiet.match(line)]
    return "\n".join(kept)[-8000:]


async def _bounded(work: Awaitable[None], seconds: float) -> None:
    await asyncio.wait_for(work, max(1.0, seconds))


# --- browsers ----------------------------------------------------------------------------------


async def log_in(http: aiohttp.ClientSession, portal_url: str) -> str:
    """Sign in through the login form, as a person does; the ``Cookie`` header that follows."""
    async with http.get(f"{portal_url}/login/") as response:
        page = await response.text()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if found is None:
        raise RuntimeError("no CSRF token on the login page")
    form = {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": found.group(1)}
    async with http.post(f"{portal_url}/login/", data=form, allow_redirects=False) as response:
        if response.status != 302:
            raise RuntimeError(f"login refused: {response.status}")
    cookies = http.cookie_jar.filter_cookies(URL(portal_url))
    if "sessionid" not in cookies:
        raise RuntimeError("no session cookie after logging in")
    return f"sessionid={cookies['sessionid'].value}"


async def open_board(
    session: aiohttp.ClientSession, url: str, origin: str, cookie: str
) -> aiohttp.ClientWebSocketResponse:
    """A browser's board socket: session cookie and Origin, then ``hello`` and the board."""
    ws = await session.ws_connect(
        url, headers={"Cookie": cookie}, origin=origin, heartbeat=None, max_msg_size=0
    )
    for expected in ("hello", "board"):
        first = await ws.receive(timeout=30)
        if first.type is not aiohttp.WSMsgType.TEXT or json.loads(first.data)["type"] != expected:
            raise RuntimeError(f"board socket: expected {expected!r}, got {first!r}")
    return ws


@dataclass
class Inbox:
    """One socket's raw messages since the last drain, stamped on arrival, parsed later.

    A message counts towards the phase when it holds one of ``marks``: a substring test, since
    Channels and the simulator both encode with json.dumps' default separators. No parsing on
    arrival, so a busy socket does not delay the stamps of the others.
    """

    marks: tuple[str, ...]
    messages: list[tuple[float, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    wanted: dict[str, int] = field(default_factory=dict)  # empty while not draining
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self, stamp: float, text: str) -> None:
        self.messages.append((stamp, text))
        for mark in self.marks:
            if mark in text:
                self.counts[mark] = self.counts.get(mark, 0) + 1
                self._check()
                return

    def expect(self, wanted: dict[str, int]) -> None:
        self.complete.clear()
        self.wanted = wanted
        self._check()

    def _check(self) -> None:
        if self.wanted and all(self.counts.get(m, 0) >= n for m, n in self.wanted.items()):
            self.complete.set()

    def take(self) -> list[tuple[float, str]]:
        taken, self.messages, self.counts, self.wanted = self.messages, [], {}, {}
        self.complete.clear()
        return taken


async def read_into(ws: aiohttp.ClientWebSocketResponse, inbox: Inbox) -> None:
    """Stamp first, keep the text; the parsing is done after the phase, off the clock."""
    while True:
        msg = await ws.receive()
        stamp = now()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            return
        inbox.arrived(stamp, msg.data)


def board_arrivals(messages: Sequence[tuple[float, str]]) -> list[Arrival]:
    arrivals = []
    for arrived, text in messages:
        payload = json.loads(text)
        kind = payload.get("type")
        if kind in BOARD_ORDER_TYPES:
            arrivals.append((arrived, str(payload["order"]["name"]), str(payload["change"])))
        elif kind == TODAY_TYPE:
            arrivals.append((arrived, *TODAY_KEY))
    return arrivals


def gateway_arrivals(messages: Sequence[tuple[float, str]]) -> list[Arrival]:
    arrivals = []
    for arrived, text in messages:
        payload = json.loads(text)
        change = CHANGE_OF_EVENT.get(payload.get("type", ""))
        if change is not None:
            arrivals.append((arrived, str(payload["name"]), change))
    return arrivals


async def wait_for_counts(inboxes: Sequence[Inbox], wanted: dict[str, int], seconds: float) -> None:
    """Until every inbox has the ``wanted`` count of each mark, or ``seconds`` have passed."""
    for box in inboxes:
        box.expect(wanted)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*(box.complete.wait() for box in inboxes)), seconds)


def fleet_main(conn: Connection, url: str, origin: str, cookie: str, count: int) -> None:
    """The browsers' process: ``count`` board sockets, drained on the parent's command."""
    asyncio.run(_fleet(conn, url, origin, cookie, count))


async def _fleet(conn: Connection, url: str, origin: str, cookie: str, count: int) -> None:
    limit = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> aiohttp.ClientWebSocketResponse:
        async with limit:
            return await open_board(session, url, origin, cookie)

    timeout = aiohttp.ClientTimeout(total=None, sock_connect=30)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout
    ) as session:
        try:
            sockets = await asyncio.gather(*(one() for _ in range(count)))
        except Exception as exc:
            conn.send(("error", repr(exc)))
            return
        inboxes = [Inbox((ORDER_MARK, TODAY_MARK)) for _ in sockets]
        readers = [
            asyncio.create_task(read_into(ws, box))
            for ws, box in zip(sockets, inboxes, strict=True)
        ]
        conn.send(("ready", len(sockets)))
        try:
            while True:
                command = await asyncio.to_thread(conn.recv)
                if command[0] != "drain":
                    break
                _, changes, clears, seconds = command
                await wait_for_counts(inboxes, {ORDER_MARK: changes}, seconds)
                wanted = {ORDER_MARK: changes, TODAY_MARK: clears}
                await wait_for_counts(inboxes, wanted, TODAY_GRACE_SECONDS)
                conn.send(("arrivals", [board_arrivals(box.take()) for box in inboxes]))
        finally:
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


class Fleet:
    """The browsers' process, seen from here: start, drain a phase's arrivals, stop."""

    def __init__(self, where: Endpoints, cookie: str, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=fleet_main,
            args=(child, where.board_ws, where.portal_url, cookie, count),
            name="bench-browsers",
            daemon=True,
        )
        self.count = count

    async def start(self) -> None:
        self.process.start()
        answer = await self._receive(90)
        if answer[0] != "ready":
            raise RuntimeError(f"browser sockets failed to open: {answer[1]}")

    async def drain(self, changes: int, clears: int, seconds: float) -> list[list[Arrival]]:
        self.conn.send(("drain", changes, clears, seconds))
        answer = await self._receive(seconds + TODAY_GRACE_SECONDS + 60)
        arrivals: list[list[Arrival]] = answer[1]
        return arrivals

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
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


@contextlib.asynccontextmanager
async def fleet(where: Endpoints, cookie: str, count: int) -> AsyncIterator[Fleet]:
    browsers = Fleet(where, cookie, count)
    try:
        await browsers.start()
        yield browsers
    finally:
        await asyncio.to_thread(browsers.stop)


# --- the direct client and the drivers ---------------------------------------------------------


@dataclass
class Direct:
    """The baseline: one client of the simulator's own WebSocket, in this process."""

    ws: aiohttp.ClientWebSocketResponse
    inbox: Inbox = field(default_factory=lambda: Inbox((GATEWAY_MARK,)))
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, where: Endpoints) -> Direct:
        ws = await http.ws_connect(where.sim_ws, heartbeat=None, max_msg_size=0)
        await ws.send_json({"accesstoken": where.token})
        snapshot = await ws.receive(timeout=10)
        if snapshot.type is not aiohttp.WSMsgType.TEXT or "ACTIVE_ORDERS" not in snapshot.data:
            raise RuntimeError(f"direct client: no snapshot after authenticating: {snapshot!r}")
        direct = cls(ws)
        direct.reader = asyncio.create_task(read_into(ws, direct.inbox))
        return direct

    async def drain(self, changes: int, seconds: float) -> list[Arrival]:
        await wait_for_counts([self.inbox], {GATEWAY_MARK: changes}, seconds)
        return gateway_arrivals(self.inbox.take())

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        await self.ws.close()


async def change(controls: SimulatorControls, name: str, step: int, sent: dict[Key, float]) -> None:
    """One hardware control; its key is stamped just before the request leaves."""
    action, _event, board_change = STEPS[step]
    sent[(name, board_change)] = now()
    await controls.tracker_step(name, action, table="7" if action == "locate" else None)


async def drive_paced(
    controls: SimulatorControls, names: Sequence[str], s: Settings
) -> dict[Key, float]:
    """Open loop at ``s.rate`` changes/s, whatever the answers' pace: a queue shows as latency.

    Trackers go in waves of ``s.wave``: all start, then all reach a table, then all are cleared,
    so the steps of one tracker are far apart; each step still waits for its tracker's last one.
    """
    sent: dict[Key, float] = {}
    schedule = [
        (name, step)
        for first in range(0, len(names), s.wave)
        for step in range(len(STEPS))
        for name in names[first : first + s.wave]
    ]
    previous: dict[str, asyncio.Task[None]] = {}

    async def after(before: asyncio.Task[None] | None, name: str, step: int) -> None:
        if before is not None:
            await before
        await change(controls, name, step, sent)

    start = time.monotonic()
    for index, (name, step) in enumerate(schedule):
        await asyncio.sleep(max(0.0, start + index / s.rate - time.monotonic()))
        previous[name] = asyncio.create_task(after(previous.get(name), name, step))
    await asyncio.gather(*previous.values())
    return sent


async def drive_burst(
    controls: SimulatorControls, names: Sequence[str], drivers: int
) -> dict[Key, float]:
    """Start, seat and clear each tracker in turn, ``drivers`` trackers at a time, flat out."""
    sent: dict[Key, float] = {}
    queue = iter(names)

    async def one_driver() -> None:
        for name in queue:  # a shared iterator: each name goes to exactly one driver
            for step in range(len(STEPS)):
                await change(controls, name, step, sent)

    await asyncio.gather(*(one_driver() for _ in range(drivers)))
    return sent


# --- the run -----------------------------------------------------------------------------------


async def warm_up(http: aiohttp.ClientSession, where: Endpoints, cookie: str) -> None:
    """One change all the way to a browser: the relay is following, the cookie is good."""
    ws = await open_board(http, where.board_ws, where.portal_url, cookie)
    controls = SimulatorControls(where.sim_url, session=http)
    try:
        for step in range(len(STEPS)):
            await change(controls, WARM_UP_NAME, step, {})
            wanted = (WARM_UP_NAME, STEPS[step][2])
            while True:
                msg = await ws.receive(timeout=30)  # the relay connects within its refresh
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"board socket closed during warm-up: {msg!r}")
                if any(
                    (name, kind) == wanted for _, name, kind in board_arrivals([(0.0, msg.data)])
                ):
                    break
    finally:
        await ws.close()


async def phase(
    label: str,
    browsers: Fleet,
    direct: Direct,
    where: Endpoints,
    drive: Awaitable[dict[Key, float]],
    changes: int,
    s: Settings,
) -> Phase:
    """Drive the changes, then collect both sides' arrivals and match them to the sends."""
    print(f"  {label}", file=sys.stderr)
    cpu_sim, cpu_portal = cpu_seconds(where.sim_pid), cpu_seconds(where.portal_pid)
    sent = await drive
    driven = now()
    direct_arrivals = await direct.drain(changes, s.phase_timeout)
    left = s.phase_timeout - (now() - driven)
    clears = changes // len(STEPS)
    browser_arrivals = await browsers.drain(changes, clears, max(1.0, left))
    portal = Side(changes * browsers.count, today_expected=clears * browsers.count)
    portal.cpu_seconds = cpu_seconds(where.portal_pid) - cpu_portal
    direct_side = Side(changes, cpu_seconds=cpu_seconds(where.sim_pid) - cpu_sim)
    result = Phase(label, changes, min(sent.values()), direct_side, portal)
    match(direct_arrivals, sent, result.direct)
    for arrivals in browser_arrivals:
        match(arrivals, sent, result.portal)
    return result


def names_for(start: int, changes: int) -> list[str]:
    return [str(start + i) for i in range(changes // len(STEPS))]


async def measure(where: Endpoints, s: Settings, report: Report) -> None:
    """Per browser count: a paced phase (latency) and a burst (throughput), both sides at once."""
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies of an IP address (127.0.0.1)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http:
        cookie = await log_in(http, where.portal_url)
        await warm_up(http, where, cookie)
        direct = await Direct.open(http, where)
        try:
            report.notes.append(await idle_load(where))
            first = FIRST_NAME
            for count in s.browsers:
                print(f"  {count} browser socket(s)", file=sys.stderr)
                async with fleet(where, cookie, count) as browsers:
                    first = await one_round(http, where, browsers, direct, first, s, report)
        finally:
            await direct.close()
    report.troubled = report.losses > 0


async def one_round(
    http: aiohttp.ClientSession,
    where: Endpoints,
    browsers: Fleet,
    direct: Direct,
    first: int,
    s: Settings,
    report: Report,
) -> int:
    """The paced phase, then the burst, on fresh order names; returns the next free name."""
    case = f"{browsers.count} browser{'s' if browsers.count > 1 else ''}"
    names = names_for(first, s.paced_events)
    label = f"{case}, paced {s.rate:g}/s x {s.paced_events}"
    controls = SimulatorControls(where.sim_url, session=http)
    drive = drive_paced(controls, names, s)
    paced = await phase(label, browsers, direct, where, drive, s.paced_events, s)
    report.rows.extend(rows_for(paced, throughput=False))
    note_losses(paced, report)
    first += len(names)
    names = names_for(first, s.burst_events)
    label = f"{case}, burst x {s.burst_events}"
    drive = drive_burst(controls, names, s.drivers)
    burst = await phase(label, browsers, direct, where, drive, s.burst_events, s)
    report.rows.extend(rows_for(burst, throughput=True))
    note_losses(burst, report)
    return first + len(names)


async def idle_load(where: Endpoints, seconds: float = 5.0) -> str:
    """What both servers burn with nothing happening (the portal's worker, beat, health)."""
    sim, portal = cpu_seconds(where.sim_pid), cpu_seconds(where.portal_pid)
    await asyncio.sleep(seconds)
    sim = (cpu_seconds(where.sim_pid) - sim) / seconds
    portal = (cpu_seconds(where.portal_pid) - portal) / seconds
    return f"idle CPU over {seconds:g} s: simulator {sim:.1%}, portal {portal:.1%} of a core"


def note_losses(result: Phase, report: Report) -> None:
    for name, side in (("direct", result.direct), ("portal", result.portal)):
        if side.lost or side.duplicates or side.today_lost:
            note = (
                f"{result.label}: {name} lost {side.lost} of {side.expected} deliveries"
                f", {side.duplicates} duplicates"
            )
            if side.today_expected:
                note += f", {side.today_lost} of {side.sockets} sockets without site.today"
            report.notes.append(note)
            report.losses += side.lost + side.duplicates + side.today_lost
            print(f"  ! {note}", file=sys.stderr)


def describe(s: Settings) -> str:
    return (
        f"browsers {','.join(map(str, s.browsers))}; paced: {s.paced_events} changes at "
        f"{s.rate:g}/s in waves of {s.wave}; burst: {s.burst_events} changes by {s.drivers} "
        f"drivers; python {sys.version.split()[0]}, aiohttp {aiohttp.__version__}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:2] == ["--scenario", "lunch"]:  # many gateways and boards: bench/livescale.py
        from bench import livescale

        return livescale.main(args[2:])
    settings = parse_settings(argv)
    report = Report()
    print(
        f"benchmarking the portal's relay against the gateway's WebSocket on {HOST}",
        file=sys.stderr,
    )
    status = 0
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-relay-") as tmp:
            run(settings, Path(tmp), report, started + settings.time_limit)
    except TimeoutError:
        print(f"! stopped at the time limit ({settings.time_limit:g} s)", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        status = 130
    print("; ".join([describe(settings), *report.notes]), flush=True)
    print(render(report.rows), flush=True)
    lost = any(row.metric.startswith("lost") and row.portal > 0 for row in report.rows)
    if lost:
        print("! events were lost on the way to the browsers (see the lost rows)", file=sys.stderr)
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return status or (2 if lost else 0)


if __name__ == "__main__":
    sys.exit(main())
