"""The history pull against a simulated gateway: exact, resumable, idempotent, one at a time."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from gateways.models import Gateway
from orders.models import OrderRecord, PullCheckpoint
from orders.services import pull
from orders.services.history import record_cleared
from orders.services.pull import Outcome
from tests.orders.factories import ActiveOrderFactory
from ttgateway.client import GatewayUnreachable, SyncGatewayClient

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the pull catches it."""


class Recording:
    """A gateway client that records what the pull asks, and can die after some pages."""

    def __init__(self, client: SyncGatewayClient, die_after: int | None = None, error=None):
        self.client = client
        self.die_after = die_after
        self.error = error or WorkerKilled()
        self.requests: list[dict[str, Any]] = []

    def active_orders(self):
        return self.client.active_orders()

    def orders(self, offset=0, limit=25, created_after=None):
        if self.die_after is not None and len(self.requests) >= self.die_after:
            raise self.error
        self.requests.append({"offset": offset, "limit": limit, "created_after": created_after})
        return self.client.orders(offset, limit, created_after)


@pytest.fixture
def frozen(sim):
    """The gateway's clock stands still, so that nothing is purged while a test compares."""
    sim.controls.freeze_clock()
    return sim


@pytest.fixture
def seeded(frozen, paired_gateway):
    """Two weeks of a busy restaurant: a few thousand finished orders."""
    added = frozen.controls.seed_history(days=13, orders_per_day=250, seed=11).added
    assert added > 3000
    return paired_gateway


@pytest.fixture
def client(paired_gateway):
    with SyncGatewayClient(paired_gateway.base_url, paired_gateway.token_secret()) as c:
        yield c


def gateway_history(sim):
    return sim.call(
        lambda: [
            (uuid.UUID(r.uuid), r.name, r.order_type.value, r.location or "", r.started,
             r.located, r.cleared)
            for r in sim.state.history
        ]
    )  # fmt: skip


def stored() -> list[tuple[Any, ...]]:
    return list(
        OrderRecord.objects.order_by("started", "uuid").values_list(
            "uuid", "name", "order_type", "location", "started", "located", "cleared"
        )
    )


def test_a_pull_copies_every_order_the_gateway_holds_exactly(seeded, sim):
    result = pull.pull_gateway(seeded.pk)

    assert result.outcome == Outcome.DONE
    assert stored() == gateway_history(sim)
    assert not OrderRecord.objects.filter(confirmed=False).exists()
    record = OrderRecord.objects.exclude(located=None).first()
    assert record is not None
    assert record.located is not None
    assert record.cleared is not None
    assert record.delivery_seconds == int((record.cleared - record.started).total_seconds())
    assert record.time_to_sit_seconds == int((record.located - record.started).total_seconds())
    assert record.site_id == seeded.site_id


def test_the_pull_asks_for_pages_of_a_hundred_starting_where_the_last_ended(seeded, client):
    source = Recording(client)

    pull.pull_gateway(seeded.pk, source=source)

    assert {r["limit"] for r in source.requests} == {100}
    assert source.requests[0]["created_after"] is None
    assert len(source.requests) == OrderRecord.objects.count() // 100 + 1
    starts = [r["created_after"] for r in source.requests[1:]]
    assert starts == sorted(starts)


def test_running_a_pull_twice_changes_nothing(seeded, sim):
    pull.pull_gateway(seeded.pk)
    before = list(OrderRecord.objects.order_by("pk").values())

    again = pull.pull_gateway(seeded.pk)

    assert again.outcome == Outcome.DONE
    assert again.written == 0
    assert list(OrderRecord.objects.order_by("pk").values()) == before


def test_the_next_pull_rereads_only_the_overlap_before_the_checkpoint(seeded, client, settings):
    pull.pull_gateway(seeded.pk)
    through = PullCheckpoint.objects.get().stored_through
    assert through is not None
    source = Recording(client)

    pull.pull_gateway(seeded.pk, source=source)

    overlap = timedelta(seconds=settings.TTPORTAL_PULL_OVERLAP_SECONDS)
    assert source.requests == [{"offset": 0, "limit": 100, "created_after": through - overlap}]


