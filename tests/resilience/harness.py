"""The fault suite's harness: the real portal process, a real simulator, the truth, the results.

The portal runs as ``manage.py serve`` (web, relay, Celery worker and beat in one process) in a
child process on the test database, as the end-to-end tests run it; the simulated gateway runs
on a thread of the test process, with a state file so it can be stopped and started again. What
the test checks is what the manager's board is made of (the ``ActiveOrder`` mirror), the
portal's history copy (``OrderRecord``) and its audit log, against the simulator's own state.

Each scenario's figures go to ``results.json`` (``TTPORTAL_RELIABILITY_RESULTS``, default
``var/reliability/results.json``); ``scripts/reliability`` runs the suite and prints the table.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client

from gateways.models import Gateway
from orders.models import ActiveOrder, OrderRecord
from tests.loopback import free_port
from tests.portal_fixtures import database_url, serving
from ttgateway.client.sync import SyncGatewayClient
from ttgateway.controls import SyncSimulatorControls
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator
from ttgateway.waiting import wait_until

RESULTS = Path(
    os.environ.get(
        "TTPORTAL_RELIABILITY_RESULTS", str(settings.BASE_DIR / "var/reliability/results.json")
    )
)


def soak_seconds() -> float:
    """``TTPORTAL_SOAK_MINUTES`` spread over the scenarios that repeat (0: one round each)."""
    return float(os.environ.get("TTPORTAL_SOAK_MINUTES", "0") or 0) * 60 / 4


def rounds() -> Iterator[int]:
    """One round, or as many as fit in the soak time."""
    deadline = time.monotonic() + soak_seconds()
    n = 0
    while n == 0 or time.monotonic() < deadline:
        yield n
        n += 1


# --- results ----------------------------------------------------------------------------------


@dataclass
class Result:
    """One scenario's figures, as the results table shows them."""

    scenario: str
    fault: str
    converged_seconds: float = 0.0
    allowed_seconds: float = 0.0
    records_lost: int = 0
    records_doubled: int = 0
    duplicate_commands: int = 0
    bad_inputs: int = 0
    requests: int = 0
    five_xx: int = 0
    manager_saw: str = ""
    rounds: int = 1

    def converged(self, seconds: float) -> None:
        self.converged_seconds = max(self.converged_seconds, round(seconds, 2))


