"""Gateway tasks: called directly, and run by a real Celery worker (in-process, memory broker)."""

from __future__ import annotations

import pytest

from gateways import tasks
from gateways.models import Gateway, PairingAttempt
from ttgateway.waiting import wait_until


@pytest.mark.django_db
def test_the_health_task_called_directly_brings_a_paired_gateway_online(paired_gateway, sim):
    Gateway.objects.filter(pk=paired_gateway.pk).update(status=Gateway.Status.OFFLINE)

    answered = tasks.check_site_health(paired_gateway.site_id)

    paired_gateway.refresh_from_db()
    assert answered == 1
    assert paired_gateway.status == Gateway.Status.ONLINE


@pytest.mark.django_db
def test_discovery_skips_a_site_that_turned_it_off(site):
    site.discovery_enabled = False
    site.save()

    assert tasks.discover_gateways(site.pk) == 0


def test_a_real_worker_pairs_a_gateway_when_a_manager_clicks_pair(
    client, alice, gateway, sim, worker
):
    sim.controls.press_button()
    client.force_login(alice)

    client.post(f"/gateways/{gateway.pk}/pair")

    wait_until(lambda: PairingAttempt.objects.get().outcome != PairingAttempt.Outcome.WAITING)
    gateway.refresh_from_db()
    assert PairingAttempt.objects.get().outcome == PairingAttempt.Outcome.PAIRED
    assert gateway.status == Gateway.Status.ONLINE


def test_a_real_worker_notices_a_gateway_going_offline(paired_gateway, sim, worker):
    sim.stop()

    tasks.check_all_health.delay()

    wait_until(lambda: Gateway.objects.get().status == Gateway.Status.OFFLINE)