def test_a_pull_killed_half_way_keeps_its_committed_pages(seeded, sim, client):
    with pytest.raises(WorkerKilled):
        pull.pull_gateway(seeded.pk, source=Recording(client, die_after=7))

    history = gateway_history(sim)
    assert stored() == history[:700]
    assert PullCheckpoint.objects.get().stored_through == history[699][4]


def test_a_pull_killed_half_way_then_run_again_leaves_no_gap_and_no_duplicate(seeded, sim, client):
    with pytest.raises(WorkerKilled):
        pull.pull_gateway(seeded.pk, source=Recording(client, die_after=13))

    result = pull.pull_gateway(seeded.pk)

    assert result.outcome == Outcome.DONE
    assert stored() == gateway_history(sim)


def test_a_gateway_failing_half_way_is_recorded_and_the_next_run_finishes(seeded, sim, client):
    broken = GatewayUnreachable("connection reset")

    failed = pull.pull_gateway(seeded.pk, source=Recording(client, die_after=5, error=broken))

    checkpoint = PullCheckpoint.objects.get()
    assert failed.outcome == Outcome.FAILED
    assert "connection reset" in checkpoint.last_error
    assert checkpoint.last_success is None
    assert checkpoint.behind_seconds is not None
    assert OrderRecord.objects.count() == 500
    assert pull.pull_gateway(seeded.pk).outcome == Outcome.DONE
    assert stored() == gateway_history(sim)
    checkpoint.refresh_from_db()
    assert checkpoint.last_success is not None
    assert checkpoint.behind_seconds == 0


def test_a_run_stops_after_its_page_budget_and_the_next_goes_on(seeded, sim):
    first = pull.pull_gateway(seeded.pk, max_pages=10)

    assert first.outcome == Outcome.PARTIAL
    assert OrderRecord.objects.count() == 1000
    assert PullCheckpoint.objects.get().last_success is None
    assert pull.pull_gateway(seeded.pk).outcome == Outcome.DONE
    assert stored() == gateway_history(sim)


def test_a_second_worker_leaves_a_gateway_alone_while_it_is_being_pulled(seeded, client):
    checkpoint = PullCheckpoint.objects.create(gateway=seeded)
    lease = pull._claim(checkpoint)
    source = Recording(client)

    result = pull.pull_gateway(seeded.pk, source=source)

    assert lease is not None
    assert result.outcome == Outcome.BUSY
    assert source.requests == []


def test_a_lease_left_by_a_dead_worker_is_taken_over_once_it_expires(seeded, sim):
    PullCheckpoint.objects.create(
        gateway=seeded, lease_owner="dead", lease_expires=timezone.now() - timedelta(seconds=1)
    )

    assert pull.pull_gateway(seeded.pk).outcome == Outcome.DONE
    assert stored() == gateway_history(sim)
    assert PullCheckpoint.objects.get().lease_owner == ""


def test_a_worker_whose_lease_was_taken_stops_and_undoes_its_page(seeded, client):
    class Overtaken(Recording):
        def orders(self, *args, **kwargs):
            page = super().orders(*args, **kwargs)
            if len(self.requests) == 3:  # another worker claims the gateway meanwhile
                PullCheckpoint.objects.update(lease_owner="other", lease_expires=timezone.now())
            return page

    result = pull.pull_gateway(seeded.pk, source=Overtaken(client))

    assert result.outcome == Outcome.LOST
    assert OrderRecord.objects.count() == 200
    assert PullCheckpoint.objects.get().lease_owner == "other"


