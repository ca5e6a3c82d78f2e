"""Webhooks: a key's endpoints over the API, and deliveries per Standard Webhooks 1.0 to a real
receiver on loopback that checks every signature with the reference library."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from django.contrib.auth.models import User
from standardwebhooks import Webhook, WebhookVerificationError

from gateways.models import Gateway, Site
from orders import tasks
from orders.models import Event, WebhookDelivery, WebhookEndpoint
from orders.services import webhooks
from orders.services.mirror import Change, apply_order
from tests.api.support import IssuedKey, client_for
from tests.api.test_events import UUID_A, UUID_B, seen
from tests.factories import GatewayFactory
from ttgateway.protocol import OrderState
from ttgateway.waiting import wait_until
from ttportal.models import IdempotentRequest


@dataclass
class Request:
    """One request as the receiver got it, and whether its signature held."""

    path: str
    headers: dict[str, str]
    body: str
    verified: bool
    answered: int


class Receiver:
    """A plugin's webhook endpoint on loopback, in a thread of its own. Answers the statuses
    of ``script`` in turn (then 204), after checking the signature with ``standardwebhooks``."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.secret = ""
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == "/hook" and 200 <= r.answered < 300]

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.text()
        try:
            Webhook(self.secret).verify(body, dict(request.headers))
            verified = True
        except WebhookVerificationError:
            verified = False
        with self._lock:
            status = self.script.pop(0) if self.script else 204
            if not verified:
                status = 401
            self.requests.append(
                Request(request.path, dict(request.headers), body, verified, status)
            )
        if status in (301, 302, 307, 308):
            raise web.HTTPTemporaryRedirect("/elsewhere")
        return web.Response(status=status)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/elsewhere", self._hook)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = self._runner.addresses[0][1]
        self._started.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())

    def __enter__(self) -> Receiver:
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def kitchen(site: Site) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen")


@pytest.fixture
def fast_retries(settings: Any) -> None:
    """The spec's schedule, without the waiting: every retry at once."""
    settings.TTPORTAL_WEBHOOK_RETRY_SCHEDULE = [0.0] * 8


def subscribe(key: IssuedKey, receiver: Receiver, types: list[str] | None = None) -> int:
    """Create an endpoint through the API, as a plugin does; the receiver learns the secret."""
    body: dict[str, Any] = {"url": receiver.url}
    if types is not None:
        body["event_types"] = types
    answer = client_for(key).post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 201, answer.json()
    receiver.secret = answer.json()["secret"]
    return int(answer.json()["id"])


def deliver_all() -> None:
    """Without a worker: owe every event, then make every due attempt until none is due."""
    for event_id in Event.objects.order_by("id").values_list("id", flat=True):
        webhooks.enqueue_deliveries(event_id)
    while True:
        due = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING)
        outcomes = [webhooks.attempt(pk) for pk in due.values_list("pk", flat=True)]
        if not any(o == "retrying" for o in outcomes):
            return


# The endpoints API.


def test_a_key_makes_an_endpoint_and_sees_its_secret_only_once(riverside_key, receiver):
    plugin = client_for(riverside_key)
    made = plugin.post(
        "/api/v1/webhooks/", {"url": receiver.url, "event_types": ["order.created"]}, format="json"
    )

    assert made.status_code == 201
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    endpoint_url = f"/api/v1/webhooks/{made.json()['id']}/"
    assert "secret" not in plugin.get(endpoint_url).json()
    assert "secret" not in plugin.get("/api/v1/webhooks/").json()[0]
    stored = WebhookEndpoint.objects.get()
    assert secret not in stored.secret_sealed


def test_a_read_only_key_may_keep_endpoints_too(riverside_reader, receiver):
    assert subscribe(riverside_reader, receiver) > 0


def test_another_key_s_endpoints_are_not_found(riverside_key, hilltop_key, receiver):
    endpoint = subscribe(riverside_key, receiver)
    other = client_for(hilltop_key)

    assert other.get("/api/v1/webhooks/").json() == []
    assert other.get(f"/api/v1/webhooks/{endpoint}/").status_code == 404
    patch = other.patch(f"/api/v1/webhooks/{endpoint}/", {"enabled": False}, format="json")
    assert patch.status_code == 404
    assert other.delete(f"/api/v1/webhooks/{endpoint}/").status_code == 404
    assert WebhookEndpoint.objects.get().enabled


def test_a_person_s_session_has_no_webhooks(alice, client):
    client.force_login(alice)

    answer = client.get("/api/v1/webhooks/")

    assert answer.status_code in (401, 403)
    assert answer["Content-Type"] == "application/problem+json"


