"""Webhooks: each event pushed to the endpoints of the keys that may see it, per Standard
Webhooks 1.0 (https://www.standardwebhooks.com/).

Every request carries ``webhook-id`` (the same on every attempt of one event, so a receiver
drops repeats), ``webhook-timestamp`` (seconds; receivers refuse one more than 5 minutes off)
and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, signed by the
reference ``standardwebhooks`` library. A failed attempt is retried on the spec's schedule
(``TTPORTAL_WEBHOOK_RETRY_SCHEDULE``: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
with jitter); a 410 Gone disables the endpoint. Each attempt obeys the portal's outbound rule
(``gateways.outbound``) at the moment it dials, follows no redirect, and is bounded in time
and in how much of the answer it reads.

Delivery order is not guaranteed and a push may come late: the feed is the source of truth.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import random
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from gateways import crypto, outbound
from gateways.models import ApiKey
from orders.models import Event, WebhookDelivery, WebhookEndpoint
from orders.services.events import event_payload
from ttgateway.bridge import run_blocking
from ttportal.sqlnames import Names

log = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's marker, not a secret
SECRET_BYTES = 32
# How much of a receiver's answer is read (kept for the delivery log): the status is what
# counts, and a receiver answering gigabytes must not hold a worker.
MAX_ANSWER_BYTES = 16 * 1024
USER_AGENT = "TT-Portal-Webhooks/1.0"
# A claimed attempt not finished by then (a worker died mid-request) may be claimed again.
CLAIM_MARGIN_SECONDS = 30.0
# The worker's clock and the broker's countdown may disagree by a little.
EARLY_TOLERANCE = timedelta(seconds=1)
EVENT_TYPES = frozenset(Event.Type.values)


class InvalidWebhook(ValueError):
    """An endpoint that cannot be kept: its URL is refused or names an unknown event type."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and base64 of random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def check_url(url: str) -> None:
    try:
        outbound.check_webhook_url(url)
    except outbound.DestinationRefused as exc:
        raise InvalidWebhook("url", str(exc)) from exc


def check_types(types: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(types))
    unknown = [t for t in wanted if t not in EVENT_TYPES]
    if unknown:
        raise InvalidWebhook("event_types", f"Unknown event types: {', '.join(unknown)}.")
    return wanted


