"""Realistic restaurant traffic: two weeks of past lunch and dinner rushes, and a live demo.

Both are seeded, so a test or a benchmark that asks for the same seed gets the same orders.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ttgateway.protocol import HISTORY_RETENTION_DAYS, ClearReason, OrderState, OrderType
from ttgateway.simulator.gateway import GatewayError, GatewayState
from ttgateway.simulator.records import FinishedOrder

TRACKERS = range(1, 61)
TABLES = range(1, 41)


def _time_of_day(rng: random.Random) -> float:
    """Hours after local midnight: a lunch rush, a dinner rush, and a trickle between."""
    pick = rng.random()
    if pick < 0.45:
        hours = rng.gauss(12.5, 0.7)
    elif pick < 0.85:
        hours = rng.gauss(19.0, 0.9)
    else:
        hours = rng.uniform(10.0, 22.0)
    return min(max(hours, 10.0), 22.75)


def _finished_order(rng: random.Random, started: datetime) -> FinishedOrder:
    to_go = rng.random() < 0.2
    hour = started.hour
    rush = 1.25 if hour in (12, 13, 19, 20) else 1.0
    delivery = min(rng.lognormvariate(math.log(270 * rush), 0.35), 3600.0)
    located = None
    table = None
    if rng.random() < (0.3 if to_go else 0.95):
        sit = min(20 + rng.expovariate(1 / 60), delivery * 0.8)
        located = started + timedelta(seconds=int(sit))
        table = str(rng.choice(TABLES))
    reason_pick = rng.random()
    reason = (
        ClearReason.TRACKER
        if reason_pick < 0.9
        else ClearReason.MANAGER_OVERRIDE
        if reason_pick < 0.98
        else ClearReason.AUTOMATIC
    )
    return FinishedOrder(
        name=str(rng.choice(TRACKERS)),
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        order_type=OrderType.TO_GO if to_go else OrderType.ON_PREMISES,
        started=started,
        cleared=started + timedelta(seconds=int(delivery)),
        location=table,
        located=located,
        paged=rng.random() < (0.7 if to_go else 0.05),
        clear_reason=reason,
    )


def generate_history(
    state: GatewayState,
    days: int = HISTORY_RETENTION_DAYS - 1,
    orders_per_day: int = 150,
    seed: int = 7,
) -> list[FinishedOrder]:
    """Orders finished over the past ``days`` days (and today so far), in the gateway's zone."""
    rng = random.Random(seed)
    now = state.clock.now()
    oldest = now - timedelta(days=HISTORY_RETENTION_DAYS)
    today = now.astimezone(state.timezone).date()
    records: list[FinishedOrder] = []
    for back in range(days, -1, -1):
        midnight = datetime.combine(today - timedelta(days=back), time(), tzinfo=state.timezone)
        for _ in range(orders_per_day):
            started = (midnight + timedelta(hours=_time_of_day(rng))).replace(microsecond=0)
            record = _finished_order(rng, started)
            if oldest <= record.cleared <= now:
                records.append(record)
    return records


def seed_history(state: GatewayState, **kwargs: int) -> int:
    records = generate_history(state, **kwargs)
    state.add_history(records)
    return len(records)


@dataclass
class _Plan:
    sit_at: datetime | None
    page_at: datetime | None
    clear_at: datetime


class DemoTraffic:
    """Live orders for a demo: trackers started, carried to tables, paged, cleared.

    ``speed`` divides every duration, so a demo at speed 4 shows a lunch rush in minutes.
    """

    def __init__(self, state: GatewayState, speed: float = 1.0, seed: int | None = None) -> None:
        self.state = state
        self.speed = speed
        self.rng = random.Random(seed)
        self.plans: dict[str, _Plan] = {}
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _seconds(self, seconds: float) -> timedelta:
        return timedelta(seconds=seconds / self.speed)

    async def _run(self) -> None:
        while True:
            self.step()
            await asyncio.sleep(max(0.05, 1.0 / self.speed))

    def step(self) -> None:
        """One tick of the restaurant; exposed so tests can drive it without waiting."""
        now = self.state.clock.now()
        active = {o.name: o for o in self.state.active_orders()}
        for name in [n for n in self.plans if n not in active]:
            del self.plans[name]  # cleared by someone else: the manager, a POS
        for name, plan in list(self.plans.items()):
            order = active[name]
            try:
                if plan.clear_at <= now:
                    self.state.tracker_cleared(name)
                    del self.plans[name]
                elif plan.sit_at and plan.sit_at <= now and order.state is OrderState.STARTED:
                    self.state.tracker_at_table(name, str(self.rng.choice(TABLES)))
                elif plan.page_at and plan.page_at <= now and not order.paged:
                    self.state.page(name)
            except GatewayError:
                self.plans.pop(name, None)
        if len(active) < 12 and self.rng.random() < 0.08 * self.speed:
            self._start_one(now, set(active))

    def _start_one(self, now: datetime, busy: set[str]) -> None:
        free = [str(n) for n in TRACKERS if str(n) not in busy]
        if not free:
            return
        name = self.rng.choice(free)
        to_go = self.rng.random() < 0.2
        self.state.tracker_started(name, OrderType.TO_GO if to_go else OrderType.ON_PREMISES)
        delivery = self.rng.lognormvariate(math.log(240), 0.45)
        sits = self.rng.random() < (0.3 if to_go else 0.95)
        self.plans[name] = _Plan(
            sit_at=now + self._seconds(self.rng.uniform(8, 45)) if sits else None,
            page_at=now + self._seconds(delivery * 0.7) if to_go else None,
            clear_at=now + self._seconds(delivery),
        )
