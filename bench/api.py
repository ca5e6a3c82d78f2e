"""Order create/delete through the POS API against the same straight at the simulator.

``uv run python -m bench.api`` (``--mode single|scaled|both``, ``--quick``, ``--help``).

Each mode runs the portal as it is deployed: the single box is ``manage.py serve`` (Daphne, the
relay, the embedded worker and beat) on a scratch SQLite directory; scaled is two Daphne web
processes and a ``manage.py relay`` on a scratch PostgreSQL database and Redis (the load
generator spreads its connections over the two web processes, as a load balancer would). Both
talk to one ``python -m ttgateway.simulator`` process, paired the way a manager pairs it.

The load: ``c`` workers, each on its own keep-alive connection, start an order and clear it, in
a loop, with names of their own. Through the API that is ``POST /api/v1/gateways/{id}/orders/``
then ``DELETE .../orders/{number}/`` with a real ``ttp_`` key; straight at the simulator it is
``POST /api/v2/activeorders`` then ``DELETE /api/v2/activeorders/{name}`` with a gateway token.
Both sides run in the same run, interleaved (direct, API, direct, API...), and each keeps its
best round: a noisy neighbour can only slow a round down. The API's rate limits are lifted for
the run (they are what is being measured around, not what is measured). Traffic goes to
127.0.0.1 only; every child process is stopped and the scratch data removed, even on error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.relay import direct_token, migrate, portal_environment
from bench.simulator import (
    cpu_seconds,
    free_port,
    number_cell,
    percentile,
    server_process,
    wait_http,
)
from ttgateway.controls import SyncSimulatorControls

HOST = "127.0.0.1"  # loopback only
PG_SERVER = f"postgres://postgres@{HOST}:5432"
REDIS = f"redis://{HOST}:6379/0"
DB_NAME = f"ttportal_bench_api_{os.getpid()}"
NAMES_PER_WORKER = 500
Request = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


@dataclass(frozen=True)
class Settings:
    mode: str
    concurrency: int
    duration: float
    warm_up: float
    repeat: int


def parse_settings(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--mode", choices=["single", "scaled", "both"], default="both")
    parser.add_argument("--concurrency", "-c", type=int, default=4, help="workers (default 4)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per round")
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--repeat", type=int, default=2, help="rounds per side (best kept)")
    parser.add_argument("--quick", action="store_true", help="one 4 s round per side")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warm_up, args.repeat = 4.0, 1.0, 1
    return Settings(args.mode, args.concurrency, args.duration, args.warm_up, args.repeat)


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class Side:
    """One round of one side: requests completed in the window, their latencies, failures."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    window: float = 0.0
    cpu: float = float("nan")  # portal CPU seconds over the window (API side only)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.window if self.window else float("nan")

    def p_ms(self, fraction: float) -> float:
        return 1000 * percentile(self.latencies, fraction)

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu / len(self.latencies) if self.latencies else float("nan")


def expect(response: aiohttp.ClientResponse, *statuses: int) -> None:
    if response.status not in statuses:
        raise RuntimeError(f"{response.method} {response.url.path}: HTTP {response.status}")


def direct_requests(sim_url: str, token: str) -> tuple[Request, Request]:
    headers = {"Authorization": f"Bearer {token}"}

    async def start(http: aiohttp.ClientSession, name: str) -> None:
        body = {"name": name, "orderType": "TO_GO"}
        async with http.post(f"{sim_url}/api/v2/activeorders", json=body, headers=headers) as r:
            expect(r, 201)
            await r.read()

    async def clear(http: aiohttp.ClientSession, name: str) -> None:
        async with http.delete(f"{sim_url}/api/v2/activeorders/{name}", headers=headers) as r:
            expect(r, 200)
            await r.read()

    return start, clear


def api_requests(portal_url: str, gateway: int, key: str) -> tuple[Request, Request]:
    headers = {"Authorization": f"Bearer {key}"}
    orders = f"/api/v1/gateways/{gateway}/orders/"

    async def start(http: aiohttp.ClientSession, name: str) -> None:
        body = {"number": name, "type": "to_go"}
        async with http.post(f"{portal_url}{orders}", json=body, headers=headers) as r:
            expect(r, 201)
            await r.read()

    async def clear(http: aiohttp.ClientSession, name: str) -> None:
        async with http.delete(f"{portal_url}{orders}{name}/", headers=headers) as r:
            expect(r, 200)
            await r.read()

    return start, clear


def floor_requests(portal_url: str, gateway: int, key: str) -> tuple[Request, Request]:
    """The cheapest API request there is: read one gateway (key, scope, one row, a problem-free
    answer). What any command pays before its own work: the ceiling of the API's throughput."""
    headers = {"Authorization": f"Bearer {key}"}

    async def read(http: aiohttp.ClientSession, name: str) -> None:
        async with http.get(f"{portal_url}/api/v1/gateways/{gateway}/", headers=headers) as r:
            expect(r, 200)
            await r.read()

    return read, read


