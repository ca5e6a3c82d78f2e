"""A manager's day, point by point (issue 13): the real portal process, simulators, Chromium.

Each test brings its own portal process, data and simulators; the database is emptied between
tests, after the portal has stopped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from gateways.models import Gateway, PairingAttempt
from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, failed, portal_process, show, watch
from tests.factories import PASSWORD, GatewayFactory
from tests.loopback import free_port
from tests.orders.factories import OrderRecordFactory
from tests.portal_fixtures import pair
from ttgateway.simulator.server import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator
from ttgateway.simulator.traffic import DemoTraffic
from ttgateway.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SERVE = ["--no-beat", "--no-discovery", "-v", "2"]
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def day_portal(request: pytest.FixtureRequest, transactional_db: None) -> Iterator[str]:
    """The portal, with no mDNS (another demo on this machine must not add its gateway to our
    sites), one per test."""
    with portal_process(
        SERVE, show_log=lambda: failed(request.node), TTPORTAL_PAIRING_POLL_SECONDS="0.3"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop on this thread; the tests' ORM calls are sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: scripts/test installs it")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


def open_tab(chromium: Any, viewport: dict[str, int] | None = None) -> Any:
    context = chromium.new_context(viewport=viewport or {"width": 1366, "height": 768})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    return tab


@pytest.fixture
def tab(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    page = open_tab(chromium)
    errors = watch(page)
    try:
        yield page
    finally:
        page.context.close()
        show(request.node, "the page's script errors", errors)


@pytest.fixture
def phone(request: pytest.FixtureRequest, chromium: Any) -> Iterator[Any]:
    page = open_tab(chromium, PHONE)
    errors = watch(page)
    try:
        yield page
    finally:
        page.context.close()
        show(request.node, "the page's script errors", errors)


def sign_in(page: Any, portal: str, username: str = "alice") -> None:
    page.goto(f"{portal}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal}/")


def open_board(page: Any, portal: str, site_id: int) -> None:
    page.goto(f"{portal}/board/{site_id}/")
    page.wait_for_selector('#board[data-ready="1"]')


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate(NO_SIDEWAYS_SCROLL))


def card(page: Any, name: str) -> Any:
    return page.locator(f'[data-order-card][data-order-name="{name}"]')


def toast(page: Any) -> str:
    page.wait_for_selector("#board-toast:not([hidden])")
    return str(page.inner_text("#board-toast"))


# 1 ------------------------------------------------------------------------------------------


def test_1_a_huge_order_number_is_explained_next_to_its_field_and_never_widens_the_board(
    tab, day_portal, alice, paired_gateway
):
    sign_in(tab, day_portal)
    open_board(tab, day_portal, paired_gateway.site_id)
    start = tab.locator(f'form[data-action="start"][data-gateway="{paired_gateway.pk}"]')
    assert start.locator('[name="name"]').get_attribute("maxlength") == "9"

    # A paste or a script gets past maxlength: the portal must still answer in words.
    start.evaluate(
        "form => form.querySelectorAll('input').forEach(i => i.removeAttribute('maxlength'))"
    )
    start.locator('[name="name"]').fill("9" * 10_000)
    start.locator('[name="table"]').fill("9" * 30)
    start.locator('[type="submit"]').click()

    error = start.locator('[data-field-error="name"]')
    error.wait_for()
    assert error.inner_text() == "An order number is a whole number above 0 with at most 9 digits."
    assert "500" not in toast(tab)
    assert no_sideways_scroll(tab)

    # "Set table" on a card: the same rule, the same words, under the card's own field.
    start.locator('[name="name"]').fill("5")
    start.locator('[name="table"]').fill("")
    start.locator('[type="submit"]').click()
    locate = card(tab, "5").locator('form[data-action="locate"]')
    locate.locator('[name="table"]').evaluate("i => i.removeAttribute('maxlength')")
    locate.locator('[name="table"]').fill("9" * 10_000)
    locate.locator('[type="submit"]').click()
    said = locate.locator('[data-field-error="table"]')
    said.wait_for()
    assert said.inner_text() == "A table is a whole number above 0 with at most 9 digits."
    assert no_sideways_scroll(tab)


# 2 ------------------------------------------------------------------------------------------


def test_2_the_demo_opens_a_lunch_rush_with_cards_within_near_and_over_the_target(
    tab, day_portal, alice, paired_gateway, sim
):
    sign_in(tab, day_portal)
    open_board(tab, day_portal, paired_gateway.site_id)

    sim.call(lambda: DemoTraffic(sim.state, seed=3).step())

    for timing in ("on_time", "near", "over"):
        tab.wait_for_selector(f'[data-order-card][data-timing="{timing}"]')

    # The figures are counted on the board's next tick, after the cards appear: wait for it.
    def figure(name: str) -> int:
        text = tab.inner_text(f'[data-figure="{name}"]')
        return int(text) if text.isdigit() else -1  # a dash until the first count

    wait_until(lambda: figure("over_target") > 0 and figure("active") >= 2)
    over, active = figure("over_target"), figure("active")
    assert over < active / 2, "a few over, not every card"


# 3 ------------------------------------------------------------------------------------------


def test_3_paging_an_order_without_a_tracker_says_what_to_do_instead(
    tab, day_portal, alice, paired_gateway
):
    sign_in(tab, day_portal)
    open_board(tab, day_portal, paired_gateway.site_id)
    start = tab.locator(f'form[data-action="start"][data-gateway="{paired_gateway.pk}"]')
    start.locator('[name="name"]').fill("41")
    start.locator('[type="submit"]').click()
    assert "cannot be paged" in toast(tab)

    order = card(tab, "41")
    order.wait_for()
    order.locator('form[data-action="page"] [type="submit"]').click()

    tab.wait_for_selector('#board-toast[data-ok="0"]')
    said = toast(tab)
    assert "has no tracker to page" in said
    assert "Take the food to its table" in said
    assert "Paging impossible" not in said
    order.locator('form[data-action="page"]').wait_for(state="hidden")


# 4 ------------------------------------------------------------------------------------------


def test_4_with_two_gateways_of_one_name_each_card_and_badge_says_which(
    tab, day_portal, alice, paired_gateway, sim
):
    with ThreadedSimulator(SimulatorConfig(host="127.0.0.1", port=0)) as second_sim:
        second = GatewayFactory.create(
            site=paired_gateway.site, name="Kitchen", host="127.0.0.1", port=second_sim.port
        )
        assert pair(second, second_sim).outcome == PairingAttempt.Outcome.PAIRED
        sign_in(tab, day_portal)
        open_board(tab, day_portal, paired_gateway.site_id)

        sim.controls.start_tracker(5)
        second_sim.controls.start_tracker(6)

        first_label = f"Kitchen (at 127.0.0.1:{sim.port})"
        second_label = f"Kitchen (at 127.0.0.1:{second_sim.port})"
        card(tab, "5").wait_for()
        card(tab, "6").wait_for()
        assert card(tab, "5").locator('[data-field="gateway"]').inner_text() == f"on {first_label}"
        assert card(tab, "6").locator('[data-field="gateway"]').inner_text() == f"on {second_label}"
        heads = tab.locator("[data-board-gateway]").all_inner_texts()
        assert any(first_label in h for h in heads)
        assert any(second_label in h for h in heads)


# 5 ------------------------------------------------------------------------------------------


def test_5_bad_history_filters_are_shown_next_to_each_field_also_from_the_csv_link(
    tab, day_portal, alice, site
):
    sign_in(tab, day_portal)
    bad = "?period=custom&start=2026-02-10&end=2026-01-01&table=four"

    for url in (f"{day_portal}/history/{bad}", f"{day_portal}/history/export.csv{bad}"):
        tab.goto(url)
        assert tab.inner_text('[data-field-error="end"]') == "The first date comes after the last."
        assert tab.inner_text('[data-field-error="table"]').startswith("A table is a whole number")
        assert "__all__" not in tab.content()


# 6 ------------------------------------------------------------------------------------------


def test_6_adding_a_gateway_explains_a_huge_or_silent_address_in_plain_words(
    tab, day_portal, alice, site
):
    sign_in(tab, day_portal)
    tab.goto(f"{day_portal}/gateways/")
    form = tab.locator("#add-gateway")
    assert form.locator('[name="host"]').get_attribute("maxlength") == "253"

    form.evaluate("f => f.querySelector('[name=host]').removeAttribute('maxlength')")
    form.locator('[name="host"]').fill("a" * 10_000)
    form.locator('[type="submit"]').click()
    error = tab.locator('[data-field-error="host"]')
    assert error.inner_text().startswith("Type the gateway's IP address")
    assert "aaaaaaaaaa" not in error.inner_text()
    assert no_sideways_scroll(tab)

    silent = free_port()
    form = tab.locator("#add-gateway")
    form.locator('[name="host"]').fill("127.0.0.1")
    form.locator('[name="port"]').fill(str(silent))
    form.locator('[type="submit"]').click()
    said = tab.inner_text('[data-field-error="host"]')
    assert said.startswith("No Table Tracker gateway answered at this address.")
    assert "Connect call failed" not in said
    assert "ssl:" not in said


# 7 ------------------------------------------------------------------------------------------


def test_7_a_gateways_page_follows_its_pairing_without_a_reload(tab, day_portal, alice, site, sim):
    sign_in(tab, day_portal)
    tab.goto(f"{day_portal}/gateways/")
    form = tab.locator("#add-gateway")
    form.locator('[name="host"]').fill("127.0.0.1")
    form.locator('[name="port"]').fill(str(sim.port))
    form.locator('[type="submit"]').click()
    tab.wait_for_selector("#pairing")
    gateway = Gateway.objects.get(port=sim.port)
    facts = tab.inner_text("#gateway-facts")
    assert "never" not in facts, "the portal has just read its model and firmware"
    assert "none" in tab.inner_text("#gateway-facts")

    tab.click("#pairing button[type=submit]")
    # The button is pressed only once the page waits, so what follows can only come live.
    tab.wait_for_selector('#pairing-status[data-outcome="waiting"]')
    sim.controls.press_button()
    tab.wait_for_selector('#pairing-status[data-outcome="paired"]')

    # A selector, not wait_for_function: that evaluates a string, which the pages' CSP forbids.
    tab.wait_for_selector("#gateway-facts:has-text('held since')")
    assert "pair again" in tab.inner_text("#pairing button")
    assert "Paired — Paired" not in tab.inner_text("#pairing")
    assert "No change recorded yet" not in tab.inner_text("#gateway-changes")
    assert gateway.tokens.exists()


# 8 ------------------------------------------------------------------------------------------


def test_8_at_phone_width_every_menu_item_is_reachable_and_no_page_scrolls_sideways(
    phone, day_portal, alice, paired_gateway, sim
):
    alice.is_staff = True
    alice.save()
    OrderRecordFactory(gateway=paired_gateway)
    sim.controls.start_tracker(123456789)
    phone.goto(f"{day_portal}/login/")
    assert no_sideways_scroll(phone)
    sign_in(phone, day_portal)
    site, gateway = paired_gateway.site_id, paired_gateway.pk
    pages = [
        "/", "/board/", f"/board/{site}/", "/history/", "/analytics/", f"/analytics/{site}/",
        "/gateways/", f"/gateways/{gateway}/", f"/board/gateways/{gateway}/clear-all",
    ]  # fmt: skip

    for path in pages:
        phone.goto(day_portal + path)
        phone.wait_for_load_state("networkidle")
        assert no_sideways_scroll(phone), path
        for item in phone.locator("header nav a, header nav button").all():
            box = item.bounding_box()
            assert item.is_visible(), path
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= PHONE["width"], (path, item.inner_text())

    phone.click("header nav button:has-text('Sign out')")
    phone.wait_for_selector("header nav a:has-text('Sign in')")


# 9 ------------------------------------------------------------------------------------------


def test_9_gateway_badges_are_on_every_page_and_go_offline_live(
    tab, day_portal, alice, paired_gateway, sim
):
    sign_in(tab, day_portal)
    badge = f'[data-header-gateways] [data-gateway-badge="{paired_gateway.pk}"]'
    for path in ("/", "/history/", "/analytics/", "/board/", "/gateways/"):
        tab.goto(day_portal + path)
        assert tab.inner_text(badge) == "Online", path

    tab.goto(f"{day_portal}/history/")
    tab.wait_for_selector('body[data-live="open"]')  # the badge can only go offline live
    sim.stop()

    tab.wait_for_selector(f"{badge}.status-offline")


# 10 -----------------------------------------------------------------------------------------


def test_10_every_page_has_a_favicon(tab, day_portal, alice):
    sign_in(tab, day_portal)
    icon = tab.get_attribute('link[rel="icon"]', "href")
    assert tab.request.get(day_portal + icon).ok
    assert tab.request.get(f"{day_portal}/favicon.ico").ok


# 11 -----------------------------------------------------------------------------------------


def back_on_the_list(page: Any, changelist: str) -> None:
    """The admin's answer: the list of active orders with a message on top."""
    page.wait_for_selector("ul.messagelist")
    assert page.url == changelist