def test_an_internal_address_is_refused_where_settings_do_not_open_it(riverside_key, settings):
    settings.TTPORTAL_WEBHOOK_NETWORKS = []

    answer = client_for(riverside_key).post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook"}, format="json"
    )

    assert answer.status_code == 400
    assert "url" in answer.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_an_unknown_event_type_is_refused(riverside_key, receiver):
    answer = client_for(riverside_key).post(
        "/api/v1/webhooks/", {"url": receiver.url, "event_types": ["order.eaten"]}, format="json"
    )

    assert answer.status_code == 400
    assert "event_types" in answer.json()["errors"]


def test_a_key_changes_and_deletes_its_endpoint(riverside_key, receiver):
    endpoint = subscribe(riverside_key, receiver)
    plugin = client_for(riverside_key)

    changed = plugin.patch(
        f"/api/v1/webhooks/{endpoint}/", {"event_types": ["gateway.offline"]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["event_types"] == ["gateway.offline"]
    assert plugin.delete(f"/api/v1/webhooks/{endpoint}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


# Deliveries.


def test_each_request_is_signed_per_standard_webhooks(riverside_key, receiver, kitchen):
    subscribe(riverside_key, receiver)
    apply_order(kitchen, seen(), Change.CREATED)

    deliver_all()

    (request,) = receiver.requests
    assert request.verified
    event = Event.objects.get()
    assert request.headers["webhook-id"] == f"evt_{event.pk}"
    assert request.headers["webhook-signature"].startswith("v1,")
    body = Webhook(receiver.secret).verify(request.body, request.headers)
    assert (body["id"], body["type"], body["data"]["number"]) == (event.pk, "order.created", "12")
    assert body["timestamp"] == body["occurred_at"]
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.DELIVERED


def test_a_url_by_name_is_dialled_at_the_address_the_rule_checked(riverside_key, receiver, kitchen):
    plugin = client_for(riverside_key)
    by_name = receiver.url.replace("127.0.0.1", "localhost")
    made = plugin.post("/api/v1/webhooks/", {"url": by_name}, format="json")
    receiver.secret = made.json()["secret"]
    apply_order(kitchen, seen(), Change.CREATED)

    deliver_all()

    assert [r.verified for r in receiver.delivered()] == [True]


def test_a_wrong_secret_does_not_verify(riverside_key, receiver, kitchen):
    subscribe(riverside_key, receiver)
    receiver.secret = webhooks.new_secret()  # the receiver holds another endpoint's secret
    apply_order(kitchen, seen(), Change.CREATED)

    webhooks.enqueue_deliveries(Event.objects.get().pk)
    webhooks.attempt(WebhookDelivery.objects.get().pk)

    assert [r.verified for r in receiver.requests] == [False]
    assert WebhookDelivery.objects.get().last_status == 401


def test_only_the_types_asked_for_are_sent(riverside_key, receiver, kitchen):
    subscribe(riverside_key, receiver, types=["order.located"])
    apply_order(kitchen, seen(), Change.CREATED)
    apply_order(kitchen, seen(state=OrderState.LOCATED, table="7"), Change.MODIFIED)

    deliver_all()

    assert [r.headers["webhook-id"] for r in receiver.delivered()] == [
        f"evt_{Event.objects.get(type='order.located').pk}"
    ]


def test_another_site_s_events_are_not_sent(hilltop_key, receiver, kitchen):
    subscribe(hilltop_key, receiver)
    apply_order(kitchen, seen(), Change.CREATED)

    deliver_all()

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_410_disables_the_endpoint_and_nothing_more_is_sent(riverside_key, receiver, kitchen):
    subscribe(riverside_key, receiver)
    receiver.script = [410]
    apply_order(kitchen, seen(UUID_A, "1"), Change.CREATED)
    deliver_all()

    apply_order(kitchen, seen(UUID_B, "2"), Change.CREATED)
    deliver_all()

    endpoint = WebhookEndpoint.objects.get()
    assert not endpoint.enabled
    assert "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().state == WebhookDelivery.State.CANCELLED


def test_nothing_more_is_sent_for_a_revoked_key(riverside_key, receiver, kitchen):
    subscribe(riverside_key, receiver)
    apply_order(kitchen, seen(UUID_A, "1"), Change.CREATED)
    webhooks.enqueue_deliveries(Event.objects.get().pk)
    type(riverside_key.model).objects.filter(pk=riverside_key.model.pk).update(revoked=True)

    outcome = webhooks.attempt(WebhookDelivery.objects.get().pk)
    apply_order(kitchen, seen(UUID_B, "2"), Change.CREATED)
    deliver_all()

    assert outcome == "cancelled"
    assert receiver.requests == []


def test_a_redirect_is_not_followed(riverside_key, receiver, kitchen, settings):
    settings.TTPORTAL_WEBHOOK_RETRY_SCHEDULE = [0.0]  # one attempt only
    subscribe(riverside_key, receiver)
    receiver.script = [307]
    apply_order(kitchen, seen(), Change.CREATED)

    deliver_all()

    assert [r.path for r in receiver.requests] == ["/hook"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status) == (WebhookDelivery.State.FAILED, 307)


def test_an_address_closed_since_creation_is_refused_at_delivery(
    riverside_key, receiver, kitchen, settings
):
    subscribe(riverside_key, receiver)
    settings.TTPORTAL_WEBHOOK_NETWORKS = []
    apply_order(kitchen, seen(), Change.CREATED)

    webhooks.enqueue_deliveries(Event.objects.get().pk)
    outcome = webhooks.attempt(WebhookDelivery.objects.get().pk)

    assert outcome == "retrying"
    assert receiver.requests == []
    assert "outbound" in WebhookDelivery.objects.get().last_error


def test_the_retry_schedule_is_the_spec_s_with_jitter():
    spec = [5, 300, 1800, 7200, 18000, 36000, 36000]

    delays = [webhooks.retry_delay(attempts) for attempts in range(1, 9)]

    assert delays[-1] is None  # eight attempts, about three days: then it gives up
    for delay, planned in zip(delays, spec, strict=False):
        assert delay is not None
        assert planned * 0.9 <= delay <= planned * 1.1


def test_a_second_run_of_a_delivered_attempt_sends_nothing(riverside_key, receiver, kitchen):
    subscribe(riverside_key, receiver)
    apply_order(kitchen, seen(), Change.CREATED)
    deliver_all()
    delivery = WebhookDelivery.objects.get()

    assert tasks.send_webhook(delivery.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_send_again_from_the_admin_delivers_once_more(
    riverside_key, receiver, kitchen, client, django_capture_on_commit_callbacks
):
    subscribe(riverside_key, receiver)
    apply_order(kitchen, seen(), Change.CREATED)
    deliver_all()
    delivery = WebhookDelivery.objects.get()
    admin = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(admin)

    with django_capture_on_commit_callbacks() as scheduled:
        client.post(
            "/admin/orders/webhookdelivery/",
            {"action": "send_again", "_selected_action": [delivery.pk]},
        )

    assert len(scheduled) == 1
    assert webhooks.attempt(delivery.pk) == "delivered"
    assert [r.headers["webhook-id"] for r in receiver.delivered()] == [delivery.message_id] * 2


# Through a real Celery worker: retries end in exactly one accepted delivery per event.


@pytest.mark.usefixtures("fast_retries")
def test_a_receiver_failing_twice_then_accepting_gets_each_event_once(
    worker, receiver, site, riverside_key
):
    kitchen = GatewayFactory.create(site=site, name="Kitchen")
    subscribe(riverside_key, receiver)
    receiver.script = [500, 503]
    apply_order(kitchen, seen(UUID_A, "1"), Change.CREATED)
    apply_order(kitchen, seen(UUID_B, "2"), Change.CREATED)
    expected = sorted(f"evt_{pk}" for pk in Event.objects.values_list("pk", flat=True))

    delivered = WebhookDelivery.objects.filter(state=WebhookDelivery.State.DELIVERED)
    wait_until(lambda: delivered.count() == 2)

    assert sorted(r.headers["webhook-id"] for r in receiver.delivered()) == expected
    assert all(r.verified for r in receiver.requests)
    assert [r.answered for r in receiver.requests].count(204) == 2
    assert sum(WebhookDelivery.objects.values_list("attempts", flat=True)) == 4
    assert webhooks.send_due() == 0


def test_a_retried_creation_makes_one_endpoint_and_keeps_no_secret_in_clear(
    riverside_key, receiver
):
    plugin = client_for(riverside_key)
    body = {"url": receiver.url}
    headers = {"Idempotency-Key": "3b8e0c1e-create-hook"}

    first = plugin.post("/api/v1/webhooks/", body, format="json", headers=headers)
    again = plugin.post("/api/v1/webhooks/", body, format="json", headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert WebhookEndpoint.objects.count() == 1
    kept = IdempotentRequest.objects.get()
    assert first.json()["secret"] not in str(kept.body)


def test_the_delivery_log_is_for_superusers_and_never_shows_a_secret(
    riverside_key, receiver, kitchen, client, alice
):
    subscribe(riverside_key, receiver)
    apply_order(kitchen, seen(), Change.CREATED)
    deliver_all()
    alice.is_staff = True
    alice.save()
    client.force_login(alice)
    assert client.get("/admin/orders/webhookdelivery/").status_code == 403

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-for-tests"))
    log = client.get("/admin/orders/webhookdelivery/")
    endpoint = client.get(
        f"/admin/orders/webhookendpoint/{WebhookEndpoint.objects.get().pk}/change/"
    )

    assert log.status_code == 200
    assert f"evt_{Event.objects.get().pk}" in log.content.decode()
    assert endpoint.status_code == 200
    sealed = WebhookEndpoint.objects.get().secret_sealed
    assert receiver.secret not in endpoint.content.decode()
    assert sealed not in endpoint.content.decode()
