"""Gateway tasks: called directly, and run by a real Celery worker (in-process, memory broker)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

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


def _heard(gateway: Gateway, ago: timedelta, token_checked: timedelta = timedelta()) -> None:
    now = timezone.now()
    Gateway.objects.filter(pk=gateway.pk).update(
        status=Gateway.Status.ONLINE,
        reachable=True,
        relay_heard=now - ago,
        token_checked=now - token_checked,
    )


@pytest.mark.django_db
def test_the_health_task_leaves_alone_a_gateway_the_relay_has_just_heard(paired_gateway, sim):
    _heard(paired_gateway, ago=timedelta(seconds=1))
    sim.stop()  # a probe would find it gone: none is made

    assert tasks.check_site_health(paired_gateway.site_id) == 1

    assert Gateway.objects.get().status == Gateway.Status.ONLINE


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("heard", "token_checked"),
    [
        (timedelta(minutes=1), timedelta()),  # the relay has not heard it lately
        (timedelta(seconds=1), timedelta(days=30)),  # its token is due for its own check
    ],
)
def test_the_health_task_probes_a_gateway_the_relay_does_not_vouch_for(
    paired_gateway, sim, heard, token_checked
):
    _heard(paired_gateway, ago=heard, token_checked=token_checked)
    sim.stop()

    assert tasks.check_site_health(paired_gateway.site_id) == 0

    assert Gateway.objects.get().status == Gateway.Status.OFFLINE


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
