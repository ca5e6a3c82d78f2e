"""What the browser tests share: where Chromium is, how it is started, and the portal process.

A module, not the conftest: tests import from here, and a conftest is pytest's to load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.loopback import free_port
from tests.portal_fixtures import database_url, serving
from ttgateway.waiting import wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# The flags this workplace's machines need: no sandbox as root, and no background traffic
# (the machine has no network beyond loopback).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def portal_process(
    serve_args: Sequence[str], *, show_log: Callable[[], bool] | None = None, **env: str
) -> Iterator[str]:
    """``manage.py serve`` on the test database and a free loopback port; yields its base URL.

    Stopped when the block ends, so that a test's tables are never emptied under a portal that
    is still writing (PostgreSQL's TRUNCATE deadlocked with one). Its log is printed afterwards
    when ``show_log()`` says so (the test failed: a CI failure then carries the portal's side),
    or always with ``TTPORTAL_E2E_KEEP_LOG=1``.
    """
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="ttportal-e2e-")
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TTPORTAL_DATA_DIR": data_dir,
        "TTPORTAL_RELAY_REFRESH_SECONDS": "0.3",
        "TTPORTAL_DISCOVERY_INTERFACES": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    log = Path(data_dir) / "portal.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "serve", "--port", str(port), *serve_args],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: serving(f"{url}/healthz", process), within=30)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if os.environ.get("TTPORTAL_E2E_KEEP_LOG") or (show_log is not None and show_log()):
            print(f"--- portal log ({url}) ---")
            print(log.read_text(errors="replace"))
        shutil.rmtree(data_dir, ignore_errors=True)


# Each phase's report of a test (setup, call, teardown), kept for its fixtures to read
# (tests/e2e/conftest.py records them).
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


def failed(item: pytest.Item) -> bool:
    """Whether the test has failed so far: its fixtures then print what they saw."""
    return any(report.failed for report in item.stash.get(REPORTS, {}).values())


def watch(page: Any) -> list[str]:
    """What the page's scripts said went wrong (uncaught errors, console errors), as it
    happens: a page that never becomes ready otherwise fails with a timeout and nothing else."""
    seen: list[str] = []
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            seen.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning")
            else None
        ),
    )
    return seen


def show(item: pytest.Item, what: str, lines: list[str]) -> None:
    if lines and failed(item):
        print(f"--- {what} ---", *lines, sep="\n")
