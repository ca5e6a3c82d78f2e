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

from gateways.models import Gateway, StatusChange
from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from orders.models import ActiveOrder, OrderRecord
from tests.gateways.conftest import control
from tests.orders.conftest import eventually, gateway_state, in_thread, sim_request
from tests.orders.factories import ActiveOrderFactory
from ttgateway.client import Snapshot

pytestmark = pytest.mark.django_db(transaction=True)

FAST = RelaySettings(refresh_seconds=0.2, heartbeat_seconds=2, backoff_base=0.1, backoff_cap=0.5)


class Following:
    """A relay running in the background of a test, stopped (and checked) at the end."""

    def __init__(self, handler: Any) -> None:
        self.relay = Relay(handler, FAST)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.relay.run(self.stop))

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
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


async def test_the_snapshot_at_connect_reconciles_the_mirror(paired_gateway, sim):
    await in_thread(control, sim, "trackers/5/start")
    await sync_to_async(ActiveOrderFactory)(gateway=paired_gateway, name="99")  # a ghost

    following = Following(MirrorFeed())
    try:
        await eventually(lambda: mirrored(paired_gateway) == {"5": ("started", "", False)})
        ghost = await sync_to_async(OrderRecord.objects.get)()
        assert ghost.name == "99"
        assert ghost.cleared_by == OrderRecord.ClearedBy.UNKNOWN
        assert await sync_to_async(status_of)(paired_gateway) == "online"
    finally:
        await following.close()


async def test_every_notification_reaches_the_mirror(paired_gateway, sim, relay):
    await eventually(lambda: paired_gateway.pk in relay.connected)

    await in_thread(control, sim, "trackers/7/start")
    await eventually(lambda: mirrored(paired_gateway) == {"7": ("started", "", False)})

    await in_thread(control, sim, "trackers/7/locate", {"table": "12"})
    await eventually(lambda: mirrored(paired_gateway) == {"7": ("located", "12", False)})

    await in_thread(control, sim, "trackers/7/page")
    await eventually(lambda: mirrored(paired_gateway) == {"7": ("located", "12", True)})

    await in_thread(control, sim, "trackers/7/clear")
    await eventually(lambda: mirrored(paired_gateway) == {})
    record = await sync_to_async(OrderRecord.objects.get)()
    assert record.cleared_by == OrderRecord.ClearedBy.TRACKER
    assert (record.location, record.paged) == ("12", True)
    assert record.located is not None
    assert record.cleared is not None
    assert record.delivery_seconds is not None


async def test_after_a_dropped_connection_the_mirror_catches_up(paired_gateway, sim, relay):
    await in_thread(control, sim, "trackers/1/start")
    await in_thread(control, sim, "trackers/2/start")
    await eventually(lambda: set(mirrored(paired_gateway)) == {"1", "2"})

    # The gateway refuses the relay while things happen on the floor.
    await in_thread(control, sim, "faults", {"refuse": True, "drop_websockets": True})
    await eventually(lambda: status_of(paired_gateway) == "offline")
    await in_thread(control, sim, "trackers/1/clear")
    await in_thread(control, sim, "trackers/2/locate", {"table": "8"})
    await in_thread(control, sim, "trackers/3/start")
    await asyncio.sleep(0.5)
    assert set(await sync_to_async(mirrored)(paired_gateway)) == {"1", "2"}, "not heard yet"

    await in_thread(control, sim, "faults", {"clear": True})

    await eventually(
        lambda: (
            mirrored(paired_gateway) == {"2": ("located", "8", False), "3": ("started", "", False)}
        )
    )
    await eventually(lambda: status_of(paired_gateway) == "online")
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


async def test_a_gateway_that_moved_is_followed_at_its_new_address(paired_gateway, sim, relay):
    await eventually(lambda: paired_gateway.pk in relay.connected)

    moved = await in_thread(sim_request, sim, "POST", "address", {"host": "127.0.0.2", "port": 0})
    assert moved["url"].startswith("http://127.0.0.2:")
    # What discovery does when the gateway's service shows up at another address.
    await sync_to_async(Gateway.objects.filter(pk=paired_gateway.pk).update)(
        host=sim.host, port=sim.port
    )
    await in_thread(control, sim, "trackers/4/start")

    await eventually(lambda: "4" in mirrored(paired_gateway))
    target, _ = relay.followed[paired_gateway.pk]
    assert target.base_url == moved["url"]


async def test_a_revoked_token_stops_the_gateway_until_it_is_paired_again(
    paired_gateway, sim, relay
):
    await eventually(lambda: paired_gateway.pk in relay.connected)

    await in_thread(sim_request, sim, "DELETE", "tokens")

    await eventually(lambda: status_of(paired_gateway) == "needs_pairing")
    await eventually(lambda: paired_gateway.pk not in relay.followed)
    assert await sync_to_async(lambda: paired_gateway.tokens.get().revoked is not None)()
    await asyncio.sleep(0.5)  # a few refresh rounds: it is not picked up again
    assert paired_gateway.pk not in relay.followed
    assert (await in_thread(gateway_state, sim))["websocket_clients"] == 0


async def test_an_unpaired_gateway_is_not_followed(gateway, sim, relay):
    await asyncio.sleep(0.5)

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


async def test_a_failing_handler_is_retried_and_does_not_stop_the_relay(paired_gateway, sim):
    await in_thread(control, sim, "trackers/5/start")
    handler = FailsOnce()
    following = Following(handler)
    try:
        await eventually(lambda: "5" in mirrored(paired_gateway))
        assert handler.failed
        assert not following.task.done()
        assert await sync_to_async(status_of)(paired_gateway) == "online", "not the gateway's fault"
    finally:
        await following.close()