def test_11_the_admin_starts_locates_and_deletes_orders_through_the_gateway(
    tab, day_portal, alice, paired_gateway, sim
):
    alice.is_staff = True
    alice.save()
    alice.user_permissions.set(Permission.objects.filter(content_type__app_label="orders"))
    sign_in(tab, day_portal)
    admin = f"{day_portal}/admin/orders/activeorder/"

    tab.goto(admin + "add/")
    tab.select_option("#id_gateway", str(paired_gateway.pk))
    tab.fill("#id_name", "21")
    tab.select_option("#id_order_type", "ON_PREMISES")
    tab.fill("#id_location", "3")
    tab.click("input[name=_save]")
    back_on_the_list(tab, admin)
    assert sim.call(lambda: sim.state.find_active("21").location) == "3"

    order_link = "#result_list th a:text-is('21')"
    tab.click(order_link)
    tab.fill("#id_location", "8")
    tab.click("input[name=_save]")
    back_on_the_list(tab, admin)
    assert sim.call(lambda: sim.state.find_active("21").location) == "8"

    tab.click(order_link)
    tab.click("a.deletelink")
    tab.wait_for_selector("text=Are you sure")
    tab.click("#content form input[type=submit]")
    back_on_the_list(tab, admin)
    assert sim.call(lambda: sim.state.snapshot()["count"]) == 0


# 12 -----------------------------------------------------------------------------------------


def test_12_the_pages_speak_a_managers_language(tab, day_portal, alice, paired_gateway):
    Gateway.objects.filter(pk=paired_gateway.pk).update(
        service_name="Demo Gateway-2._tracker-http._tcp.local."
    )
    OrderRecordFactory(gateway=paired_gateway, confirmed=False)
    sign_in(tab, day_portal)

    open_board(tab, day_portal, paired_gateway.site_id)
    assert tab.inner_text("[data-target-display]") == "5:00"

    tab.goto(f"{day_portal}/history/")
    table = tab.inner_text("table.history")
    assert "Not yet confirmed" in table
    assert "live only" not in table

    tab.goto(f"{day_portal}/gateways/{paired_gateway.pk}/")
    facts = tab.inner_text("#gateway-facts")
    assert "on the network, as “Demo Gateway-2”" in facts
    assert "_tracker-http" not in facts