async def one_round(
    side: Side,
    bases: Sequence[str],
    steps: tuple[Request, Request],
    s: Settings,
    first_name: int,
    cpu_pids: Sequence[int],
) -> Side:
    """``c`` workers start and clear orders until the window closes; latencies in the window."""
    begin = time.monotonic() + s.warm_up
    end = begin + s.duration
    cpu_at_begin: list[float] = []

    async def worker(index: int) -> None:
        base = bases[index % len(bases)]
        connector = aiohttp.TCPConnector(limit=1)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as http:
            n = 0
            while time.monotonic() < end:
                name = str(first_name + index * NAMES_PER_WORKER + n % NAMES_PER_WORKER)
                n += 1
                for step in steps:
                    sent = time.monotonic()
                    try:
                        await step(http, name)
                    except (aiohttp.ClientError, RuntimeError, TimeoutError):
                        side.errors += sent >= begin
                        continue
                    done = time.monotonic()
                    if begin <= sent and done <= end:
                        side.latencies.append(done - sent)

    async def cpu_mark() -> None:
        await asyncio.sleep(max(0.0, begin - time.monotonic()))
        cpu_at_begin.append(sum(cpu_seconds(pid) for pid in cpu_pids))

    await asyncio.gather(cpu_mark(), *(worker(i) for i in range(s.concurrency)))
    side.window = s.duration
    if cpu_pids and cpu_at_begin:
        side.cpu = sum(cpu_seconds(pid) for pid in cpu_pids) - cpu_at_begin[0]
    return side


SETTLE_LIMIT = 120.0  # seconds to wait for the portal to go quiet between the sides


async def settled(pids: Sequence[int], quiet: float = 0.1) -> None:
    """Until the portal is idle (under ``quiet`` of a core for two seconds running).

    The portal's relay hears every order the direct side starts and clears on the simulator
    (several thousand a round) and writes them to its mirror: left to catch up during the API
    round, that work was charged to the API's requests (its CPU per request, and its SQLite
    write lock).
    """
    deadline = time.monotonic() + SETTLE_LIMIT
    calm = 0
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids)
        await asyncio.sleep(0.5)
        calm = calm + 1 if sum(cpu_seconds(pid) for pid in pids) - before < quiet * 0.5 else 0
        if calm == 4:  # a lull of half a second can be the relay between two batches
            return
    say(f"the portal was still busy {SETTLE_LIMIT:.0f} s after the direct round")


# --- the portal: scratch data, pairing, a key, the server processes ----------------------------


@contextlib.contextmanager
def scratch_postgres() -> Iterator[None]:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        yield
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def environment(mode: str, work: Path) -> None:
    portal_environment(work / "data")
    if mode == "scaled":
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DB_NAME}"
        os.environ["REDIS_URL"] = REDIS
        os.environ["TTPORTAL_REDIS_PREFIX"] = f"bench-api-{os.getpid()}"
    # The limits are lifted: the bench measures the API's cost, not its rate limits.
    os.environ["TTPORTAL_API_READ_RATE"] = "100000000/min"
    os.environ["TTPORTAL_API_WRITE_RATE"] = "100000000/min"


def set_up_portal(sim_url: str, sim_port: int) -> tuple[int, str]:
    """A site, its gateway paired (button, then pair), and a write key: (gateway id, key)."""
    import django

    django.setup()
    from django.db import connections

    from gateways import services
    from gateways.models import ApiKey, Gateway, PairingAttempt, Site

    logging.getLogger("kombu").setLevel(logging.ERROR)  # the pairing task's queue is unserved
    try:
        site = Site.objects.create(name="Bench", time_zone="UTC", discovery_enabled=False)
        gateway = Gateway.objects.create(site=site, name="Bench gateway", host=HOST, port=sim_port)
        with SyncSimulatorControls(sim_url) as controls:
            controls.press_button()
        attempt = services.run_pairing(services.start_pairing(gateway, None).pk)
        if attempt.outcome != PairingAttempt.Outcome.PAIRED:
            raise RuntimeError(f"pairing failed: {attempt.outcome} {attempt.message}")
        _, secret = ApiKey.objects.issue("Bench", [site])
        return gateway.pk, secret
    finally:
        connections.close_all()


def portal_argvs(mode: str, ports: Sequence[int]) -> list[list[str]]:
    if mode == "single":
        return [
            [sys.executable, "manage.py", "serve", "--host", HOST, "--port", str(ports[0]),
             "--no-discovery"],
        ]  # fmt: skip
    daphnes = [
        [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "ttportal.asgi:application"]
        for port in ports
    ]
    return [*daphnes, [sys.executable, "manage.py", "relay"]]


