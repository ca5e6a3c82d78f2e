"""The mirror follows what gateways say, and files every order that leaves into history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.models import ActiveOrder, Event, OrderRecord
from orders.services.commands import delete_order, start_order
from orders.services.mirror import (
    Change,
    apply_order,
    apply_orders,
    apply_snapshot,
    remove_order,
)
from tests.factories import GatewayFactory
from tests.orders.factories import ActiveOrderFactory
from ttgateway.client import ActiveOrder as GatewayOrder
from ttgateway.protocol import OrderState, OrderType

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
UUID_A = "0b7f8c0e-0000-4000-8000-00000000000a"
UUID_B = "0b7f8c0e-0000-4000-8000-00000000000b"
UUID_C = "0b7f8c0e-0000-4000-8000-00000000000c"


def seen(
    uuid: str,
    name: str,
    state: OrderState = OrderState.STARTED,
    table: str | None = None,
    created: datetime = NOON,
    changed: datetime | None = None,
    paged: bool = False,
) -> GatewayOrder:
    return GatewayOrder(
        name=name,
        uuid=uuid,
        order_type=OrderType.ON_PREMISES,
        location=table,
        state=state,
        state_changed=changed or created,
        created=created,
        paged=paged,
        elapsed_time=0,
    )


@pytest.fixture
def kitchen(site):
    return GatewayFactory.create(site=site, name="Kitchen")


def test_a_snapshot_updates_known_orders_adds_new_ones_and_closes_ghosts(kitchen):
    ActiveOrderFactory(gateway=kitchen, uuid=UUID_A, name="1", created=NOON)
    ActiveOrderFactory(gateway=kitchen, uuid=UUID_B, name="2", created=NOON)

    kept, ghosts = apply_snapshot(
        kitchen,
        [
            seen(UUID_A, "1", OrderState.LOCATED, "5", changed=NOON + timedelta(minutes=2)),
            seen(UUID_C, "3"),
        ],
    )

    assert (kept, ghosts) == (2, 1)
    assert sorted(ActiveOrder.objects.values_list("name", flat=True)) == ["1", "3"]
    assert ActiveOrder.objects.get(name="1").location == "5"
    ghost = OrderRecord.objects.get()
    assert str(ghost.uuid) == UUID_B
    assert ghost.cleared_by == OrderRecord.ClearedBy.UNKNOWN
    assert ghost.cleared is None, "cleared while nobody listened: the pull will say when"
    assert ghost.seen_live


def test_a_snapshot_of_one_gateway_leaves_other_gateways_alone(kitchen, site):
    bar = GatewayFactory.create(site=site, name="Bar")
    ActiveOrderFactory(gateway=bar, uuid=UUID_B, name="2")

    apply_snapshot(kitchen, [seen(UUID_A, "1")])

    assert ActiveOrder.objects.filter(gateway=bar).exists()
    assert not OrderRecord.objects.exists()


def test_a_cleared_notification_files_the_order_as_cleared_by_its_tracker(kitchen):
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)
    located = NOON + timedelta(minutes=3)
    apply_order(
        kitchen, seen(UUID_A, "7", OrderState.LOCATED, "12", changed=located), Change.MODIFIED
    )

    cleared = NOON + timedelta(minutes=11)
    gone = apply_order(
        kitchen, seen(UUID_A, "7", OrderState.CLEARED, "12", changed=cleared), Change.CLEARED
    )

    assert gone is None
    assert not ActiveOrder.objects.exists()
    record = OrderRecord.objects.get()
    assert record.cleared_by == OrderRecord.ClearedBy.TRACKER
    assert (record.started, record.located, record.cleared) == (NOON, located, cleared)
    assert (record.delivery_seconds, record.time_to_sit_seconds) == (660, 180)
    assert record.location == "12"


def test_the_same_notification_twice_changes_the_mirror_once(kitchen):
    first = apply_order(kitchen, seen(UUID_A, "7", paged=True), Change.PAGED)
    again = apply_order(kitchen, seen(UUID_A, "7", paged=True), Change.PAGED)

    assert first is not None
    assert again is not None
    assert ActiveOrder.objects.count() == 1
    assert again.updated == first.updated


def test_an_order_cleared_from_the_portal_is_filed_as_such(kitchen):
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)

    assert remove_order(kitchen, UUID_A) == 1

    assert OrderRecord.objects.get().cleared_by == OrderRecord.ClearedBy.PORTAL


def test_late_news_of_an_order_already_cleared_does_not_bring_it_back(kitchen):
    """A command started and cleared the order; the relay, behind, hears it started only now."""
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)
    remove_order(kitchen, UUID_A)
    events_before = Event.objects.count()

    late = apply_orders(
        kitchen,
        [
            (seen(UUID_A, "7"), Change.CREATED),
            (seen(UUID_A, "7", OrderState.LOCATED, "4"), Change.MODIFIED),
            (seen(UUID_A, "7", OrderState.CLEARED), Change.CLEARED),
        ],
    )

    assert late == 3
    assert not ActiveOrder.objects.exists()
    assert Event.objects.count() == events_before, "no second order.created, no second clear"
    record = OrderRecord.objects.get()
    assert record.cleared_by == OrderRecord.ClearedBy.PORTAL


def test_a_snapshot_does_not_bring_back_an_order_already_filed(kitchen):
    """A snapshot taken before a clear and applied after it."""
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)
    remove_order(kitchen, UUID_A)

    apply_snapshot(kitchen, [seen(UUID_A, "7"), seen(UUID_B, "8")])

    assert list(ActiveOrder.objects.values_list("name", flat=True)) == ["8"]


def test_the_portal_corrects_a_record_the_relay_filed_first(kitchen):
    """The gateway's ORDER_CLEARED may beat the answer to our own DELETE."""
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)
    apply_order(kitchen, seen(UUID_A, "7", OrderState.CLEARED), Change.CLEARED)
    assert OrderRecord.objects.get().cleared_by == OrderRecord.ClearedBy.TRACKER

    assert remove_order(kitchen, UUID_A) == 0

    assert OrderRecord.objects.get().cleared_by == OrderRecord.ClearedBy.PORTAL


