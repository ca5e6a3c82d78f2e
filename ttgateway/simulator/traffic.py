"""Realistic restaurant traffic: two weeks of past lunch and dinner rushes, and a live demo.

Both are seeded, so a test or a benchmark that asks for the same seed gets the same orders, and
both draw delivery times from one distribution (:func:`delivery_seconds`), so the live demo's
clears keep "average delivery today" where the day's history put it. Against the usual
five-minute target most orders arrive within it, some come near it and a few go over: what a
board's colours are for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ttgateway.protocol import HISTORY_RETENTION_DAYS, ClearReason, OrderState, OrderType
from ttgateway.simulator.gateway import GatewayError, GatewayState
from ttgateway.simulator.records import ActiveOrder, FinishedOrder

log = logging.getLogger(__name__)

TRACKERS = range(1, 61)
TABLES = range(1, 41)

# Delivery times: log-normal around a median of 3:35, so against a 5:00 target about 64 % are
# well within, 23 % near (the last fifth) and 13 % over; a rush hour adds a tenth.
DELIVERY_MEDIAN_SECONDS = 215.0
DELIVERY_SPREAD = 0.3
RUSH_FACTOR = 1.1
# The live demo: new orders per second at speed 1 (about eleven waiting at once), at most this
# many waiting, and how far back the orders go that are already waiting when it opens.
ARRIVALS_PER_SECOND = 0.05
MAX_ACTIVE = 24
OPENING_ORDERS = 12
OPENING_SPAN_SECONDS = 330.0
TICK_SECONDS = 1.0


def delivery_seconds(rng: random.Random, rush: float = 1.0) -> float:
    """One order's time from start to clear, in seconds (history and live demo alike)."""
    return min(
        rng.lognormvariate(math.log(DELIVERY_MEDIAN_SECONDS * rush), DELIVERY_SPREAD), 3600.0
    )


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
    rush = RUSH_FACTOR if hour in (12, 13, 19, 20) else 1.0
    delivery = delivery_seconds(rng, rush)
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

    Delivery times are real seconds whatever the ``speed`` (a card's colour must mean what it
    means on a real board); ``speed`` multiplies how many guests arrive. The demo opens in the
    middle of a rush (orders already waiting, some near or over the target), and it takes over
    any order it finds waiting that it did not plan, such as those kept in a state file across
    a restart, those started by hand or by a POS: so it never stalls.
    """

    def __init__(self, state: GatewayState, speed: float = 1.0, seed: int | None = None) -> None:
        self.state = state
        self.speed = speed
        self.rng = random.Random(seed)
        self.plans: dict[str, _Plan] = {}
        self.opened = False
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

    async def _run(self) -> None:
        while True:
            try:
                self.step()
            except Exception:  # one bad tick must never end the demo for good
                log.exception("demo traffic: a tick failed; carrying on")
            await asyncio.sleep(TICK_SECONDS)

    def step(self) -> None:
        """One tick of the restaurant; exposed so tests can drive it without waiting."""
        now = self.state.clock.now()
        active = {o.name: o for o in self.state.active_orders()}
        if not self.opened:
            self.opened = True
            if not active:
                self._open_mid_rush(now)
                active = {o.name: o for o in self.state.active_orders()}
        for name in [n for n in self.plans if n not in active]:
            del self.plans[name]  # cleared by someone else: the manager, a POS
        for name, order in active.items():
            if name not in self.plans:
                self.plans[name] = self._adopt(order, now)
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
                # Paging an order without a tracker, say: the order still clears on time.
                plan.page_at = None
        arrivals = ARRIVALS_PER_SECOND * self.speed * TICK_SECONDS
        if len(active) < MAX_ACTIVE and self.rng.random() < arrivals:
            self._start_one(now, set(active))

    def _plan(self, started: datetime, to_go: bool, now: datetime) -> _Plan:
        """When an order started at ``started`` sits, is paged and clears (never in the past)."""
        age = (now - started).total_seconds()
        delivery = delivery_seconds(self.rng)
        for _ in range(5):  # an order still waiting at ``age`` is one that takes longer
            if delivery > age:
                break
            delivery = delivery_seconds(self.rng)
        clear_at = started + timedelta(seconds=delivery)
        if clear_at <= now:
            clear_at = now + timedelta(seconds=self.rng.uniform(5, 60))
        sits = self.rng.random() < (0.3 if to_go else 0.95)
        sit_at = max(started + timedelta(seconds=self.rng.uniform(8, 45)), now)
        return _Plan(
            sit_at=sit_at if sits else None,
            page_at=started + timedelta(seconds=delivery * 0.7) if to_go else None,
            clear_at=clear_at,
        )

    def _adopt(self, order: ActiveOrder, now: datetime) -> _Plan:
        plan = self._plan(order.created, order.order_type is OrderType.TO_GO, now)
        if order.state is not OrderState.STARTED:
            plan.sit_at = None
        return plan

    def _open_mid_rush(self, now: datetime) -> None:
        """Orders already waiting when the demo opens, their ages spread over a rush: the board
        shows every colour from the first minute, not after five."""
        step = OPENING_SPAN_SECONDS / OPENING_ORDERS
        for i in range(OPENING_ORDERS):
            age = step * (i + self.rng.random())
            self._start_one(now, {o.name for o in self.state.active_orders()}, age)

    def _start_one(self, now: datetime, busy: set[str], age: float = 0.0) -> None:
        free = [str(n) for n in TRACKERS if str(n) not in busy]
        if not free:
            return
        name = self.rng.choice(free)
        to_go = self.rng.random() < 0.2
        started = now - timedelta(seconds=int(age))
        order_type = OrderType.TO_GO if to_go else OrderType.ON_PREMISES
        self.state.tracker_started(name, order_type, started=started if age else None)
        self.plans[name] = self._plan(started, to_go, now)
