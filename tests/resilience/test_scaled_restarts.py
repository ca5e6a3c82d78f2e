"""The scaled deployment's servers restarted under it: Redis, then PostgreSQL.

Only private instances started here are restarted: a ``redis-server`` on a free port with no
persistence, and a PostgreSQL cluster made with ``initdb`` in a temporary directory, run as the
``postgres`` user on a free port. The machine's shared servers are never touched. Skipped with
the reason when the binaries are missing.

The portal runs as ``manage.py serve`` on them (scaled settings: PostgreSQL, the Redis channel
layer and broker); the test reads the portal's database directly, as its own process has the
single box's test database.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from tests.loopback import free_port
from tests.resilience import harness
from tests.resilience.harness import Board, Manager, Portal, Result, Simulator, record
from ttgateway.waiting import wait_until

pytestmark = pytest.mark.timeout(240)

CONVERGE = 30.0
REDIS = shutil.which("redis-server")
PG_BIN = next(
    (
        Path(p).parent
        for p in (shutil.which("initdb"), *sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb")))
        if p
    ),
    None,
)


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class PrivateRedis:
    def __init__(self, workdir: Path, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.workdir)]
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        wait_until(self._answers, what="private Redis starts", within=10)

    def _answers(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class PrivatePostgres:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="ttportal-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._tool("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _tool(self, name: str, *args: str) -> None:
        subprocess.run(  # noqa: S603 - PostgreSQL's own tools, on our temporary cluster
            _as_postgres([str(self.binaries / name), *args]),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self._tool(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), *args
        )

    def start(self) -> None:
        self._ctl("-w", "start")

    def restart(self) -> None:
        self._ctl("-w", "-m", "fast", "restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._ctl("-w", "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        import psycopg

        with psycopg.connect(self.url, connect_timeout=5) as conn:
            return list(conn.execute(sql, params).fetchall())


SETUP = """
import json
from django.test import Client
from gateways import services
from gateways.models import Gateway, Membership, Site
from django.contrib.auth.models import User
site = Site.objects.create(name="Riverside", time_zone="UTC")
alice = User.objects.create_user("alice", password="x")
Membership.objects.create(user=alice, site=site, role=Membership.Role.MANAGER)
gateway = Gateway.objects.create(site=site, name="Kitchen", host="127.0.0.1", port={port})
attempt = services.run_pairing(services.start_pairing(gateway, None).pk)
assert attempt.outcome == attempt.Outcome.PAIRED, attempt.message
gateway.refresh_from_db()
client = Client()
client.force_login(alice)
print(json.dumps({{"site": site.pk, "gateway": gateway.pk, "token": gateway.token_secret(),
                   "cookie": client.cookies["sessionid"].value}}))