def test_an_order_cleared_live_is_confirmed_by_the_pull_and_keeps_how_it_was_cleared(
    frozen, paired_gateway, sim
):
    sim.controls.start_tracker("5", "ON_PREMISES")
    sim.controls.advance_clock(95)
    sim.controls.locate_tracker("5", "12")
    sim.controls.advance_clock(200)
    finished = sim.controls.clear_tracker("5", "MANAGER_OVERRIDE")
    # The relay saw it leave, a second late by its own clock, and wrote it at once.
    seen = ActiveOrderFactory.build(
        gateway=paired_gateway,
        uuid=uuid.UUID(finished["uuid"]),
        name="5",
        location="12",
        created=timezone.now(),
        state="located",
    )
    record_cleared(seen, timezone.now(), OrderRecord.ClearedBy.PORTAL)

    pull.pull_gateway(paired_gateway.pk)

    record = OrderRecord.objects.get()
    assert record.confirmed
    assert record.seen_live
    assert record.cleared_by == OrderRecord.ClearedBy.PORTAL
    assert stored() == gateway_history(sim)
    assert record.delivery_seconds == 295
    assert record.time_to_sit_seconds == 95


def test_an_order_still_active_during_a_pull_is_copied_once_it_clears(frozen, paired_gateway, sim):
    sim.controls.start_tracker("1", "TO_GO")  # waits a long time
    sim.controls.advance_clock(60)
    sim.controls.start_tracker("2", "TO_GO")
    sim.controls.advance_clock(60)
    sim.controls.clear_tracker("2")
    pull.pull_gateway(paired_gateway.pk)
    assert list(OrderRecord.objects.values_list("name", flat=True)) == ["2"]

    # An hour on (far more than the overlap) and more orders later, the first one clears.
    for n in range(3, 8):
        sim.controls.advance_clock(600)
        sim.controls.start_tracker(n, "TO_GO")
        sim.controls.clear_tracker(n)
        pull.pull_gateway(paired_gateway.pk)
    sim.controls.clear_tracker("1")
    pull.pull_gateway(paired_gateway.pk)

    assert stored() == gateway_history(sim)
    assert OrderRecord.objects.count() == 7


def test_an_unreachable_gateway_is_recorded_and_nothing_is_lost(paired_gateway, sim):
    sim.stop()

    result = pull.pull_gateway(paired_gateway.pk)

    checkpoint = PullCheckpoint.objects.get()
    assert result.outcome == Outcome.FAILED
    assert "did not answer" in checkpoint.last_error
    assert checkpoint.last_error_at is not None
    assert checkpoint.lease_owner == ""


def test_a_refused_token_asks_for_pairing_again(paired_gateway, sim):

    sim.controls.delete_tokens()

    result = pull.pull_gateway(paired_gateway.pk)

    paired_gateway.refresh_from_db()
    assert result.outcome == Outcome.FAILED
    assert paired_gateway.status == Gateway.Status.NEEDS_PAIRING


def test_an_unpaired_gateway_is_not_pulled(gateway):
    assert pull.pull_gateway(gateway.pk).outcome == Outcome.SKIPPED
    assert not PullCheckpoint.objects.exists()


def test_orders_started_in_the_same_second_across_pages_are_all_copied_once(
    frozen, paired_gateway, sim
):
    from ttgateway.protocol import OrderType
    from ttgateway.simulator.records import FinishedOrder

    now = sim.call(sim.state.clock.now)
    rush = now - timedelta(hours=2)
    orders = [
        FinishedOrder(
            name=str(n % 60 + 1),
            uuid=str(uuid.uuid4()),
            order_type=OrderType.TO_GO,
            started=rush + timedelta(seconds=n // 250),  # 250 in one second, then 250 more
            cleared=rush + timedelta(minutes=5),
        )
        for n in range(520)
    ]
    sim.call(sim.state.add_history, orders)

    result = pull.pull_gateway(paired_gateway.pk)

    assert result.outcome == Outcome.DONE
    assert stored() == gateway_history(sim)
    assert len(stored()) == 520
