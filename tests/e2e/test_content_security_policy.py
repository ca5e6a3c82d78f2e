"""In a real browser, with the Content-Security-Policy on, nothing the portal needs is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_live_board import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PAGES = ["/", "/history/", "/analytics/", "/gateways/", "/admin/", "/admin/gateways/site/add/"]


def refusals(page: Any) -> list[str]:
    """Every CSP violation the browser reports on this tab, as it happens."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return seen


def test_every_page_works_under_the_policy_with_nothing_refused(
    page, portal, django_user_model, paired_gateway
):
    django_user_model.objects.create_superuser("root", "", PASSWORD)
    refused = refusals(page)
    sign_in(page, portal, "root")

    page.goto(f"{portal}/board/{paired_gateway.site_id}/")
    page.wait_for_selector('#board[data-ready="1"][data-connected="1"]')
    for path in PAGES:
        page.goto(f"{portal}{path}")
        page.wait_for_load_state("load")

    assert refused == []
