"""End-to-end: the real single-box portal process, a real simulator, a real headless Chromium.

The portal runs as ``manage.py serve`` in a child process, on the test database (a file, see
settings), so what the test writes through the ORM the portal sees, and the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, REPORTS, failed, portal_process, show, watch


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture(autouse=True)
def _fast(fast_gateway_settings: None) -> None:
    """Discovery on loopback, short discovery and pairing windows, for every test here."""


@pytest.fixture
def portal(request: pytest.FixtureRequest, transactional_db: None) -> Iterator[str]:
    """``manage.py serve`` (web + relay) on a free loopback port; yields its base URL."""
    with portal_process(["--no-beat"], show_log=lambda: failed(request.node)) as url:
        yield url


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
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors = watch(tab)
    try:
        yield tab
    finally:
        context.close()
        show(request.node, "the page's script errors", errors)
