"""Every form and query parameter of the pages, fed arbitrary strings and numbers: never a 500.

The board's actions go to a real simulator; the add-gateway form is fed only addresses that
cannot leave this machine (invalid ones, or loopback), so no fuzzed value is ever dialled on a
network. Django's test client raises a view's exception, so a crash fails the test as a 500 would.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateways.services.discovery import HOSTNAME_RE

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What people (and scripts) type: anything, numbers of every size, dates at the calendar's ends.
anything = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.integers(min_value=10**8, max_value=10**40).map(str),
    st.just("9" * 10_000),
    st.sampled_from(
        ["", " ", "0", "07", "-1", "1e9", "custom", "today", "9999-12-31", "0001-01-01",
         "2026-02-30", "ON_PREMISES", "TO_GO", "yes", "\x00", "<script>", "../"]
    ),
)  # fmt: skip


def fields(*names: str) -> st.SearchStrategy[dict[str, str]]:
    return st.dictionaries(st.sampled_from(names), anything, max_size=len(names))


PERIOD = ("period", "start", "end")
HISTORY = (*PERIOD, "site", "order_type", "table", "number", "page")


def never_dialled(host: str) -> bool:
    """True when the add-gateway form would refuse the host or it is on this machine."""
    cleaned = host.strip().removeprefix("http://").rstrip("/")
    try:
        return ipaddress.ip_address(cleaned.strip("[]")).is_loopback
    except ValueError:
        return not HOSTNAME_RE.match(cleaned)


def no_crash(response: Any) -> None:
    assert response.status_code < 500, response.content[:500]


@pytest.fixture
def manager(client, alice):
    alice.is_staff = True
    alice.save()
    alice.user_permissions.set(Permission.objects.filter(content_type__app_label="orders"))
    client.force_login(alice)
    return client


@FUZZ
@given(query=fields(*HISTORY))
def test_history_and_its_export_answer_any_filter(manager, paired_gateway, query):
    no_crash(manager.get("/history/", query))
    no_crash(manager.get("/history/export.csv", query))


@FUZZ
@given(query=fields(*PERIOD))
def test_analytics_answers_any_period(manager, paired_gateway, query):
    no_crash(manager.get("/analytics/", query))
    no_crash(manager.get(f"/analytics/{paired_gateway.site_id}/", query))


@FUZZ
@given(
    action=st.sampled_from(["start", "locate", "type", "page", "clear", "clear-all"]),
    data=fields("name", "order_type", "table", "next", "confirm"),
    json=st.booleans(),
)
def test_the_boards_actions_answer_any_input(manager, paired_gateway, action, data, json):
    headers = {"Accept": "application/json"} if json else {}
    url = f"/board/gateways/{paired_gateway.pk}/{action}"
    no_crash(manager.post(url, data, headers=headers))


@FUZZ
@given(query=fields("wall", "next", "site"))
def test_the_board_and_gateway_pages_answer_any_query(manager, paired_gateway, query):
    no_crash(manager.get("/board/", query))
    no_crash(manager.get(f"/board/{paired_gateway.site_id}/", query))
    no_crash(manager.get("/gateways/", query))
    no_crash(manager.get(f"/gateways/{paired_gateway.pk}/", query))


@FUZZ
@given(
    site=anything,
    host=st.one_of(anything, st.sampled_from(["127.0.0.1", "[::1]", "x" * 10_000])).filter(
        never_dialled
    ),
    port=anything,
)
def test_adding_a_gateway_answers_any_address(manager, site, host, port):
    no_crash(manager.post("/gateways/add", {"site": site, "host": host, "port": port}))


@settings(FUZZ, max_examples=5)
@given(data=fields("next", "confirm", "site"))
def test_pairing_and_looking_for_gateways_answer_any_input(manager, gateway, data):
    no_crash(manager.post(f"/gateways/{gateway.pk}/pair", data))
    no_crash(manager.post(f"/gateways/sites/{gateway.site_id}/discover", data))


@FUZZ
@given(data=fields("username", "password", "next"))
def test_signing_in_answers_any_input(client, db, data):
    no_crash(client.post("/login/", data))
    no_crash(client.get("/login/", {"next": data.get("next", "")}))


@FUZZ
@given(data=fields("gateway", "name", "order_type", "location"))
def test_the_admins_active_order_forms_answer_any_input(manager, paired_gateway, data):
    no_crash(manager.post("/admin/orders/activeorder/add/", data))


@pytest.mark.parametrize("url", ["/history/", "/history/export.csv", "/analytics/"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_at_the_ends_of_the_calendar_is_explained_not_a_crash(manager, url, day):
    response = manager.get(url, {"period": "custom", "start": day, "end": day})

    assert response.status_code in (200, 400)
    assert "Pick a date between 01 Jan 2000 and 31 Dec 2099." in response.content.decode()


def test_a_nul_character_typed_on_the_board_is_refused_and_still_audited(manager, paired_gateway):
    from orders.models import AuditEntry

    response = manager.post(
        f"/board/gateways/{paired_gateway.pk}/start",
        {"name": "12\x00", "order_type": "\x00", "table": "4\x00"},
        headers={"Accept": "application/json"},
    )

    assert response.status_code == 400
    assert AuditEntry.objects.get().details == {"order_type": "", "table": "4"}


@FUZZ
@given(data=fields("location", "name", "gateway"))
def test_the_admins_set_table_form_answers_any_input(manager, paired_gateway, as_alice, data):
    from orders.models import ActiveOrder
    from orders.services.commands import start_order

    if not ActiveOrder.objects.filter(name="12").exists():
        start_order(paired_gateway, as_alice, "12", "ON_PREMISES")
    order = ActiveOrder.objects.get(name="12")
    no_crash(manager.post(f"/admin/orders/activeorder/{order.pk}/change/", data))
