"""A burst of changes to one order reaches an open board whole and in the gateway's order.

The real ASGI app, the real simulator and the relay: the relay writes the mirror in batches
under a burst (orders/feed.py) and the sockets forward pre-encoded text (ttportal/realtime.py);
neither may drop, merge or reorder a step of one order.
"""

from __future__ import annotations

import asyncio
from asyncio import to_thread as in_thread
from typing import Any

import pytest

from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from tests.orders.test_board_consumer import first_board, open_board
from tests.portal_fixtures import eventually_in_db as eventually
from ttgateway.simulator.threaded import ThreadedSimulator

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = [str(table) for table in range(1, 31)]


def burst(sim: ThreadedSimulator) -> None:
    """Tracker 42 starts, is carried to 30 tables one after the other, and leaves: flat out."""
    sim.controls.start_tracker(42)
    for table in TABLES:
        sim.controls.locate_tracker(42, table)
    sim.controls.clear_tracker(42)


async def order_steps(communicator: Any, count: int) -> list[tuple[str, str]]:
    """The next ``count`` order messages: (change, table), site figures skipped."""
    steps: list[tuple[str, str]] = []
    while len(steps) < count:
        event = await communicator.receive_json_from(timeout=10)
        if event["type"] in ("order.upserted", "order.removed"):
            assert event["order"]["name"] == "42"
            steps.append((event["change"], event["order"].get("table", "-")))
    return steps


async def test_a_burst_of_changes_to_one_order_arrives_in_the_gateways_order(
    alice, paired_gateway, sim
):
    relay = Relay(MirrorFeed(), RelaySettings(refresh_seconds=0.2, backoff_base=0.1))
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    communicator, _, _ = await open_board(alice)
    try:
        await first_board(communicator)
        await eventually(lambda: paired_gateway.pk in relay.connected)

        await in_thread(burst, sim)

        steps = await order_steps(communicator, len(TABLES) + 2)
        assert steps == [
            ("created", ""),
            *[("modified", table) for table in TABLES],
            ("cleared", "-"),
        ]
    finally:
        await communicator.disconnect()
        stop.set()
        await asyncio.wait_for(running, 5)
