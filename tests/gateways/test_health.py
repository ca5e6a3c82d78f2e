from __future__ import annotations

import time

import pytest

from gateways import services
from gateways.models import Gateway
from ttgateway.waiting import wait_until

pytestmark = pytest.mark.django_db


def check(gateway: Gateway) -> Gateway:
    services.check_gateways([gateway])
    gateway.refresh_from_db()
    return gateway


def test_a_paired_gateway_that_answers_is_online_and_seen(paired_gateway):
    gateway = check(paired_gateway)

    assert gateway.status == Gateway.Status.ONLINE
    assert gateway.reachable
    assert gateway.last_seen is not None
    assert gateway.firmware == "2.4.1-sim"


def test_a_gateway_that_goes_away_is_offline_after_one_check_well_within_ten_seconds(
    paired_gateway, sim
):
    sim.stop()
    went_away = time.monotonic()

    gateway = check(paired_gateway)

    assert gateway.status == Gateway.Status.OFFLINE
    assert gateway.last_error
    # One check decides; checks run every TTPORTAL_HEALTH_SECONDS (5 s), so offline shows
    # within 5 s plus this check's own duration.
    assert time.monotonic() - went_away < 5


def test_offline_and_back_online_are_recorded_with_their_time(paired_gateway, sim):
    sim.controls.set_faults(offline_seconds=1.5)
    wait_until(lambda: sim.call(lambda: sim.simulator.faults.offline_until), what="it to go")
    assert check(paired_gateway).status == Gateway.Status.OFFLINE
    wait_until(lambda: check(paired_gateway).status, expect=Gateway.Status.ONLINE)

    statuses = list(
        paired_gateway.status_changes.order_by("at", "id").values_list("status", flat=True)
    )
    assert statuses == ["online", "offline", "online"]


def test_an_unpaired_gateway_stays_unpaired_whether_or_not_it_answers(gateway, sim):
    assert check(gateway).status == Gateway.Status.UNPAIRED
    assert gateway.reachable

    sim.stop()

    assert check(gateway).status == Gateway.Status.UNPAIRED
    assert not gateway.reachable


def test_a_token_revoked_on_the_gateway_leads_to_needs_pairing(paired_gateway, sim):
    paired_gateway.token_checked = None  # the token check is due
    sim.call(sim.state.delete_tokens)

    gateway = check(paired_gateway)

    assert gateway.status == Gateway.Status.NEEDS_PAIRING
    assert "pair it again" in gateway.last_error
    assert gateway.current_token() is None


def test_a_gateway_that_needs_pairing_is_not_asked_again_with_the_refused_token(
    paired_gateway, sim
):
    paired_gateway.token_checked = None  # the token check is due
    sim.call(sim.state.delete_tokens)
    check(paired_gateway)

    [seen] = services.check_gateways([paired_gateway])

    paired_gateway.refresh_from_db()
    assert paired_gateway.status == Gateway.Status.NEEDS_PAIRING
    assert seen.info is not None, "liveness goes on, so the badge still says it answers"
    assert not seen.token_checked
