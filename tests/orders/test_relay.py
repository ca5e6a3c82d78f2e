"""The relay against a real simulated gateway: the mirror follows it through blips and moves.

The relay runs on the test's event loop; its database work and the test's checks share one
thread (``sync_to_async``), so SQLite never sees two writers at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import DataError

from gateways.models import Gateway, StatusChange
from gateways.relay import Backoff, Relay, RelaySettings, Target
from orders.feed import MirrorFeed
from orders.models import ActiveOrder, OrderRecord
from tests.orders.factories import ActiveOrderFactory
from tests.portal_fixtures import eventually_in_db
from ttgateway.client import OrderEvent, Snapshot
from ttgateway.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

FAST = RelaySettings(refresh_seconds=0.2, heartbeat_seconds=2, backoff_base=0.1, backoff_cap=0.5)


class CountingRelay(Relay):
    """The relay, counting its refresh rounds and connection attempts: what a test waits on to
    know that the relay has looked again (instead of sleeping and hoping it did)."""

    def __init__(self, handler: Any) -> None:
        super().__init__(handler, FAST)
        self.rounds = 0
        self.attempts = 0

    async def refresh(self) -> None:
        await super().refresh()
        self.rounds += 1

    async def _listen(self, target: Target, backoff: Backoff) -> None:
        self.attempts += 1
        await super()._listen(target, backoff)

    async def after(self, more: int, counter: str) -> None:
        """Until ``more`` further refresh rounds (or connection attempts) have been made."""
        start = getattr(self, counter)
        await eventually(
            lambda: getattr(self, counter) >= start + more, what=f"{more} more relay {counter}"
        )


class Following:
    """A relay running in the background of a test, stopped (and checked) at the end."""

    def __init__(self, handler: Any) -> None:
        self.relay = CountingRelay(handler)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.relay.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        # The relay drains its feed as it stops: nothing of it is left writing when the test's
        # tables are emptied (a write still open there deadlocked PostgreSQL's TRUNCATE).
        await asyncio.wait_for(self.task, 30)


@pytest.fixture
async def relay() -> AsyncIterator[CountingRelay]:
    following = Following(MirrorFeed())
    yield following.relay
    await following.close()


def mirrored(gateway: Gateway) -> dict[str, tuple[str, str, bool]]:
    """The mirror of one gateway: name -> (state, table, paged)."""
    return {
        o.name: (o.state, o.location, o.paged) for o in ActiveOrder.objects.filter(gateway=gateway)
    }


def status_of(gateway: Gateway) -> str:
    return str(Gateway.objects.values_list("status", flat=True).get(pk=gateway.pk))


async def test_the_snapshot_at_connect_reconciles_the_mirror(paired_gateway, sim, sim_controls):
    await sim_controls.start_tracker("5")
    await sync_to_async(ActiveOrderFactory)(gateway=paired_gateway, name="99")  # a ghost

    following = Following(MirrorFeed())
    try:
        await eventually_in_db(
            lambda: mirrored(paired_gateway), expect={"5": ("started", "", False)}
        )
        ghost = await sync_to_async(OrderRecord.objects.get)()
        assert ghost.name == "99"
        assert ghost.cleared_by == OrderRecord.ClearedBy.UNKNOWN
        assert await sync_to_async(status_of)(paired_gateway) == "online"
    finally:
        await following.close()


async def test_every_notification_reaches_the_mirror(paired_gateway, sim, relay, sim_controls):
    await eventually(lambda: paired_gateway.pk in relay.connected)

    await sim_controls.start_tracker("7")
    await eventually_in_db(lambda: mirrored(paired_gateway), expect={"7": ("started", "", False)})

    await sim_controls.locate_tracker("7", "12")
    await eventually_in_db(lambda: mirrored(paired_gateway), expect={"7": ("located", "12", False)})

    await sim_controls.page_tracker("7")
    await eventually_in_db(lambda: mirrored(paired_gateway), expect={"7": ("located", "12", True)})

    await sim_controls.clear_tracker("7")
    await eventually_in_db(lambda: mirrored(paired_gateway), expect={})
    record = await sync_to_async(OrderRecord.objects.get)()
    assert record.cleared_by == OrderRecord.ClearedBy.TRACKER
    assert (record.location, record.paged) == ("12", True)
    assert record.located is not None
    assert record.cleared is not None
    assert record.delivery_seconds is not None


async def test_after_a_dropped_connection_the_mirror_catches_up(
    paired_gateway, sim, relay, sim_controls
):
    await sim_controls.start_tracker("1")
    await sim_controls.start_tracker("2")
    await eventually_in_db(lambda: set(mirrored(paired_gateway)) == {"1", "2"})

    # The gateway refuses the relay while things happen on the floor.
    await sim_controls.set_faults(refuse=True, drop_websockets=True)
    await eventually_in_db(lambda: status_of(paired_gateway), expect="offline")
    await sim_controls.clear_tracker("1")
    await sim_controls.locate_tracker("2", "8")
    await sim_controls.start_tracker("3")
    await relay.after(2, "attempts")  # both refused: the floor's changes cannot have come in
    assert set(await sync_to_async(mirrored)(paired_gateway)) == {"1", "2"}, "not heard yet"

    await sim_controls.clear_faults()

    await eventually_in_db(
        lambda: mirrored(paired_gateway),
        expect={"2": ("located", "8", False), "3": ("started", "", False)},
    )
    await eventually_in_db(lambda: status_of(paired_gateway), expect="online")
    # Order 1 left while the relay was away: filed from the snapshot, its end time unknown.
    record = await sync_to_async(OrderRecord.objects.get)(name="1")
    assert record.cleared_by == OrderRecord.ClearedBy.UNKNOWN
    changes = await sync_to_async(
        lambda: list(
            StatusChange.objects.filter(gateway=paired_gateway)
            .order_by("at", "id")
            .values_list("status", flat=True)
        )
    )()
    assert changes[-2:] == ["offline", "online"]


async def test_a_gateway_that_moved_is_followed_at_its_new_address(
    paired_gateway, sim, relay, sim_controls
):
    await eventually(lambda: paired_gateway.pk in relay.connected)

    moved = await sim_controls.move_address("127.0.0.2", 0)
    assert moved.startswith("http://127.0.0.2:")
    # What discovery does when the gateway's service shows up at another address.
    await sync_to_async(Gateway.objects.filter(pk=paired_gateway.pk).update)(
        host=sim.host, port=sim.port
    )
    await sim_controls.start_tracker("4")

    await eventually_in_db(lambda: "4" in mirrored(paired_gateway))
    target, _ = relay.followed[paired_gateway.pk]
    assert target.base_url == moved


async def test_a_revoked_token_stops_the_gateway_until_it_is_paired_again(
    paired_gateway, sim, relay, sim_controls
):
    await eventually(lambda: paired_gateway.pk in relay.connected)

    await sim_controls.delete_tokens()

    await eventually_in_db(lambda: status_of(paired_gateway), expect="needs_pairing")
    await eventually(lambda: paired_gateway.pk not in relay.followed)
    assert await sync_to_async(lambda: paired_gateway.tokens.get().revoked is not None)()
    await relay.after(3, "rounds")  # it is not picked up again
    assert paired_gateway.pk not in relay.followed
    assert (await sim_controls.state()).websocket_clients == 0


async def test_an_unpaired_gateway_is_not_followed(gateway, sim, relay):
    await relay.after(3, "rounds")

    assert relay.followed == {}


class FailsOnce(MirrorFeed):
    """A handler whose first snapshot hits a database error."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def snapshot(self, gateway_id: int, snapshot: Snapshot) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("database is locked")
        await super().snapshot(gateway_id, snapshot)


