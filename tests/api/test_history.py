"""The history feed: finished orders by sequence, for an incremental sync that never skips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import OrderRecord
from orders.services.history import record_cleared
from tests.orders.factories import ActiveOrderFactory, OrderRecordFactory

pytestmark = pytest.mark.django_db


def numbers(response) -> list[str]:
    return [r["number"] for r in response.json()["results"]]


def sync(client, after: int = 0, **params) -> tuple[list[str], int]:
    query = "&".join(f"{k}={v}" for k, v in {"after": after, **params}.items())
    response = client.get(f"/api/v1/history/?{query}")
    assert response.status_code == 200, response.json()
    return numbers(response), response.json()["after"]


def test_records_come_in_the_order_they_were_written(riverside, gateway):
    for number in ("3", "1", "2"):
        OrderRecordFactory.create(gateway=gateway, name=number)

    assert sync(riverside)[0] == ["3", "1", "2"]


def test_a_record_written_late_is_not_skipped_by_the_next_sync(riverside, gateway):
    now = timezone.now()
    OrderRecordFactory.create(gateway=gateway, name="1", started=now - timedelta(minutes=5))
    seen, after = sync(riverside)
    # The history pull brings an order started long before, after the plugin's last sync.
    OrderRecordFactory.create(gateway=gateway, name="2", started=now - timedelta(days=3))

    later, _ = sync(riverside, after)

    assert seen == ["1"]
    assert later == ["2"]


def test_a_record_changed_after_a_sync_comes_again(riverside, gateway):
    order = ActiveOrderFactory.create(gateway=gateway, name="4")
    record = record_cleared(order, timezone.now(), OrderRecord.ClearedBy.TRACKER)
    _, after = sync(riverside)
    record.confirmed = True
    record.save()

    again, _ = sync(riverside, after)

    assert again == ["4"]


def test_pages_follow_one_another_without_gaps_or_repeats(riverside, gateway):
    for n in range(1, 8):
        OrderRecordFactory.create(gateway=gateway, name=str(n))

    got: list[str] = []
    url = "/api/v1/history/?limit=3"
    while url:
        page = riverside.get(url).json()
        got += [r["number"] for r in page["results"]]
        url = page["next"]

    assert got == [str(n) for n in range(1, 8)]


def test_the_history_pages_filters_apply(riverside, gateway):
    now = timezone.now()
    OrderRecordFactory.create(gateway=gateway, name="1", location="7", order_type="TO_GO")
    OrderRecordFactory.create(gateway=gateway, name="2", location="8", order_type="TO_GO")
    OrderRecordFactory.create(gateway=gateway, name="3", location="7", order_type="ON_PREMISES")
    OrderRecordFactory.create(gateway=gateway, name="4", started=now - timedelta(days=2))

    assert sync(riverside, table="07")[0] == ["1", "3"]
    assert sync(riverside, type="to_go")[0] == ["1", "2"]
    after = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sync(riverside, started_before=after)[0] == ["4"]
    assert sync(riverside, started_after=after)[0] == ["1", "2", "3"]
    assert sync(riverside, gateway=gateway.pk)[0] == ["1", "2", "3", "4"]


def test_a_record_shows_its_derived_durations(riverside, gateway):
    started = timezone.now() - timedelta(minutes=20)
    record = OrderRecordFactory.build(
        gateway=gateway,
        started=started,
        located=started + timedelta(seconds=90),
        cleared=started + timedelta(seconds=600),
        location="7",
    )
    record.derive()
    record.save()

    body = riverside.get("/api/v1/history/").json()["results"][0]

    assert (body["delivery_seconds"], body["time_to_sit_seconds"]) == (600, 90)
    assert (body["table"], body["type"]) == ("7", "on_premises")


@pytest.mark.parametrize(
    "query", ["after=-1", "limit=0", "limit=501", "type=takeaway", "table=A", "started_after=x"]
)
def test_invalid_filters_are_a_400_problem(riverside, query):
    response = riverside.get(f"/api/v1/history/?{query}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
