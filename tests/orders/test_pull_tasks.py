"""The pull's tasks: the beat fans out per paired gateway, pairing starts a backfill, and a real
Celery worker (in-process, memory broker) runs a pull end to end."""

from __future__ import annotations

from typing import Any

import pytest

from gateways import services
from gateways.models import Gateway, PairingAttempt
from orders import tasks
from orders.models import OrderRecord, PullCheckpoint
from tests.factories import GatewayFactory
from ttgateway.waiting import wait_until


@pytest.fixture
def sent(monkeypatch) -> list[tuple[Any, ...]]:
    """The pulls enqueued, instead of sending them to a broker."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        tasks.pull_gateway_history,
        "apply_async",
        lambda args, **options: calls.append((args, options)),
    )
    return calls


def test_history_is_pulled_every_five_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["pull-order-history"]

    assert entry["task"] == "orders.tasks.pull_all_history"
    assert entry["schedule"] == 300


@pytest.mark.django_db
def test_the_beat_task_enqueues_one_pull_per_paired_gateway(site, sent):
    online = GatewayFactory.create(site=site, status=Gateway.Status.ONLINE)
    offline = GatewayFactory.create(site=site, status=Gateway.Status.OFFLINE)
    GatewayFactory.create(site=site, status=Gateway.Status.UNPAIRED)

    tasks.pull_all_history()

    assert sorted(args for args, _ in sent) == [(online.pk,), (offline.pk,)]
    assert all(options["expires"] == 300 for _, options in sent)


@pytest.mark.django_db
def test_pairing_a_gateway_enqueues_its_backfill_once_committed(
    gateway, sim, sent, django_capture_on_commit_callbacks
):
    sim.controls.press_button()
    attempt = services.start_pairing(gateway, None)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_pairing(attempt.pk).outcome == PairingAttempt.Outcome.PAIRED

    assert [args for args, _ in sent] == [(gateway.pk,)]


@pytest.mark.django_db
def test_a_failed_pairing_enqueues_nothing(gateway, sim, sent, django_capture_on_commit_callbacks):
    attempt = services.start_pairing(gateway, None)  # nobody pressed the button

    with django_capture_on_commit_callbacks(execute=True):
        services.run_pairing(attempt.pk)

    assert sent == []


@pytest.mark.django_db
def test_the_pull_task_called_directly_reports_its_outcome(paired_gateway, sim):
    sim.controls.seed_history(days=2, orders_per_day=30)

    assert tasks.pull_gateway_history(paired_gateway.pk) == "done"
    assert tasks.pull_gateway_history(paired_gateway.pk + 1000) == "skipped"


def test_a_real_worker_backfills_a_gateway_as_soon_as_it_is_paired(gateway, sim, worker):
    sim.controls.freeze_clock()
    held = sim.controls.seed_history(days=13, orders_per_day=120).history_count
    sim.controls.press_button()

    services.run_pairing(services.start_pairing(gateway, None).pk)

    wait_until(lambda: OrderRecord.objects.count() == held)
    wait_until(lambda: PullCheckpoint.objects.filter(last_success__isnull=False).exists())
    assert OrderRecord.objects.filter(confirmed=True).count() == held