def test_a_delete_from_the_board_is_filed_as_cleared_from_the_portal(paired_gateway, sim, as_alice):
    start_order(paired_gateway, as_alice, "3", "ON_PREMISES")

    delete_order(paired_gateway, as_alice, "3")

    record = OrderRecord.objects.get()
    assert record.cleared_by == OrderRecord.ClearedBy.PORTAL
    assert record.cleared is not None


def test_an_order_the_mirror_never_saw_is_still_filed_when_cleared_from_the_board(
    paired_gateway, sim, as_alice
):
    sim.controls.start_tracker("3")  # no relay running: the mirror does not know of it
    assert not ActiveOrder.objects.exists()

    delete_order(paired_gateway, as_alice, "3")

    record = OrderRecord.objects.get()
    assert (record.name, record.cleared_by) == ("3", OrderRecord.ClearedBy.PORTAL)
    assert record.cleared is not None


def test_an_order_a_snapshot_took_for_gone_comes_back_when_the_gateway_says_it_is_active(kitchen):
    """One snapshot left it out (an item the portal could not read): a guess, not a clear."""
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)
    apply_snapshot(kitchen, [seen(UUID_B, "8")])
    assert OrderRecord.objects.get().cleared_by == OrderRecord.ClearedBy.UNKNOWN

    apply_snapshot(kitchen, [seen(UUID_A, "7"), seen(UUID_B, "8")])

    assert sorted(ActiveOrder.objects.values_list("name", flat=True)) == ["7", "8"]
    assert not OrderRecord.objects.exists(), "the ghost's record was a guess, now undone"
    told = [(e.type, e.data["version"]) for e in Event.objects.filter(data__uuid=UUID_A)]
    assert told == [
        (Event.Type.ORDER_CREATED, 1),
        (Event.Type.ORDER_CLEARED, 2),
        (Event.Type.ORDER_CREATED, 3),  # above the clear's: a plugin keeps it
    ]


def test_news_of_an_order_whose_clear_the_history_confirmed_does_not_bring_it_back(kitchen):
    apply_order(kitchen, seen(UUID_A, "7"), Change.CREATED)
    apply_snapshot(kitchen, [])
    OrderRecord.objects.update(cleared=NOON + timedelta(minutes=9))  # as the pull confirms it

    apply_order(kitchen, seen(UUID_A, "7", OrderState.LOCATED, "4"), Change.MODIFIED)

    assert not ActiveOrder.objects.exists()
    assert OrderRecord.objects.get().cleared == NOON + timedelta(minutes=9)
