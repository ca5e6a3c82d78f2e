"""One order a gateway sends with a number the portal cannot hold never blocks the others
(issue 11, finding 3): the snapshot, the live events and the history pull skip it, log it, and
go on. Run it on PostgreSQL too (COMMON.md's scaled env): that is where a 24-digit number used
to fail the whole snapshot and every later pull of that gateway.
"""

from __future__ import annotations

import asyncio
import uuid
from asyncio import to_thread as in_thread
from datetime import timedelta

import pytest

from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from orders.models import ActiveOrder, OrderRecord
from orders.services import pull
from orders.services.pull import Outcome
from tests.portal_fixtures import eventually_in_db as eventually
from ttgateway.protocol import ClearReason, OrderType
from ttgateway.simulator.records import FinishedOrder
from ttgateway.simulator.threaded import ThreadedSimulator

TOO_LONG = "1" * 24
FAST = RelaySettings(refresh_seconds=0.2, heartbeat_seconds=2, backoff_base=0.1, backoff_cap=0.5)


def start_bad_order(sim: ThreadedSimulator) -> None:
    """Straight into the gateway's memory: the simulator itself would refuse the number."""
    sim.call(sim.state._create, TOO_LONG, OrderType.TO_GO, None, True)


def add_bad_history(sim: ThreadedSimulator) -> str:
    def add() -> str:
        now = sim.state.clock.now()
        record = FinishedOrder(
            name=TOO_LONG,
            uuid=str(uuid.uuid4()),
            order_type=OrderType.TO_GO,
            started=now - timedelta(minutes=30),
            cleared=now - timedelta(minutes=20),
            location="9" * 30,
            clear_reason=ClearReason.TRACKER,
        )
        sim.state.history = sorted([*sim.state.history, record], key=lambda r: r.sort_key)
        return record.uuid

    return sim.call(add)


def mirrored_names(gateway_id: int) -> list[str]:
    return sorted(ActiveOrder.objects.filter(gateway_id=gateway_id).values_list("name", flat=True))


@pytest.mark.django_db(transaction=True)
async def test_a_bad_order_in_the_snapshot_and_the_live_events_blocks_no_other(paired_gateway, sim):
    await in_thread(sim.controls.start_tracker, 5)
    await in_thread(start_bad_order, sim)
    relay = Relay(MirrorFeed(), FAST)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await eventually(lambda: mirrored_names(paired_gateway.pk) == ["5"])
        await in_thread(start_bad_order, sim)  # a live event this time
        await in_thread(sim.controls.start_tracker, 6)
        await eventually(lambda: mirrored_names(paired_gateway.pk) == ["5", "6"])
        assert paired_gateway.pk in relay.connected
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)


@pytest.mark.django_db
def test_a_bad_record_in_history_is_skipped_and_the_others_are_pulled(paired_gateway, sim):
    sim.controls.freeze_clock()
    sim.controls.seed_history(days=2, orders_per_day=120, seed=3)
    bad = add_bad_history(sim)
    start_bad_order(sim)  # the open-orders horizon reads the active ones too
    held = sim.call(lambda: len(sim.state.history))

    result = pull.pull_gateway(paired_gateway.pk)
    again = pull.pull_gateway(paired_gateway.pk)

    assert result.outcome == Outcome.DONE
    assert again.outcome == Outcome.DONE
    assert OrderRecord.objects.count() == held - 1
    assert not OrderRecord.objects.filter(uuid=bad).exists()
