"""Statistics: the analytics figures of the portal's own history, for any period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.orders.factories import OrderRecordFactory

# "Today" is the site's: at lunchtime, whatever the hour the suite runs.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("lunchtime")]


def delivered(gateway, seconds: int, days_ago: int = 0):
    started = timezone.now() - timedelta(days=days_ago, minutes=30)
    record = OrderRecordFactory.build(
        gateway=gateway, started=started, cleared=started + timedelta(seconds=seconds)
    )
    record.derive()
    record.save()
    return record


def test_today_is_the_default_period(riverside, gateway):
    delivered(gateway, 200)
    delivered(gateway, 400)
    delivered(gateway, 100, days_ago=3)

    body = riverside.get("/api/v1/statistics/").json()

    assert body["total"]["orders"] == 2
    assert body["total"]["average_delivery_seconds"] == 300
    assert body["median_delivery_seconds"] == 300
    assert body["first_day"] == body["last_day"]


def test_any_period_can_be_asked_for(riverside, gateway, site):
    delivered(gateway, 200)
    delivered(gateway, 100, days_ago=3)
    today = timezone.now().astimezone(site.tz).date()

    body = riverside.get(f"/api/v1/statistics/?from={today - timedelta(days=6)}&to={today}").json()

    assert body["total"]["orders"] == 2
    assert len(body["by_day"]) == 7


def test_the_target_splits_orders_within_and_over(riverside, gateway, site):
    delivered(gateway, site.target_seconds - 1)
    delivered(gateway, site.target_seconds + 1)

    total = riverside.get(f"/api/v1/statistics/?site={site.pk}").json()["total"]

    assert (total["within_target"], total["over_target"]) == (1, 1)
    assert total["share_within_target_percent"] == 50.0


@pytest.mark.parametrize(
    "query", ["from=2026-12-05&to=2026-12-01", "from=2020-01-01&to=2026-01-01", "to=tomorrow"]
)
def test_an_impossible_period_is_a_400_problem(riverside, query):
    response = riverside.get(f"/api/v1/statistics/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response["Content-Type"] == "application/problem+json"
