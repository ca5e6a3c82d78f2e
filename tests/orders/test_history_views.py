"""The history list and its CSV export: who sees what, the filters, pages, time zones, streaming.

alice manages Riverside, bob only views Riverside, charlie manages Hilltop.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from tests.factories import GatewayFactory
from tests.orders.factories import OrderRecordFactory

pytestmark = pytest.mark.django_db

# A fixed week in January, asked for as a custom period so the tests never meet midnight.
WEEK = {"period": "custom", "start": "2026-01-09", "end": "2026-01-15"}
EVENING = datetime(2026, 1, 14, 22, 30, tzinfo=UTC)  # 23:30 in Paris


@pytest.fixture
def kitchen(site):
    return GatewayFactory.create(site=site, name="Kitchen")


@pytest.fixture
def bar(other_site):
    return GatewayFactory.create(site=other_site, name="Hilltop bar")


def record(gateway, started: datetime, **fields):
    record = OrderRecordFactory.build(gateway=gateway, site=gateway.site, started=started, **fields)
    record.cleared = record.cleared or started + timedelta(seconds=240)
    record.derive()
    record.save()
    return record


def rows(response) -> list[str]:
    return [line for line in response.content.decode().splitlines() if "data-record=" in line]


def streamed_csv(response) -> list[dict[str, str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_a_visitor_is_sent_to_sign_in(client):
    for url in ("/history/", "/history/export.csv", "/analytics/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_history_and_analytics_are_in_the_navigation(client, bob):
    client.force_login(bob)

    page = client.get("/").content.decode()

    assert 'href="/history/"' in page
    assert 'href="/analytics/"' in page


def test_bob_sees_the_orders_of_his_site_only(client, bob, kitchen, bar):
    mine = record(kitchen, EVENING, name="12")
    record(bar, EVENING, name="99")
    client.force_login(bob)

    response = client.get("/history/", WEEK)

    assert response.status_code == 200
    assert len(rows(response)) == 1
    assert f'data-record="{mine.uuid}"' in rows(response)[0]


def test_charlie_cannot_see_riverside_history_even_by_asking_for_it(
    client, charlie, kitchen, bar, site
):
    record(kitchen, EVENING)
    theirs = record(bar, EVENING)
    client.force_login(charlie)

    everything = client.get("/history/", WEEK)
    riverside = client.get("/history/", {**WEEK, "site": site.pk})

    assert [f'data-record="{theirs.uuid}"' in row for row in rows(everything)] == [True]
    assert rows(riverside) == []
    assert "data-filter-errors" in riverside.content.decode()


def test_times_are_shown_in_the_sites_time_zone(client, bob, kitchen):
    record(kitchen, EVENING)
    client.force_login(bob)

    page = client.get("/history/", WEEK).content.decode()

    assert "Wed 14 Jan 2026 23:30:00" in page


def test_the_period_is_read_in_the_sites_calendar(client, bob, kitchen):
    record(kitchen, datetime(2026, 1, 15, 23, 30, tzinfo=UTC))  # the 16th in Paris
    record(kitchen, datetime(2026, 1, 8, 23, 30, tzinfo=UTC))  # the 9th in Paris
    client.force_login(bob)

    response = client.get("/history/", WEEK)

    assert len(rows(response)) == 1


def test_the_filters_narrow_by_type_table_and_order_number(client, bob, kitchen):
    record(kitchen, EVENING, name="12", order_type="TO_GO")
    record(kitchen, EVENING, name="12", location="4")
    record(kitchen, EVENING, name="13", location="4")
    client.force_login(bob)

    assert len(rows(client.get("/history/", {**WEEK, "order_type": "TO_GO"}))) == 1
    assert len(rows(client.get("/history/", {**WEEK, "table": "4"}))) == 2
    assert len(rows(client.get("/history/", {**WEEK, "table": "04", "number": "13"}))) == 1
    assert len(rows(client.get("/history/", {**WEEK, "number": "12"}))) == 2


def test_a_bad_filter_is_explained_not_a_crash(client, bob, kitchen):
    client.force_login(bob)

    response = client.get("/history/", {"period": "custom", "start": "2026-01-15"})
    letters = client.get("/history/", {**WEEK, "table": "four"})

    assert response.status_code == 200
    assert "Give both dates" in response.content.decode()
    assert "A table is a whole number above 0" in letters.content.decode()


def test_the_default_period_is_the_last_seven_days(client, bob, kitchen):
    record(kitchen, timezone.now() - timedelta(days=2))
    record(kitchen, timezone.now() - timedelta(days=9))
    client.force_login(bob)

    assert len(rows(client.get("/history/"))) == 1
    assert len(rows(client.get("/history/", {"period": "30d"}))) == 2


def test_the_list_is_paginated_newest_first_keeping_the_filters(client, bob, kitchen):
    made = [record(kitchen, EVENING - timedelta(minutes=n), location="4") for n in range(120)]
    client.force_login(bob)

    first = client.get("/history/", {**WEEK, "table": "4"})
    last = client.get("/history/", {**WEEK, "table": "4", "page": 3})

    assert len(rows(first)) == 50
    assert len(rows(last)) == 20
    assert f'data-record="{made[0].uuid}"' in rows(first)[0]
    assert f'data-record="{made[-1].uuid}"' in rows(last)[-1]
    assert "table=4&amp;page=2" in first.content.decode()
    assert "120 orders, page 1 of 3" in first.content.decode()


def test_the_csv_export_streams_the_filtered_orders(client, bob, kitchen):
    wanted = record(
        kitchen, EVENING, name="12", location="4", located=EVENING + timedelta(seconds=30)
    )
    record(kitchen, EVENING, name="13", location="5")
    client.force_login(bob)

    response = client.get("/history/export.csv", {**WEEK, "table": "4"})

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    lines = streamed_csv(response)
    assert len(lines) == 1
    assert lines[0]["uuid"] == str(wanted.uuid)
    assert lines[0]["site"] == "Riverside"
    assert lines[0]["started"] == "2026-01-14T23:30:00+01:00"
    assert lines[0]["located"] == "2026-01-14T23:30:30+01:00"
    assert lines[0]["delivery_seconds"] == "240"
    assert lines[0]["time_to_sit_seconds"] == "30"


def test_the_csv_export_is_scoped_to_the_persons_sites(client, charlie, kitchen, bar, site):
    record(kitchen, EVENING)
    theirs = record(bar, EVENING)
    client.force_login(charlie)

    everything = streamed_csv(client.get("/history/export.csv", WEEK))
    riverside = client.get("/history/export.csv", {**WEEK, "site": site.pk})

    assert [line["uuid"] for line in everything] == [str(theirs.uuid)]
    assert riverside.status_code == 400


def test_the_csv_rows_are_read_as_the_response_is_sent_not_before(client, bob, kitchen):
    for n in range(5):
        record(kitchen, EVENING - timedelta(minutes=n))
    client.force_login(bob)
    response = client.get("/history/export.csv", WEEK)
    record(kitchen, EVENING + timedelta(minutes=1))  # after the view returned

    lines = streamed_csv(response)

    assert len(lines) == 6


def test_a_name_that_a_spreadsheet_would_run_is_defused(client, bob, site):
    gateway = GatewayFactory.create(site=site, name="=HYPERLINK(1)")
    record(gateway, EVENING)
    client.force_login(bob)

    lines = streamed_csv(client.get("/history/export.csv", WEEK))

    assert lines[0]["gateway"] == "'=HYPERLINK(1)"