"""


@dataclass
class Scaled:
    sim: Simulator
    redis: PrivateRedis
    postgres: PrivatePostgres
    portal: Portal
    gateway_id: int
    token: str
    manager: Manager

    def board(self) -> Board:
        rows = self.postgres.query(
            "SELECT name, state, location FROM orders_activeorder WHERE gateway_id = %s",
            self.gateway_id,
        )
        return {str(name): (str(state), str(location)) for name, state, location in rows}

    def history(self) -> list[str]:
        rows = self.postgres.query(
            "SELECT uuid FROM orders_orderrecord WHERE gateway_id = %s", self.gateway_id
        )
        return [str(row[0]) for row in rows]

    def statuses(self) -> list[str]:
        rows = self.postgres.query(
            "SELECT status FROM gateways_statuschange WHERE gateway_id = %s ORDER BY at, id",
            self.gateway_id,
        )
        return [str(row[0]) for row in rows]

    def converge(self, what: str) -> float:
        return harness.converge(self.sim, self.board, self.manager, CONVERGE, what)

    def history_settles(self, result: Result) -> float:
        return harness.history_settles(
            self.sim, self.token, self.history, result, within=CONVERGE, portal=self.portal
        )

    def rush(self, count: int) -> None:
        harness.rush(self.sim, count, first_table=20)


@pytest.fixture(scope="module")
def scaled() -> Iterator[Scaled]:
    """One scaled deployment for both restarts: making a cluster and migrating it is most of
    the time; each test starts by converging from whatever the other left."""
    if REDIS is None or PG_BIN is None:
        pytest.skip("needs redis-server and PostgreSQL's initdb/pg_ctl for private instances")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("PostgreSQL cannot run as root and runuser is missing")
    with harness.workdir() as workdir:
        sim = Simulator(workdir)
        redis = PrivateRedis(workdir, REDIS)
        postgres = PrivatePostgres(PG_BIN)
        portal: Portal | None = None
        relay: Portal | None = None
        try:
            redis.start()
            postgres.start()
            env = {
                "DATABASE_URL": postgres.url,
                "REDIS_URL": redis.url,
                "TTPORTAL_REDIS_PREFIX": "resilience-scaled",
                "TTPORTAL_TOKEN_KEYS": "resilience-scaled-test-key-0123456789abcdef",
            }
            # As in production: the relay is a process of its own, which serves no requests
            # (nothing else would replace its database connection after a restart).
            portal = Portal(workdir, "serve", "--no-relay", **env)
            relay = Portal(workdir, "relay", name="relay", **env)
            manage = [sys.executable, "manage.py"]
            child_env = {**portal.env}
            subprocess.run(  # noqa: S603 - our own interpreter and manage.py
                [*manage, "migrate", "--noinput"],
                cwd=settings.BASE_DIR,
                env=child_env,
                check=True,
                capture_output=True,
                timeout=180,
            )
            sim.controls.press_button()
            made = subprocess.run(  # noqa: S603
                [*manage, "shell", "-c", SETUP.format(port=sim.port)],
                cwd=settings.BASE_DIR,
                env=child_env,
                check=True,
                capture_output=True,
                timeout=60,
            )
            ids = json.loads(made.stdout.decode().strip().splitlines()[-1])
            portal.start()
            relay.start()
            pages = [f"/board/{ids['site']}/", f"/gateways/{ids['gateway']}/", "/history/"]
            manager = Manager(portal, f"sessionid={ids['cookie']}", pages)
            rig = Scaled(sim, redis, postgres, portal, ids["gateway"], ids["token"], manager)
            rig.rush(2)
            rig.converge("at start")
            yield rig
        finally:
            for process in (portal, relay):
                if process is not None:
                    process.stop()
            sim.stop()
            redis.stop()
            postgres.stop()


def finish(result: Result, rig: Scaled) -> None:
    result.requests, result.five_xx = rig.manager.requests, rig.manager.five_xx
    result.allowed_seconds = CONVERGE
    record(result)
    assert result.records_lost == 0
    assert result.records_doubled == 0
    assert result.five_xx == 0, rig.portal.logs()


def test_a_redis_restart_loses_nothing(scaled: Scaled) -> None:
    result = Result("Redis restart (scaled)", "private Redis stopped, orders made, started again")
    scaled.manager.requests = scaled.manager.five_xx = 0
    scaled.converge("before")
    scaled.rush(3)
    scaled.redis.stop()
    scaled.rush(3)
    scaled.manager.look()  # pages are served without Redis
    scaled.redis.start()
    result.converged(scaled.converge("after Redis came back"))
    scaled.rush(2)
    result.converged(scaled.converge("after Redis came back, new orders"))
    scaled.history_settles(result)

    result.manager_saw = "pages answered throughout; the board caught up by itself"
    finish(result, scaled)


def test_a_postgresql_restart_loses_nothing(scaled: Scaled) -> None:
    result = Result("PostgreSQL restart (scaled)", "private PostgreSQL restarted (fast shutdown)")
    scaled.manager.requests = scaled.manager.five_xx = 0
    scaled.converge("before")
    scaled.rush(3)
    scaled.postgres.restart()
    scaled.rush(3)
    result.converged(scaled.converge("after PostgreSQL came back"))
    scaled.history_settles(result)

    assert scaled.statuses()[-1:] == ["online"], "the gateway was shown gone"
    result.manager_saw = "pages answering again as soon as it was back; gateway still online"
    finish(result, scaled)
