"""The demo's lunch rush: delivery times spread around the target, and it never stalls."""

from __future__ import annotations

import statistics
from datetime import timedelta

from ttgateway.protocol import OrderType
from ttgateway.simulator.clock import SimClock
from ttgateway.simulator.gateway import GatewayState
from ttgateway.simulator.traffic import DemoTraffic, generate_history

TARGET = 300
NEAR = 240


def frozen_state() -> GatewayState:
    clock = SimClock()
    clock.freeze()
    return GatewayState(clock)


def run_for(traffic: DemoTraffic, seconds: int) -> None:
    for _ in range(seconds):
        traffic.step()
        traffic.state.clock.advance(1)


def deliveries(state: GatewayState) -> list[float]:
    return [(r.cleared - r.started).total_seconds() for r in state.history]


def test_the_demo_opens_mid_rush_with_orders_within_near_and_over_the_target():
    state = frozen_state()
    DemoTraffic(state, seed=3).step()

    now = state.clock.now()
    ages = [(now - o.created).total_seconds() for o in state.active_orders()]

    assert any(age < NEAR for age in ages)
    assert any(NEAR <= age <= TARGET for age in ages)
    assert any(age > TARGET for age in ages)


def test_live_delivery_times_spread_around_the_target_most_within_a_few_over():
    state = frozen_state()
    run_for(DemoTraffic(state, seed=5), 3 * 3600)

    times = deliveries(state)
    within = sum(t < NEAR for t in times) / len(times)
    near = sum(NEAR <= t <= TARGET for t in times) / len(times)
    over = sum(t > TARGET for t in times) / len(times)

    assert len(times) > 300
    assert within > 0.5
    assert 0.1 < near < 0.4
    assert 0.04 < over < 0.25


def test_live_clears_keep_todays_average_delivery_where_the_history_put_it():
    state = frozen_state()
    history = generate_history(state, days=3, orders_per_day=400, seed=11)
    run_for(DemoTraffic(state, seed=9), 2 * 3600)

    past = statistics.mean((r.cleared - r.started).total_seconds() for r in history)
    live = statistics.mean(deliveries(state))

    assert abs(live - past) / past < 0.15


def test_the_demo_carries_on_with_orders_it_did_not_plan_after_a_restart():
    state = frozen_state()
    kept = [
        state.tracker_started(
            str(n), OrderType.ON_PREMISES, started=state.clock.now() - timedelta(seconds=60 * n)
        )
        for n in range(1, 31)
    ]
    traffic = DemoTraffic(state, seed=2)  # a new process: it planned none of these

    run_for(traffic, 15 * 60)

    still = {o.uuid for o in state.active_orders()}
    assert not still & {o.uuid for o in kept}
    assert state.active_orders(), "new guests keep arriving"