def create_endpoint(
    key: ApiKey, url: str, event_types: Iterable[str] = (), description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint for ``key`` and its secret, in clear for the one time it is shown."""
    check_url(url)
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        api_key=key,
        url=url,
        event_types=check_types(event_types),
        description=description,
        secret_sealed=crypto.seal(secret),
    )
    return endpoint, secret


def update_endpoint(endpoint: WebhookEndpoint, changes: dict[str, Any]) -> WebhookEndpoint:
    """Change URL, types, description or enabled; enabling again clears the reason."""
    if "url" in changes:
        check_url(changes["url"])
    if "event_types" in changes:
        changes["event_types"] = check_types(changes["event_types"])
    for field, value in changes.items():
        setattr(endpoint, field, value)
    if changes.get("enabled"):
        endpoint.disabled_reason = ""
    endpoint.save()
    return endpoint


# Fan-out: one delivery per (event, endpoint that wants it).


def endpoints_for(event: Event) -> list[WebhookEndpoint]:
    """Enabled endpoints of usable keys that may see the event's site and want its type.

    The query is written out once (``_endpoints_sql``) because it runs for every event the
    mirror writes, and Django compiles a queryset anew each time: building this one (two
    joins, an ``OR``, ``DISTINCT``) was most of what an event cost on top of its insert.
    """
    connection = connections[WebhookEndpoint.objects.db]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    candidates = WebhookEndpoint.objects.raw(_endpoints_sql(connection.alias), [now, event.site_id])
    return [endpoint for endpoint in candidates if endpoint.wants(event.type)]


@functools.cache
def _endpoints_sql(alias: str) -> str:
    """The query of :func:`endpoints_for`, what ``WebhookEndpoint.objects.filter(enabled=True,
    api_key__revoked=False, api_key__sites=site).filter(Q(api_key__expiry_date__isnull=True)
    | Q(api_key__expiry_date__gt=now)).distinct()`` compiles to, names taken from the models.
    Parameters: now, then the site's id."""
    names = Names(alias)
    endpoint, key, through = WebhookEndpoint, ApiKey, ApiKey.sites.through
    columns = ", ".join(f"e.{names.quote(f.column)}" for f in endpoint._meta.concrete_fields)
    key_id = f"k.{names.pk(key)}"
    expiry = f"k.{names.column(key, 'expiry_date')}"
    return (
        f"SELECT {columns} FROM {names.table(endpoint)} e "  # noqa: S608 - names, no input
        f"JOIN {names.table(key)} k ON {key_id} = e.{names.column(endpoint, 'api_key')} "
        f"WHERE e.{names.column(endpoint, 'enabled')} AND NOT k.{names.column(key, 'revoked')} "
        f"AND ({expiry} IS NULL OR {expiry} > %s) "
        f"AND EXISTS (SELECT 1 FROM {names.table(through)} s "
        f"WHERE s.{names.column(through, 'apikey')} = {key_id} "
        f"AND s.{names.column(through, 'site')} = %s) "
        f"ORDER BY e.{names.pk(endpoint)}"
    )


def enqueue_deliveries(event_id: int) -> list[int]:
    """Owe the event to every endpoint that wants it, and send each at once (after commit)."""
    event = Event.objects.filter(pk=event_id).first()
    return [] if event is None else owe(event)


def owe(event: Event) -> list[int]:
    """:func:`enqueue_deliveries` for an event at hand (just committed): not read again."""
    now = timezone.now()
    owed = [
        WebhookDelivery(
            endpoint=endpoint, event=event, message_id=f"evt_{event.pk}", next_attempt_at=now
        )
        for endpoint in endpoints_for(event)
    ]
    if not owed:
        return []
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(owed, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(
                event=event, endpoint__in=[d.endpoint for d in owed], attempts=0
            ).values_list("pk", flat=True)
        )
        for delivery_id in ids:
            schedule(delivery_id, 0.0)
    return ids


def schedule(delivery_id: int, delay: float) -> None:
    """Hand an attempt to a worker once the caller's transaction commits."""
    from orders import tasks  # tasks call this module: imported when used

    transaction.on_commit(
        lambda: tasks.send_webhook.apply_async((delivery_id,), countdown=max(0.0, delay))
    )


# Sending one attempt.


@dataclass(frozen=True)
class Answer:
    """What came back from one attempt: a status, or why there was none."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_delay(attempts_made: int) -> float | None:
    """Seconds before the next attempt, with ±10 % jitter; None when the schedule is spent."""
    schedule_seconds = list(settings.TTPORTAL_WEBHOOK_RETRY_SCHEDULE)
    if attempts_made >= len(schedule_seconds):
        return None
    base = float(schedule_seconds[attempts_made])
    return base * random.uniform(0.9, 1.1)


def claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    """Take the delivery's due attempt for this worker, or None (not due, done, or taken)."""
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            state=WebhookDelivery.State.PENDING,
            next_attempt_at__lte=now + EARLY_TOLERANCE,
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(
            claimed_until=now
            + timedelta(seconds=settings.TTPORTAL_WEBHOOK_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS),
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint__api_key", "event").get(pk=delivery_id)


def signed_request(delivery: WebhookDelivery, now: datetime) -> tuple[str, dict[str, str]]:
    """The body and the Standard Webhooks headers of one attempt."""
    event = event_payload(delivery.event)
    # Standard Webhooks' payload structure is {type, timestamp, data}: the event has the first
    # and the last, and ``timestamp`` (the event's time, not the attempt's) is added.
    body = json.dumps({**event, "timestamp": event["occurred_at"]}, separators=(",", ":"))
    secret = crypto.unseal(delivery.endpoint.secret_sealed)
    stamp = now.astimezone(UTC)
    return body, {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery.message_id, stamp, body),
    }


def attempt(delivery_id: int) -> str:
    """Make the due attempt of one delivery (if this worker wins it) and record its answer."""
    now = timezone.now()
    delivery = claim(delivery_id, now)
    if delivery is None:
        return "skipped"
    key = delivery.endpoint.api_key
    if not delivery.endpoint.enabled or key.revoked or key.has_expired:
        reason = "endpoint disabled" if not delivery.endpoint.enabled else "API key revoked"
        _settle(delivery, WebhookDelivery.State.CANCELLED, Answer(None, reason))
        return "cancelled"
    try:
        body, headers = signed_request(delivery, now)
    except crypto.SealBroken:
        return _failed(delivery, Answer(None, "the secret cannot be opened: make a new endpoint"))
    answer = run_blocking(post(delivery.endpoint.url, body, headers))
    if answer.ok:
        _settle(delivery, WebhookDelivery.State.DELIVERED, answer, delivered_at=timezone.now())
        return "delivered"
    if answer.status == 410:
        disable(delivery.endpoint, "The receiver answered 410 Gone.")
        _settle(delivery, WebhookDelivery.State.CANCELLED, answer)
        return "gone"
    return _failed(delivery, answer)


def _failed(delivery: WebhookDelivery, answer: Answer) -> str:
    delay = retry_delay(delivery.attempts)
    if delay is None:
        _settle(delivery, WebhookDelivery.State.FAILED, answer)
        return "failed"
    with transaction.atomic():
        _settle(
            delivery,
            WebhookDelivery.State.PENDING,
            answer,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
        )
        schedule(delivery.pk, delay)
    return "retrying"


def _settle(
    delivery: WebhookDelivery, state: str, answer: Answer, **fields: datetime | None
) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state,
        claimed_until=None,
        last_status=answer.status,
        last_error=answer.error[: WebhookDelivery._meta.get_field("last_error").max_length or 0],
        **fields,
    )


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending to an endpoint, and drop what it was still owed."""
    max_length = WebhookEndpoint._meta.get_field("disabled_reason").max_length or 0
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            enabled=False, disabled_reason=reason[:max_length]
        )
        endpoint.deliveries.filter(state=WebhookDelivery.State.PENDING).update(
            state=WebhookDelivery.State.CANCELLED, claimed_until=None
        )
    endpoint.enabled, endpoint.disabled_reason = False, reason[:max_length]
    log.info("webhook endpoint %s disabled: %s", endpoint.pk, reason)


def send_again(delivery: WebhookDelivery) -> bool:
    """Owe a delivery again at once (the admin's "send again"); False if its endpoint is off."""
    if not delivery.endpoint.enabled:
        return False
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=WebhookDelivery.State.PENDING,
            next_attempt_at=timezone.now(),
            claimed_until=None,
        )
        schedule(delivery.pk, 0.0)
    return True


