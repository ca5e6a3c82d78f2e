"""The blocking client works from threads with no event loop, as views and Celery tasks are.

The simulator runs on the test's own loop, so each blocking call is made from another thread
(``asyncio.to_thread``): blocking the test's loop would stop the simulator too.
"""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from ttgateway.client import OrderNotFound, SubmitOutcome, SyncGatewayClient
from ttgateway.protocol import OrderType


def client_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("gateway-client")]


async def test_the_sync_client_works_from_a_plain_thread_with_no_loop(simulator, token):
    def view() -> tuple[SubmitOutcome, list[str], int]:
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()  # really no loop in this thread
        with SyncGatewayClient(simulator.url, token) as gateway:
            result = gateway.submit_order("12", OrderType.TO_GO, location="4")
            names = [o.name for o in gateway.active_orders()]
            gateway.delete_order("12")
            stats = gateway.statistics()
        return result.outcome, names, stats.orders_today

    outcome, names, orders_today = await asyncio.to_thread(view)
    assert outcome is SubmitOutcome.CREATED
    assert names == ["12"]
    assert orders_today == 1


async def test_the_sync_client_raises_the_same_typed_errors(simulator, token):
    def view() -> None:
        with SyncGatewayClient(simulator.url, token) as gateway:
            gateway.active_order("99")

    with pytest.raises(OrderNotFound):
        await asyncio.to_thread(view)


async def test_the_sync_client_iterates_history_page_by_page(simulator, token, controls):
    await controls.seed_history(days=2, orders_per_day=150)

    def task() -> list[str]:
        with SyncGatewayClient(simulator.url, token) as gateway:
            return [record.uuid for record in gateway.iter_orders()]

    uuids = await asyncio.to_thread(task)
    assert uuids == [record.uuid for record in simulator.state.history]


async def test_the_sync_client_can_stop_iterating_half_way(simulator, token, controls):
    await controls.seed_history(days=2, orders_per_day=150)

    def task() -> int:
        with SyncGatewayClient(simulator.url, token) as gateway:
            for seen, _record in enumerate(gateway.iter_orders(page_size=50), start=1):
                if seen == 120:
                    break
            return len(gateway.orders(limit=5).items)

    assert await asyncio.to_thread(task) == 5


async def test_one_sync_client_may_be_shared_by_several_threads(simulator, token):
    gateway = SyncGatewayClient(simulator.url, token)

    def worker(name: str) -> str:
        result = gateway.submit_order(name, OrderType.TO_GO)
        assert result.order is not None
        return result.order.name

    try:
        names = await asyncio.gather(*(asyncio.to_thread(worker, str(n)) for n in range(1, 9)))
    finally:
        await asyncio.to_thread(gateway.close)
    assert sorted(names, key=int) == [str(n) for n in range(1, 9)]


async def test_the_sync_client_works_from_a_thread_that_runs_its_own_loop(simulator, token):
    async def inside_another_loop() -> int:
        with SyncGatewayClient(simulator.url, token) as gateway:
            return len(gateway.active_orders())

    assert await asyncio.to_thread(asyncio.run, inside_another_loop()) == 0


async def test_closing_the_sync_client_stops_its_thread(simulator, token):
    before = len(client_threads())

    def use_and_close() -> None:
        gateway = SyncGatewayClient(simulator.url, token)
        gateway.liveness()
        assert len(client_threads()) == before + 1
        gateway.close()

    await asyncio.to_thread(use_and_close)
    assert len(client_threads()) == before


async def test_a_forgotten_sync_client_stops_its_thread_when_collected(simulator, token):
    before = len(client_threads())

    def use_and_forget() -> None:
        gateway = SyncGatewayClient(simulator.url, token)
        gateway.liveness()
        assert len(client_threads()) == before + 1
        del gateway
        gc.collect()

    await asyncio.to_thread(use_and_forget)
    assert len(client_threads()) == before
