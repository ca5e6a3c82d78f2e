"""Idempotency-Key: the first answer is kept and replayed, the gateway acts once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import AuditEntry
from orders.services.commands import delete_order
from tests.api.support import client_for
from ttportal.models import IdempotentRequest

ORDER = {"number": "12", "type": "to_go"}


def orders_url(gateway) -> str:
    return f"/api/v1/gateways/{gateway.pk}/orders/"


def starts_audited() -> int:
    return AuditEntry.objects.filter(action="start").count()


@pytest.mark.django_db
def test_a_retry_replays_the_first_answer_and_the_gateway_acts_once(
    riverside, paired_gateway, sim, as_alice
):
    first = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="order-12-a")
    # Someone clears order 12 at the counter: if the retry acted again, 12 would be back.
    delete_order(paired_gateway, as_alice, "12")

    retry = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="order-12-a")

    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert retry.json() == first.json()
    assert sim.controls.state().active_names == []
    assert starts_audited() == 1


@pytest.mark.django_db
def test_a_quoted_key_is_the_same_key(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-1")

    retry = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY='"k-1"')

    assert retry["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_delete_is_replayed_too(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), ORDER)
    first = riverside.delete(f"{orders_url(paired_gateway)}12/", HTTP_IDEMPOTENCY_KEY="clear-12")

    retry = riverside.delete(f"{orders_url(paired_gateway)}12/", HTTP_IDEMPOTENCY_KEY="clear-12")

    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert AuditEntry.objects.filter(action="delete").count() == 1


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-2")

    response = riverside.post(
        orders_url(paired_gateway), {"number": "13", "type": "to_go"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert sim.controls.state().active_names == ["12"]


@pytest.mark.django_db
def test_the_same_key_on_another_path_is_422(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-3")

    response = riverside.delete(orders_url(paired_gateway), HTTP_IDEMPOTENCY_KEY="k-3")

    assert response.status_code == 422
    assert sim.controls.state().active_names == ["12"]


@pytest.mark.django_db
def test_keys_of_two_api_keys_never_meet(riverside, paired_gateway, sim, site):
    from tests.api.support import issue_key

    other = client_for(issue_key("Second till", site))
    riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="shared")

    response = other.post(
        orders_url(paired_gateway), {"number": "13", "type": "to_go"}, HTTP_IDEMPOTENCY_KEY="shared"
    )

    assert response.status_code == 201
    assert sim.controls.state().active_names == ["12", "13"]


@pytest.mark.django_db
def test_a_retry_while_the_first_is_still_running_is_409(
    riverside, riverside_key, paired_gateway, sim
):
    # The first request is mid-flight in another web process: its claim is there, unanswered.
    now = timezone.now()
    first = client_for(riverside_key)
    first.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-4")
    IdempotentRequest.objects.filter(key="k-4").update(status=None, body=None, created=now)

    response = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-4")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"
    assert starts_audited() == 1


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_process_is_taken_over(riverside, paired_gateway, sim):
    riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-5")
    long_ago = timezone.now() - timedelta(minutes=10)
    IdempotentRequest.objects.filter(key="k-5").update(status=None, body=None, created=long_ago)

    response = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-5")

    assert response.status_code == 200
    assert response.json()["result"] == "already_started"


@pytest.mark.django_db
def test_an_error_answer_is_not_kept_so_a_retry_acts(riverside, paired_gateway, sim):
    sim.controls.set_faults(refuse=True)
    refused = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-6")
    sim.controls.set_faults(refuse=False)

    retry = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-6")

    assert refused.status_code == 503
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert sim.controls.state().active_names == ["12"]


@pytest.mark.django_db
def test_an_expired_key_acts_again(riverside, paired_gateway, sim, as_alice):
    riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-7")
    delete_order(paired_gateway, as_alice, "12")
    IdempotentRequest.objects.filter(key="k-7").update(expires=timezone.now())

    retry = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="k-7")

    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    assert sim.controls.state().active_names == ["12"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "x" * 256, "é-non-ascii"])
def test_an_unusable_key_is_refused_before_acting(riverside, paired_gateway, sim, value):
    response = riverside.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY=value)

    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert sim.controls.state().active_names == []


@pytest.mark.django_db(transaction=True)
def test_two_processes_racing_with_one_key_act_once(riverside_key, paired_gateway, sim):
    sim.controls.set_faults(delay_ms=400)  # the first is still running when the second comes
    start = threading.Barrier(2)
    answers: list[tuple[int, str | None]] = []

    def send() -> None:
        client = client_for(riverside_key)
        start.wait()
        try:
            response = client.post(orders_url(paired_gateway), ORDER, HTTP_IDEMPOTENCY_KEY="race")
            answers.append((response.status_code, response.get("Idempotent-Replayed")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (201, None) in answers, answers
    other = (
        next(a for a in answers if a != (201, None)) if answers.count((201, None)) == 1 else None
    )
    assert other in ((409, None), (201, "true")), answers
    assert starts_audited() == 1
    assert sim.controls.state().active_names == ["12"]
