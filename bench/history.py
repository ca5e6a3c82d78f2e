"""How fast is the history pull into PostgreSQL, and how fast are the analytics queries?

``uv run python -m bench.history`` (``--quick`` for a smoke run; ``--help`` for the knobs).

Part 1, the pull: N simulated gateways (``python -m ttgateway.simulator``, each its own process,
clock frozen) are seeded through ``POST /_sim/history`` with about ``--orders`` finished orders
each, paired, and pulled into a scratch PostgreSQL database by ``orders.services.pull``, one
gateway after another as one worker would. The same pages are also fetched without being stored
(the same client, the same page walk), in the same run, interleaved, so the cost of storing can
be read off as a ratio. A re-run with nothing new measures the overlap re-read.

Part 2, analytics: a year of a busy site (``--per-day`` orders a day, default 500: about 180,000
records) is written straight into the table by one INSERT ... SELECT, then the analytics report,
the analytics and history pages and a 30-day CSV export are timed through Django.

PostgreSQL must be at 127.0.0.1:5432 (user postgres, trust auth): the script creates the
database ``ttportal_bench`` and drops it at the end, whatever happens. Only loopback is used;
simulators are terminated in a ``finally``; ``--time-limit`` bounds the whole run. Progress goes
to stderr, the Markdown table to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg

from bench.simulator import free_port, wait_http
from ttgateway.controls import SyncSimulatorControls

HOST = "127.0.0.1"  # loopback only, whatever the flags say
DB_NAME = "ttportal_bench"
SERVER_URL = f"postgresql://postgres@{HOST}:5432"
REPO = Path(__file__).resolve().parent.parent
BUSY_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class Settings:
    simulators: int
    orders: int  # per simulator, at least
    per_day: int  # orders a day of the busy site's year
    rounds: int  # interleaved fetch / pull rounds; the best of each is reported
    repeat: int  # timings of each analytics case; the best is reported
    time_limit: float


def parse_settings(argv: list[str] | None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="2 x 2,000 orders, 50 a day")
    parser.add_argument("--simulators", type=int, help="gateways (default 8)")
    parser.add_argument("--orders", type=int, help="orders per gateway (default 12,500)")
    parser.add_argument("--per-day", type=int, help="busy site's orders a day (default 500)")
    parser.add_argument("--rounds", type=int, default=2, help="fetch/pull rounds (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="analytics timings (default 3)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="abort after (s)")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    return Settings(
        simulators=args.simulators or (2 if quick else 8),
        orders=args.orders or (2000 if quick else 12_500),
        per_day=args.per_day or (50 if quick else 500),
        rounds=1 if quick else max(1, args.rounds),
        repeat=max(1, args.repeat),
        time_limit=args.time_limit,
    )


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --- the scratch database ----------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[None]:
    """Create ``ttportal_bench``, point Django at it, migrate; drop it afterwards, always."""
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB_NAME}")
    try:
        os.environ["DATABASE_URL"] = f"postgres://postgres@{HOST}:5432/{DB_NAME}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "ttportal.settings"
        os.environ.setdefault("TTPORTAL_LOG_LEVEL", "WARNING")
        os.environ["TTPORTAL_GATEWAY_NETWORKS"] = "127.0.0.0/8"  # its simulators are on loopback
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        yield
    finally:
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        say(f"dropped database {DB_NAME}")


# --- simulated gateways ------------------------------------------------------------------------


@contextlib.contextmanager
def simulators(count: int, logs: Path) -> Iterator[list[str]]:
    """``count`` simulator processes on loopback; their base URLs. Terminated afterwards."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(count):
            port = free_port()
            with (logs / f"sim-{n}.log").open("wb") as sink:
                argv = [sys.executable, "-m", "ttgateway.simulator", "--host", HOST]
                argv += ["--port", str(port), "--name", f"Bench {n}"]
                processes.append(
                    subprocess.Popen(argv, cwd=REPO, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
                )
            urls.append(f"http://{HOST}:{port}")
        for n, (url, process) in enumerate(zip(urls, processes, strict=True)):
            wait_http(f"{url}/api/v2", process, logs / f"sim-{n}.log")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def seed(url: str, orders: int, index: int) -> tuple[int, str]:
    """Freeze the clock, seed at least ``orders`` finished orders, take a token."""
    per_day = -(-orders // 13) + 1  # 13 whole days back, plus part of today
    with SyncSimulatorControls(url) as controls:
        controls.freeze_clock()
        held = controls.seed_history(days=13, orders_per_day=per_day, seed=index)
        return held.history_count, controls.issue_token("bench")


# --- part 1: the pull --------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    case: str
    orders: int  # orders read from the gateways
    pages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else float("nan")


def fetch_only(gateway_ids: list[int]) -> tuple[int, int, float]:
    """Walk every gateway's pages as the pull does, storing nothing."""
    from gateways.models import Gateway
    from orders.services.pull import pages_from
    from ttgateway.client import SyncGatewayClient

    fetched = pages = 0
    started = time.perf_counter()
    for gateway in Gateway.objects.filter(pk__in=gateway_ids):
        with SyncGatewayClient(gateway.base_url, gateway.token_secret()) as client:
            client.active_orders()  # the pull asks this first too
            for items, _ in pages_from(client, None, max_pages=100_000):
                fetched += len(items)
                pages += 1
    return fetched, pages, time.perf_counter() - started


def pull_all(gateway_ids: list[int]) -> tuple[int, int, float]:
    """Pull every gateway in turn, as one worker would; orders written, pages read, seconds."""
    from orders.services import pull

    written = pages = 0
    started = time.perf_counter()
    for gateway_id in gateway_ids:
        result = pull.pull_gateway(gateway_id, max_pages=100_000)
        if result.outcome != pull.Outcome.DONE:
            raise RuntimeError(f"pull of gateway {gateway_id}: {result}")
        written += result.written
        pages += result.pages
    return written, pages, time.perf_counter() - started


def empty_history() -> None:
    from orders.models import OrderRecord, PullCheckpoint

    OrderRecord.objects.all().delete()
    PullCheckpoint.objects.all().delete()


def bench_pull(settings: Settings, urls: list[str]) -> list[Timing]:
    from gateways.models import AccessToken, Gateway, Site
    from orders.models import OrderRecord

    site = Site.objects.create(name="Bench chain", time_zone=BUSY_ZONE)
    held = 0
    gateway_ids = []
    for index, url in enumerate(urls):
        count, token = seed(url, settings.orders, index + 1)
        held += count
        port = int(url.rsplit(":", 1)[1])
        gateway = Gateway.objects.create(
            site=site, name=f"Bench {index}", host=HOST, port=port, status=Gateway.Status.ONLINE
        )
        AccessToken.issue(gateway, "bench", token)
        gateway_ids.append(gateway.pk)
    say(f"{len(urls)} gateways hold {held:,} finished orders")

    fetches: list[float] = []
    pulls: list[float] = []
    pages = 0
    for round_ in range(settings.rounds):
        fetched, pages, seconds = fetch_only(gateway_ids)
        assert fetched == held, f"fetched {fetched} of {held}"
        fetches.append(seconds)
        say(f"round {round_ + 1}: fetch only {seconds:.2f} s ({fetched / seconds:,.0f} orders/s)")
        empty_history()
        written, _, seconds = pull_all(gateway_ids)
        assert written == held == OrderRecord.objects.filter(confirmed=True).count()
        pulls.append(seconds)
        say(f"round {round_ + 1}: pull {seconds:.2f} s ({written / seconds:,.0f} orders/s)")
    written, again_pages, again = pull_all(gateway_ids)
    assert written == 0
    assert OrderRecord.objects.count() == held
    say(f"re-run with nothing new: {again:.2f} s, {again_pages} pages")
    return [
        Timing(f"fetch {len(urls)} gateways' pages, store nothing", held, pages, min(fetches)),
        Timing(f"pull {len(urls)} gateways into PostgreSQL", held, pages, min(pulls)),
        Timing(
            f"pull again: overlap re-read, nothing new ({len(urls)} gateways)",
            0,
            again_pages,
            again,
        ),
    ]


# --- part 2: analytics over a year -------------------------------------------------------------

YEAR_SQL = """
INSERT INTO orders_orderrecord
    (uuid, gateway_id, site_id, name, order_type, location, started, located, cleared,
     delivery_seconds, time_to_sit_seconds, paged, cleared_by, seen_live, confirmed, updated)
SELECT gen_random_uuid(), %(gateway)s, %(site)s, (1 + floor(random() * 60))::int::text,
       CASE WHEN to_go THEN 'TO_GO' ELSE 'ON_PREMISES' END,
       CASE WHEN sit IS NULL THEN '' ELSE (1 + floor(random() * 40))::int::text END,
       started, started + make_interval(secs => sit), started + make_interval(secs => delivery),
       delivery, sit, false, 'tracker', false, true, now()
FROM (
    SELECT started, to_go, delivery,
           CASE WHEN random() < CASE WHEN to_go THEN 0.3 ELSE 0.95 END
                THEN least(20 + floor(random() * 120)::int, delivery) END AS sit
    FROM (
        SELECT %(first)s::timestamptz + (n / %(per_day)s) * interval '1 day'
               + make_interval(secs => CASE WHEN random() < 0.45 THEN 41400 + random() * 7200
                                            WHEN random() < 0.75 THEN 64800 + random() * 9000
                                            ELSE 36000 + random() * 43200 END) AS started,
               random() < 0.2 AS to_go,
               (150 + floor(random() * random() * 1200))::int AS delivery
        FROM generate_series(0, %(count)s - 1) AS n
    ) AS raw
) AS o
"""


def write_year(per_day: int) -> tuple[Any, int]:
    """A busy site's year, yesterday back: lunch and dinner rushes, eat in and to go."""
    from zoneinfo import ZoneInfo

    from django.db import connection

    from gateways.models import Gateway, Site

    site = Site.objects.create(name="Busy bistro", time_zone=BUSY_ZONE, target_seconds=300)
    gateway = Gateway.objects.create(site=site, name="Bistro", host=HOST, port=1)  # unpaired
    today = datetime.now(ZoneInfo(BUSY_ZONE)).replace(hour=0, minute=0, second=0, microsecond=0)
    count = 365 * per_day
    params: dict[str, Any] = {
        "gateway": gateway.pk,
        "site": site.pk,
        "first": today - timedelta(days=365),
        "per_day": per_day,
        "count": count,
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(YEAR_SQL, params)
        cursor.execute("ANALYZE orders_orderrecord")
    say(f"wrote {count:,} records of a year in {time.perf_counter() - started:.1f} s")
    return site, count


def best_of(repeat: int, run: Callable[[], int]) -> tuple[float, float, int, int]:
    """First (cold) and best seconds of ``repeat`` runs, with the queries and items of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds = []
    queries = items = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            items = run()
            seconds.append(time.perf_counter() - started)
        queries = len(captured)
    return seconds[0], min(seconds), queries, items


def bench_analytics(settings: Settings) -> list[tuple[str, int, float, float, int]]:
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from orders.models import OrderRecord
    from orders.services import analytics
    from orders.services.periods import PRESETS, custom

    site, count = write_year(settings.per_day)
    last = timezone.now().astimezone(site.tz).date() - timedelta(days=1)
    year = custom(last - timedelta(days=364), last)
    records = OrderRecord.objects.filter(site=site)
    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.create_superuser("bench", password="bench-only-password"))
    year_query = {"period": "custom", "start": str(year.dates(last)[0]), "end": str(last)}
    month_query = {
        "period": "custom",
        "start": str(last - timedelta(days=29)),
        "end": str(last),
    }

    def report(period: Any) -> Callable[[], int]:
        def run() -> int:
            return analytics.report(records, [site], period, timezone.now()).total.orders

        return run

    def page(path: str, query: dict[str, str]) -> Callable[[], int]:
        def run() -> int:
            response = client.get(path, query)
            assert response.status_code == 200, response.status_code
            return len(response.content)

        return run

    def export() -> int:
        response = client.get("/history/export.csv", {**month_query, "site": str(site.pk)})
        lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)  # type: ignore[attr-defined]
        return int(lines) - 1

    cases: list[tuple[str, Callable[[], int]]] = [
        ("analytics report, last 7 days", report(PRESETS["7d"])),
        ("analytics report, last 30 days", report(PRESETS["30d"])),
        ("analytics report, a whole year", report(year)),
        ("GET /analytics/<site>/, a whole year", page(f"/analytics/{site.pk}/", year_query)),
        ("GET /analytics/ (all sites), a whole year", page("/analytics/", year_query)),
        ("GET /history/, a whole year, first page", page("/history/", year_query)),
        ("CSV export, 30 days, streamed", export),
    ]
    results = []
    for name, run in cases:
        cold, best, queries, items = best_of(settings.repeat, run)
        say(f"{name}: cold {cold * 1000:.0f} ms, best {best * 1000:.0f} ms, {queries} queries")
        results.append((name, items, cold, best, queries))
    say(f"the year holds {count:,} records")
    return results


# --- the table ---------------------------------------------------------------------------------


def render(pull: list[Timing], analytics: list[tuple[str, int, float, float, int]]) -> str:
    lines = [
        "| pull case | orders | pages | seconds | orders/s | vs fetch only |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    fetch = pull[0].rate
    for t in pull:
        rate, ratio = (f"{t.rate:,.0f}", f"{t.rate / fetch:.2f}") if t.orders else ("-", "-")
        lines.append(
            f"| {t.case} | {t.orders:,} | {t.pages:,} | {t.seconds:.2f} | {rate} | {ratio} |"
        )
    lines += [
        "",
        "| analytics case | rows / bytes | cold ms | best ms | queries |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, items, cold, best, queries in analytics:
        lines.append(f"| {name} | {items:,} | {cold * 1000:.0f} | {best * 1000:.0f} | {queries} |")
    return "\n".join(lines)


def _time_out(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("bench.history ran past --time-limit")


def main(argv: list[str] | None = None) -> int:
    settings = parse_settings(argv)
    # Nothing is collected for a benchmark; WhiteNoise serves from the apps.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    signal.signal(signal.SIGALRM, _time_out)
    signal.alarm(int(settings.time_limit))
    started = time.perf_counter()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-history-") as logs,
            scratch_database(),
        ):
            with simulators(settings.simulators, Path(logs)) as urls:
                pull = bench_pull(settings, urls)
            analytics = bench_analytics(settings)
    finally:
        signal.alarm(0)
    print(render(pull, analytics))
    say(f"whole run: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
