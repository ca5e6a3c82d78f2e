"""Analytics figures against values worked out by hand on a small, fixed set of orders.

Riverside is in Paris (UTC+1 in January), target 5:00. "Now" is Thursday 15 January 2026,
13:00 in Paris. Orders near midnight land on the Paris day they were started, not the UTC one:
B (00:30 on the 15th in Paris) is still the 14th in UTC, and so is I (00:30 on the 9th).

| order | started (Paris)  | delivery | to sit | type  | table |
| ----- | ---------------- | -------- | ------ | ----- | ----- |
| I     | Fri 9 Jan 00:30  | 100      | 20     | eat in| 4     |
| E     | Tue 13 Jan 19:05 | 250      | 40     | eat in| 10    |
| A     | Wed 14 Jan 23:30 | 200      | 60     | eat in| 4     |
| B     | Thu 15 Jan 00:30 | 400      | -      | to go | -     |
| F     | Thu 15 Jan 08:00 | (not cleared)     | to go | -     |
| C     | Thu 15 Jan 12:10 | 300      | 30     | eat in| 12    |
| D     | Thu 15 Jan 12:40 | 500      | 90     | eat in| 4     |
| G     | Mon 5 Jan 13:00  | 600      | 120    | eat in| 3     |  (the 7 days before)
| H     | Thu 8 Jan 23:59  | 200      | -      | to go | -     |  (the 7 days before)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateways.models import Site
from orders.models import OrderRecord
from orders.services import analytics
from orders.services.periods import PRESETS, custom
from tests.factories import GatewayFactory
from tests.orders.factories import OrderRecordFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
WEEK = PRESETS["7d"]
TODAY = PRESETS["today"]


def order(gateway, local: str, delivery: int | None, sit: int | None = None, to_go=False, table=""):
    started = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(gateway.site.time_zone))
    record = OrderRecordFactory.build(
        gateway=gateway,
        site=gateway.site,
        started=started,
        located=started + timedelta(seconds=sit) if sit is not None else None,
        cleared=started + timedelta(seconds=delivery) if delivery is not None else None,
        order_type="TO_GO" if to_go else "ON_PREMISES",
        location=table,
    )
    record.derive()
    record.save()
    return record


@pytest.fixture
def riverside(site: Site) -> Site:
    site.target_seconds = 300
    site.save()
    kitchen = GatewayFactory.create(site=site, name="Kitchen")
    order(kitchen, "2026-01-09T00:30:00", 100, 20, table="4")  # I
    order(kitchen, "2026-01-13T19:05:00", 250, 40, table="10")  # E
    order(kitchen, "2026-01-14T23:30:00", 200, 60, table="4")  # A
    order(kitchen, "2026-01-15T00:30:00", 400, to_go=True)  # B
    order(kitchen, "2026-01-15T08:00:00", None, to_go=True)  # F
    order(kitchen, "2026-01-15T12:10:00", 300, 30, table="12")  # C
    order(kitchen, "2026-01-15T12:40:00", 500, 90, table="4")  # D
    order(kitchen, "2026-01-05T13:00:00", 600, 120, table="3")  # G
    order(kitchen, "2026-01-08T23:59:00", 200, to_go=True)  # H
    return site


@pytest.fixture
def hilltop(other_site: Site) -> Site:
    """New York (UTC-5), target 10:00; 07:00 there at NOW."""
    other_site.time_zone = "America/New_York"
    other_site.target_seconds = 600
    other_site.save()
    bar = GatewayFactory.create(site=other_site, name="Bar")
    order(bar, "2026-01-14T23:30:00", 450)  # M: the 15th in Paris and UTC, the 14th here
    order(bar, "2026-01-15T00:30:00", 500)  # N: today here, within this site's target
    return other_site


def week(riverside):
    return analytics.report(OrderRecord.objects.all(), [riverside], WEEK, NOW)


def figures(rows, key):
    return next(row.figures for row in rows if row.key == key)


def test_the_totals_of_the_last_seven_days(riverside):
    total = week(riverside).total

    assert total.orders == 7
    assert total.delivered == 6
    assert total.average_delivery == pytest.approx(1750 / 6)
    assert total.average_sit == pytest.approx(48)
    assert total.within == 4  # exactly on target counts as within (C)
    assert total.over == 2
    assert total.share_within == pytest.approx(200 / 3)


def test_the_median_delivery_time(riverside):
    assert week(riverside).median_delivery == 275


def test_the_period_against_the_seven_days_before(riverside):
    report = week(riverside)

    assert report.previous.orders == 2
    assert report.previous.average_delivery == 400
    assert report.previous_median == 400
    assert report.previous.share_within == 50
    assert report.change.orders_percent == pytest.approx(250)
    assert report.change.average_delivery_seconds == pytest.approx(1750 / 6 - 400)
    assert report.change.share_within_points == pytest.approx(200 / 3 - 50)


def test_an_order_after_midnight_in_paris_is_the_next_days_though_utc_says_otherwise(riverside):
    by_day = week(riverside).by_day

    assert [row.key for row in by_day] == [f"2026-01-{d:02d}" for d in range(9, 16)]
    assert figures(by_day, "2026-01-09").orders == 1  # I: 23:30 UTC on the 8th
    assert figures(by_day, "2026-01-14").orders == 1  # A only
    assert figures(by_day, "2026-01-15").orders == 4  # B, F, C, D
    assert figures(by_day, "2026-01-15").average_delivery == 400
    assert figures(by_day, "2026-01-15").over == 2
    assert figures(by_day, "2026-01-11").orders == 0  # days without orders are shown


def test_today_is_the_sites_own_calendar_day(riverside):
    report = analytics.report(OrderRecord.objects.all(), [riverside], TODAY, NOW)

    assert report.total.orders == 4
    assert report.previous.orders == 1  # A, the evening before
    assert (report.first, report.last) == (date(2026, 1, 15), date(2026, 1, 15))


def test_orders_by_local_hour_of_the_day(riverside):
    by_hour = week(riverside).by_hour

    assert len(by_hour) == 24
    assert figures(by_hour, "0").orders == 2  # B and I, past midnight in Paris
    assert figures(by_hour, "0").average_delivery == 250
    assert figures(by_hour, "12").orders == 2
    assert figures(by_hour, "23").orders == 1
    assert figures(by_hour, "22").orders == 0


def test_orders_by_part_of_the_day(riverside):
    parts = {row.key: row.figures for row in week(riverside).by_day_part}

    assert list(parts) == ["breakfast", "lunch", "afternoon", "dinner", "late"]
    assert parts["breakfast"].orders == 1
    assert parts["breakfast"].delivered == 0
    assert parts["lunch"].orders == 2
    assert parts["afternoon"].orders == 0
    assert parts["dinner"].orders == 1
    assert parts["late"].orders == 3
    assert parts["late"].average_delivery == pytest.approx(700 / 3)


def test_orders_by_table_in_table_order(riverside):
    by_table = week(riverside).by_table

    assert [row.key for row in by_table] == ["4", "10", "12"]
    assert figures(by_table, "4").orders == 3
    assert figures(by_table, "4").average_delivery == pytest.approx(800 / 3)
    assert figures(by_table, "4").over == 1


def test_orders_by_type(riverside):
    by_type = week(riverside).by_type

    assert figures(by_type, "ON_PREMISES").orders == 5
    assert figures(by_type, "TO_GO").orders == 2
    assert figures(by_type, "TO_GO").delivered == 1
    assert figures(by_type, "TO_GO").average_delivery == 400


def test_a_custom_period_and_its_previous_one(riverside):
    report = analytics.report(
        OrderRecord.objects.all(), [riverside], custom(date(2026, 1, 13), date(2026, 1, 14)), NOW
    )

    assert report.total.orders == 2  # E, A
    assert report.previous.orders == 0  # the 11th and 12th
    assert report.change.orders_percent is None


def test_across_sites_each_site_keeps_its_own_calendar_and_target(riverside, hilltop):
    sites = [riverside, hilltop]

    today = analytics.report(OrderRecord.objects.all(), sites, TODAY, NOW)

    assert today.total.orders == 5  # Riverside's B, F, C, D and Hilltop's N, not M
    assert today.total.within == 2  # C within 5:00; N (8:20) within Hilltop's 10:00
    assert today.total.over == 2  # B and D
    rows = analytics.by_site(OrderRecord.objects.all(), sites, TODAY, NOW)
    assert [(row.label, row.figures.orders) for row in rows] == [("Riverside", 4), ("Hilltop", 1)]


def test_no_orders_gives_no_averages(site):
    report = analytics.report(OrderRecord.objects.all(), [site], WEEK, NOW)

    assert report.total.orders == 0
    assert report.total.average_delivery is None
    assert report.total.share_within is None
    assert report.median_delivery is None


def test_every_hour_has_one_part_of_the_day():
    parts = [analytics.day_part(hour) for hour in range(24)]

    assert parts[5] == "late"
    assert parts[6] == "breakfast"
    assert parts[11] == "lunch"
    assert parts[15] == "afternoon"
    assert parts[18] == "dinner"
    assert parts[22] == "late"
