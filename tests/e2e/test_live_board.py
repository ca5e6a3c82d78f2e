"""A manager watches the live board in a real browser while the gateway's hardware is used."""

from __future__ import annotations

import pytest

from tests.e2e.screenshots import screenshot
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page, portal: str, username: str) -> None:
    page.goto(f"{portal}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{portal}/")


def card(page, name: str):
    return page.locator(f'[data-order-card][data-order-name="{name}"]')


def test_the_board_follows_a_tracker_from_start_to_table_to_over_target_to_clear(
    page, portal, alice, paired_gateway, sim
):
    site = paired_gateway.site
    site.target_seconds = 3
    site.save()
    sign_in(page, portal, "alice")
    page.goto(f"{portal}/board/{site.pk}/")
    page.wait_for_selector('#board[data-ready="1"]')

    sim.controls.start_tracker("12")
    order = card(page, "12")
    order.wait_for()
    assert order.get_attribute("data-state") == "started"

    sim.controls.locate_tracker("12", "5")
    page.wait_for_selector('[data-order-card][data-order-name="12"][data-state="located"]')
    assert order.locator('[data-field="table"]').inner_text().strip().endswith("5")

    page.wait_for_selector(
        '[data-order-card][data-order-name="12"][data-timing="over"]', timeout=10_000
    )
    screenshot(page, "board-over-target")

    sim.controls.clear_tracker("12")
    order.wait_for(state="detached")


def test_a_manager_starts_and_clears_an_order_from_the_board(
    page, portal, alice, paired_gateway, sim
):
    sign_in(page, portal, "alice")
    page.goto(f"{portal}/board/{paired_gateway.site_id}/")
    page.wait_for_selector('#board[data-ready="1"]')

    start = page.locator(f'form[data-action="start"][data-gateway="{paired_gateway.pk}"]')
    start.locator('[name="name"]').fill("33")
    start.locator('[name="table"]').fill("7")
    start.locator('[type="submit"]').click()

    order = card(page, "33")
    order.wait_for()
    assert order.get_attribute("data-state") == "located"
    assert "33" in [o["name"] for o in sim.call(lambda: sim.state.snapshot()["items"])]
    screenshot(page, "board-started-from-portal")

    page.once("dialog", lambda dialog: dialog.accept())
    order.locator('form[data-action="clear"] [type="submit"]').click()
    order.wait_for(state="detached")
    assert sim.call(lambda: sim.state.snapshot()["count"]) == 0


def test_the_board_shows_when_the_gateway_goes_offline(page, portal, alice, paired_gateway, sim):
    sign_in(page, portal, "alice")
    page.goto(f"{portal}/board/{paired_gateway.site_id}/")
    page.wait_for_selector('#board[data-ready="1"]')

    sim.stop()

    page.wait_for_selector(f'[data-gateway-alert="{paired_gateway.pk}"][data-status="offline"]')
    screenshot(page, "board-gateway-offline")
