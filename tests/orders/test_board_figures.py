"""Today's figures on the board: counted over the site's own day, in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.services.board import board_payload, local_day, today_figures
from tests.factories import GatewayFactory
from tests.orders.factories import ActiveOrderFactory, OrderRecordFactory

pytestmark = pytest.mark.django_db

# 09:30 in Paris (UTC+1 in winter); the site's day began at 23:00 UTC the evening before.
NOW = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
PARIS_MIDNIGHT = datetime(2026, 1, 14, 23, 0, tzinfo=UTC)


@pytest.fixture
def kitchen(site):
    site.target_seconds = 300
    site.save()
    return GatewayFactory.create(site=site, name="Kitchen")


def cleared(kitchen, at: datetime, delivery: int):
    return OrderRecordFactory(
        gateway=kitchen,
        started=at - timedelta(seconds=delivery),
        cleared=at,
        delivery_seconds=delivery,
    )


def test_the_day_is_the_sites_own_calendar_day(site):
    start, end = local_day(site, NOW)

    assert start == PARIS_MIDNIGHT
    assert end - start == timedelta(hours=24)


def test_orders_cleared_since_the_sites_midnight_count_as_today(kitchen):
    cleared(kitchen, PARIS_MIDNIGHT - timedelta(minutes=1), 100)  # yesterday in Paris
    cleared(kitchen, PARIS_MIDNIGHT + timedelta(minutes=1), 200)  # 00:01 in Paris
    cleared(kitchen, NOW - timedelta(minutes=5), 400)

    figures = today_figures(kitchen.site, NOW)

    assert figures["cleared"] == 2
    assert figures["average_delivery_seconds"] == 300
    assert figures["cleared_over_target"] == 1
    assert figures["day_starts"] == "2026-01-15T00:00:00+01:00"


def test_an_empty_day_has_no_average(kitchen):
    figures = today_figures(kitchen.site, NOW)

    assert (figures["cleared"], figures["average_delivery_seconds"]) == (0, None)


def test_active_orders_over_the_target_are_counted_now(kitchen):
    ActiveOrderFactory(gateway=kitchen, created=NOW - timedelta(seconds=301))
    ActiveOrderFactory(gateway=kitchen, created=NOW - timedelta(seconds=250))
    ActiveOrderFactory(gateway=kitchen, created=NOW - timedelta(seconds=10))

    figures = today_figures(kitchen.site, NOW)

    assert (figures["active"], figures["over_target"]) == (3, 1)


def test_another_sites_orders_are_not_counted(kitchen, other_site):
    bar = GatewayFactory.create(site=other_site)
    ActiveOrderFactory(gateway=bar, created=NOW)
    cleared(bar, NOW - timedelta(minutes=1), 60)

    figures = today_figures(kitchen.site, NOW)

    assert (figures["active"], figures["cleared"]) == (0, 0)


def test_the_board_takes_a_fixed_number_of_queries_whatever_the_orders(
    kitchen, django_assert_max_num_queries
):
    for _ in range(20):
        ActiveOrderFactory(gateway=kitchen)

    with django_assert_max_num_queries(5):
        board = board_payload([kitchen.site_id], NOW)

    assert len(board["sites"][0]["orders"]) == 20