def send_due(now: datetime | None = None) -> int:
    """Hand every overdue attempt to a worker again: one whose task was lost with its broker
    or worker. The claim makes a duplicate task harmless."""
    now = now or timezone.now()
    overdue = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.PENDING,
        next_attempt_at__lte=now - timedelta(seconds=settings.TTPORTAL_WEBHOOK_SWEEP_SECONDS),
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    ids = list(overdue.values_list("pk", flat=True)[:1000])
    for delivery_id in ids:
        schedule(delivery_id, 0.0)
    return len(ids)


# The HTTP request itself.


class CheckedResolver(AbstractResolver):
    """Resolves a webhook's host once, and hands aiohttp only addresses the outbound rule
    allows: the address checked is the address dialled (no second lookup to rebind)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await asyncio.to_thread(
            outbound.resolve, host, port or 80, outbound.WEBHOOK_REFUSED
        )
        results: list[ResolveResult] = []
        for address in addresses:
            literal = f"[{address}]" if address.version == 6 else str(address)
            outbound.check_webhook_url(f"http://{literal}:{port or 80}/")
            results.append(
                {
                    "hostname": host,
                    "host": str(address),
                    "port": port,
                    "family": socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            )
        return results

    async def close(self) -> None:
        """Nothing held open."""


async def post(url: str, body: str, headers: dict[str, str]) -> Answer:
    """One POST: the outbound rule checked now, no redirects, bounded in time and answer."""
    try:
        outbound.check_webhook_url(url)
        timeout = aiohttp.ClientTimeout(total=settings.TTPORTAL_WEBHOOK_TIMEOUT_SECONDS)
        connector = aiohttp.TCPConnector(resolver=CheckedResolver(), use_dns_cache=False)
        async with (
            aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
            session.post(url, data=body, headers=headers, allow_redirects=False) as response,
        ):
            await response.content.read(MAX_ANSWER_BYTES)  # bounded; the rest is dropped
            return Answer(response.status, "" if response.status < 300 else response.reason or "")
    except outbound.DestinationRefused as exc:
        return Answer(None, f"refused by the outbound rule ({exc.reason or 'address'})")
    except TimeoutError:
        return Answer(None, "timed out")
    except aiohttp.ClientError as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}")
