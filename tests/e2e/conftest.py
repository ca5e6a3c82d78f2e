"""End-to-end: the real single-box portal process, a real simulator, a real headless Chromium.

The portal runs as ``manage.py serve`` in a child process, on the test database (a file, see
settings), so what the test writes through the ORM the portal sees, and the other way round.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
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


@pytest.fixture(autouse=True)
def _fast(fast_gateway_settings: None) -> None:
    """Discovery on loopback, short discovery and pairing windows, for every test here."""


@pytest.fixture
def portal(transactional_db: None) -> Iterator[str]:
    """``manage.py serve`` (web + relay) on a free loopback port; yields its base URL."""
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="ttportal-e2e-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "TTPORTAL_DATA_DIR": data_dir,
        "TTPORTAL_RELAY_REFRESH_SECONDS": "0.3",
        "TTPORTAL_DISCOVERY_INTERFACES": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    log = Path(data_dir) / "portal.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "serve", "--port", str(port), "--no-beat"],
            cwd=settings.BASE_DIR,
            env=env,
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
        if os.environ.get("TTPORTAL_E2E_KEEP_LOG"):
            print(log.read_text())
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running on this thread, which Django takes for
    # an async context; the ORM calls of these tests are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    if CHROMIUM is None:
        pytest.fail(
            "Chromium is not installed: scripts/test installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    try:
        yield tab
    finally:
        context.close()