def record(result: Result) -> None:
    """Kept by scenario name, so a rerun of one scenario replaces its line."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    rows[result.scenario] = {**asdict(result), "at": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    RESULTS.write_text(json.dumps(rows, indent=2, sort_keys=True))


# --- processes --------------------------------------------------------------------------------


class Portal:
    """``manage.py serve`` as a child process that can be killed and started again."""

    def __init__(self, workdir: Path, *args: str, name: str = "portal", **env: str) -> None:
        """``args`` after ``manage.py`` (default: ``serve``, web + relay + worker + beat);
        anything but ``serve`` is taken as ready once started."""
        self.args = args or ("serve",)
        self.name = name
        self.workdir = workdir
        self.port = 0  # chosen at the first start: a port chosen early may be taken meanwhile
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "TTPORTAL_DATA_DIR": str(workdir),
            "TTPORTAL_RELAY_REFRESH_SECONDS": "0.3",
            "TTPORTAL_HEALTH_SECONDS": "1",
            "TTPORTAL_PULL_EVERY_SECONDS": "1",
            "TTPORTAL_PULL_LEASE_SECONDS": "3",
            "TTPORTAL_DISCOVERY_INTERFACES": "127.0.0.1",
            "TTPORTAL_DISCOVERY_EVERY_SECONDS": "3600",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts it, on the same port as before when it is a restart."""
        self.port = self.port or free_port()
        self.starts += 1
        serving = self.args[0] == "serve"
        argv = [*self.args, "--port", str(self.port)] if serving else list(self.args)
        log = (self.workdir / f"{self.name}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *argv],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if serving:
            wait_until(self._serving, what=f"the {self.name} to start", within=30)

    def _serving(self) -> bool:
        assert self.process is not None
        try:
            return serving(f"{self.url}/healthz", self.process)
        except RuntimeError as exited:
            raise RuntimeError(f"{exited}: {self.logs()}") from None

    def kill(self) -> None:
        """SIGKILL: the relay, the worker and whatever task it ran die mid-step."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def logs(self) -> str:
        logs = sorted(self.workdir.glob("*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text()[-4000:]}" for p in logs)


class Simulator:
    """A simulated gateway on a thread, with a state file: it can restart where it was."""

    def __init__(self, workdir: Path, announce_as: str | None = None) -> None:
        self.state_file = workdir / "gateway.json"
        self._port = 0
        self.announce_as = announce_as
        self.running: ThreadedSimulator | None = None
        self.start()

    def start(self) -> None:
        config = SimulatorConfig(
            host="127.0.0.1", port=self._port, auth_timeout=1.0, state_file=self.state_file
        )
        if self.announce_as is not None:
            config.name, config.mdns, config.mdns_interfaces = self.announce_as, True, ["127.0.0.1"]
        self.running = ThreadedSimulator(config).__enter__()
        self._port = self.running.port  # a restart comes back on the same port

    def stop(self) -> None:
        if self.running is not None:
            self.running.__exit__(None, None, None)
            self.running = None

    @property
    def url(self) -> str:
        assert self.running is not None, "the simulator is stopped"
        return self.running.url

    @property
    def port(self) -> int:
        return self.running.port if self.running is not None else self._port

    @property
    def controls(self) -> SyncSimulatorControls:
        """Its hardware and fault controls (``/_sim/``), wherever it is now."""
        assert self.running is not None, "the simulator is stopped"
        return self.running.controls


# --- the truth and the portal's view of it ----------------------------------------------------

Board = dict[str, tuple[str, str]]


def truth(sim: Simulator) -> Board:
    """What the gateway holds: order name -> (state, table)."""
    active = sim.controls.state().active
    return {o["name"]: (o["state"], o.get("locationName") or "") for o in active}


def board(gateway: Gateway) -> Board:
    """What the manager's board is made of: the mirror."""
    rows = ActiveOrder.objects.filter(gateway=gateway).values_list("name", "state", "location")
    return {name: (state, location) for name, state, location in rows}


def gateway_history(sim: Simulator, token: str) -> list[str]:
    """Every finished order's uuid the gateway still keeps."""
    with SyncGatewayClient(sim.url, token) as client:
        return [order.uuid for order in client.iter_orders()]


def portal_history(gateway: Gateway) -> list[str]:
    return [
        str(u) for u in OrderRecord.objects.filter(gateway=gateway).values_list("uuid", flat=True)
    ]


def history_differences(expected: list[str], kept: list[str]) -> tuple[int, int]:
    """(records lost, records doubled): the gateway's uuids missing from the portal's copy, and
    uuids the copy holds more than once."""
    return len(set(expected) - set(kept)), len(kept) - len(set(kept))


def timed(check: Callable[[], object], *, what: str, within: float) -> float:
    """Seconds until ``check`` holds (the figure the results table shows); fails naming
    ``what`` when it never does."""
    started = time.monotonic()
    wait_until(check, what=what, within=within)
    return time.monotonic() - started


_names = itertools.count(101)


def next_name() -> str:
    """An order name no scenario of this run has used yet."""
    return str(next(_names))


def rush(sim: Simulator, count: int, first_table: int = 10) -> list[str]:
    """Orders coming and going as in a rush: started, some seated, some already cleared."""
    names = [next_name() for _ in range(count)]
    for n, name in enumerate(names):
        sim.controls.start_tracker(name)
        if n % 2:
            sim.controls.locate_tracker(name, table=first_table + n)
        if n % 3 == 2:
            sim.controls.clear_tracker(name)
    return names


def history_settles(
    sim: Simulator,
    token: str,
    kept: Callable[[], list[str]],
    result: Result,
    *,
    within: float,
    portal: Portal,
) -> float:
    """Seconds until the portal's copy (``kept``) holds every record the gateway keeps; the
    copy never holds one twice."""

    def complete() -> bool:
        lost, doubled = history_differences(gateway_history(sim, token), kept())
        result.records_lost, result.records_doubled = lost, doubled
        return lost == 0

    try:
        return timed(complete, what="the history copy completes", within=within)
    except AssertionError:
        raise AssertionError(
            f"{result.records_lost} records lost, {result.records_doubled} doubled\n{portal.logs()}"
        ) from None
    finally:
        assert result.records_doubled == 0


@dataclass
class Manager:
    """alice, looking at the portal's pages while things go wrong: counts every 5xx."""

    portal: Portal
    cookie: str
    pages: list[str] = field(default_factory=list)
    requests: int = 0
    five_xx: int = 0

    @classmethod
    def signed_in(cls, portal: Portal, user: Any, pages: list[str]) -> Manager:
        client = Client()
        client.force_login(user)
        return cls(portal, f"sessionid={client.cookies['sessionid'].value}", pages)

    def look(self) -> list[str]:
        """Every page once; the texts of those that answered."""
        texts = []
        for page in self.pages:
            request = urllib.request.Request(  # noqa: S310 - loopback
                f"{self.portal.url}{page}", headers={"Cookie": self.cookie}
            )
            self.requests += 1
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    texts.append(response.read().decode())
            except urllib.error.HTTPError as error:
                if error.code >= 500:
                    self.five_xx += 1
            except OSError:
                pass  # the portal is down on purpose (killed): not an answer
        return texts


def converge(
    sim: Simulator, board: Callable[[], Board], manager: Manager, seconds: float, what: str
) -> float:
    """Seconds until the board (as ``board`` reads it) equals the gateway, the manager looking
    every second."""
    last_look = 0.0

    def same() -> bool:
        nonlocal last_look
        if time.monotonic() - last_look > 1:
            last_look = time.monotonic()
            manager.look()
        return board() == truth(sim)

    try:
        return timed(same, what=f"{what}: the board converges", within=seconds)
    except AssertionError:
        raise AssertionError(
            f"{what}: board {board()} != gateway {truth(sim)}\n{manager.portal.logs()}"
        ) from None


def paired_gateway(sim: Simulator, site: Any, found: Gateway | None = None) -> tuple[Gateway, str]:
    """A gateway paired the way a manager does it (button, then the portal's pairing run):
    the one discovery ``found``, or one added by its address."""
    from gateways import services
    from tests.factories import GatewayFactory

    gateway = found or GatewayFactory.create(
        site=site, name="Kitchen", host="127.0.0.1", port=sim.port
    )
    sim.controls.press_button()
    attempt = services.run_pairing(services.start_pairing(gateway, None).pk)
    assert attempt.outcome == attempt.Outcome.PAIRED, attempt.message
    gateway.refresh_from_db()
    token = gateway.token_secret()
    assert token is not None
    return gateway, token


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ttportal-faults-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