def run_mode(s: Settings, work: Path) -> list[tuple[Side, Side, Side]]:
    environment(s.mode, work)
    sim_port = free_port()
    ports = [free_port() for _ in range(1 if s.mode == "single" else 2)]
    sim_url = f"http://{HOST}:{sim_port}"
    sim_argv = [
        sys.executable,
        "-m",
        "ttgateway.simulator",
        "--host",
        HOST,
        "--port",
        str(sim_port),
    ]
    with contextlib.ExitStack() as stack:
        if s.mode == "scaled":
            stack.enter_context(scratch_postgres())
        sim = stack.enter_context(server_process(sim_argv, work / "simulator.log"))
        wait_http(f"{sim_url}/_sim/state", sim, work / "simulator.log")
        say(f"[{s.mode}] migrate, pair, issue a key")
        migrate(work / "migrate.log")
        gateway, key = set_up_portal(sim_url, sim_port)
        token = direct_token(sim_url)
        portals = [
            stack.enter_context(server_process(argv, work / f"portal-{n}.log"))
            for n, argv in enumerate(portal_argvs(s.mode, ports))
        ]
        for port, process in zip(ports, portals, strict=False):
            wait_http(f"http://{HOST}:{port}/healthz", process, work / "portal-0.log")
        return asyncio.run(
            measure(s, sim_url, ports, gateway, key, token, [p.pid for p in portals])
        )


async def measure(
    s: Settings,
    sim_url: str,
    ports: Sequence[int],
    gateway: int,
    key: str,
    token: str,
    portal_pids: Sequence[int],
) -> list[tuple[Side, Side, Side]]:
    rounds = []
    portal_urls = [f"http://{HOST}:{port}" for port in ports]
    for n in range(s.repeat):
        say(f"[{s.mode}] round {n + 1}/{s.repeat}: direct, API, API floor (c={s.concurrency})")
        direct = await one_round(
            Side("direct"), [sim_url], direct_requests("", token), s, 100_000 + n * 10_000, []
        )
        await settled(portal_pids)
        api = await one_round(
            Side("API"),
            portal_urls,
            api_requests("", gateway, key),
            s,
            500_000 + n * 10_000,
            portal_pids,
        )
        await settled(portal_pids)
        floor = await one_round(
            Side("API floor: GET a gateway"),
            portal_urls,
            floor_requests("", gateway, key),
            s,
            0,
            portal_pids,
        )
        rounds.append((direct, api, floor))
    return rounds


# --- the table -----------------------------------------------------------------------------------


def best(sides: Sequence[Side]) -> Side:
    return max(sides, key=lambda side: side.per_second)


def render(mode: str, s: Settings, rounds: Sequence[tuple[Side, Side, Side]]) -> str:
    direct = best([d for d, _, _ in rounds])
    api = best([a for _, a, _ in rounds])
    floor = best([f for _, _, f in rounds])
    lines = []
    for side in (direct, api, floor):
        lines.append(
            f"| {mode} | {side.name} | {s.concurrency} | {number_cell(side.per_second)} | "
            f"{number_cell(side.p_ms(0.5))} | {number_cell(side.p_ms(0.99))} | "
            f"{number_cell(side.cpu_ms_per_request)} | {side.errors} |"
        )
    throughput = api.per_second / direct.per_second
    p99 = api.p_ms(0.99) / direct.p_ms(0.99)
    verdict = (
        f"{'met' if throughput >= 0.5 else 'NOT met'} (≥ 0.50) / "
        f"{'met' if p99 <= 2 else 'NOT met'} (≤ 2)"
    )
    lines.append(
        f"| {mode} | **API ÷ direct** | | **{throughput:.2f}** | "
        f"{api.p_ms(0.5) / direct.p_ms(0.5):.2f} | **{p99:.2f}** | | {verdict} |"
    )
    lines.append(
        f"| {mode} | API floor ÷ direct | | {floor.per_second / direct.per_second:.2f} | "
        f"{floor.p_ms(0.5) / direct.p_ms(0.5):.2f} | "
        f"{floor.p_ms(0.99) / direct.p_ms(0.99):.2f} | | |"
    )
    return "\n".join(lines)


HEADER = (
    "| mode | path | c | req/s | p50 ms | p99 ms | portal CPU ms/req | errors |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"
)


def main(argv: Sequence[str] | None = None) -> None:
    s = parse_settings(argv)
    if s.mode == "both":
        rows = []
        for mode in ("single", "scaled"):
            args = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "both"]
            args = [a for a in args if a != "--mode"]
            done = subprocess.run(  # noqa: S603 - this interpreter, this module, our own flags
                [sys.executable, "-m", "bench.api", *args, "--mode", mode, "--rows-only"],
                capture_output=True,
                text=True,
                check=False,
            )
            sys.stderr.write(done.stderr)
            if done.returncode:
                raise SystemExit(f"{mode} failed ({done.returncode})")
            rows.append(done.stdout.strip())
        print(HEADER, *rows, sep="\n")
        return
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        table = render(s.mode, s, run_mode(s, Path(tmp)))
    print(table if ROWS_ONLY else f"{HEADER}\n{table}")


ROWS_ONLY = "--rows-only" in sys.argv
if ROWS_ONLY:
    sys.argv.remove("--rows-only")

if __name__ == "__main__":
    main()