async def test_a_failing_handler_is_retried_and_does_not_stop_the_relay(
    paired_gateway, sim, sim_controls
):
    await sim_controls.start_tracker("5")
    handler = FailsOnce()
    following = Following(handler)
    try:
        await eventually_in_db(lambda: "5" in mirrored(paired_gateway))
        assert handler.failed
        assert not following.task.done()
        assert await sync_to_async(status_of)(paired_gateway) == "online", "not the gateway's fault"
    finally:
        await following.close()


class WriteFailsOnce(MirrorFeed):
    """A feed whose first batch of changes the database refuses (a value it will not store)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    async def _write_batch(self, gateway_id: int, batch: list[OrderEvent]) -> None:
        if not self.refused:
            self.refused = len(batch)
            raise DataError("value out of range")
        await super()._write_batch(gateway_id, batch)


async def test_a_change_the_mirror_failed_to_write_is_repaired_without_waiting_for_the_next(
    paired_gateway, sim, sim_controls
):
    handler = WriteFailsOnce()
    following = Following(handler)
    try:
        await eventually(lambda: paired_gateway.pk in following.relay.connected)
        attempts = following.relay.attempts

        await sim_controls.start_tracker("8")  # the last change for a while: nothing follows

        await eventually_in_db(lambda: "8" in mirrored(paired_gateway))
        assert handler.refused == 1
        assert following.relay.attempts > attempts, "mirrored without the reconnect's snapshot"
        assert await sync_to_async(status_of)(paired_gateway) == "online", "not the gateway's fault"
    finally:
        await following.close()
