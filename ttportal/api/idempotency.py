"""``Idempotency-Key`` on POST and DELETE (the IETF draft, as Stripe does it).

The first answer is kept (24 h by default) and replayed, with ``Idempotent-Replayed: true``, for
the same key and the same request; the same key with another request is a 422; a retry while the
first is still running is a 409. The key is claimed by inserting a row under a unique constraint
*before* acting, so two web processes racing with one key act once.

Only answers that did something are kept (2xx). An error answer changed nothing (invalid input,
a gateway offline or refusing, a rate limit), so the claim is released and a retry with the same
key simply tries again. A claim left by a process that died is taken over after
:data:`STALE_AFTER`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from gateways.api.authentication import request_key
from ttportal.api.problems import Problem
from ttportal.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = IdempotentRequest._meta.get_field("key").max_length or 255
# Longer than any command can take (the gateway timeout is seconds): a claim this old was left
# by a process that died.
STALE_AFTER = timedelta(minutes=5)
# Answer headers worth replaying (the rest are recomputed for the replay).
KEPT_HEADERS = ("Location",)

V = TypeVar("V")
Handler = Callable[..., Response]


@dataclass(frozen=True)
class Claim:
    """This request now owns the key: act, then :func:`finish`."""

    record: IdempotentRequest


@dataclass(frozen=True)
class Replay:
    """The key was used for this very request already: here is its answer."""

    record: IdempotentRequest


def owner_of(request: Request) -> str:
    key = request_key(request)
    if key is not None:
        return f"key:{key.pk}"[: IdempotentRequest._meta.get_field("owner").max_length]
    return f"user:{request.user.pk}"


def header_value(request: Request) -> str | None:
    """The key sent, quotes removed (the draft sends a structured-field string), or None."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or len(value) > MAX_LENGTH or not value.isprintable() or not value.isascii():
        raise Problem(
            400,
            "idempotency_key_invalid",
            f"{HEADER} must be 1 to {MAX_LENGTH} printable ASCII characters.",
        )
    return value


def fingerprint(request: Request) -> str:
    """The request as compared between retries: method, path, and the body's JSON content."""
    body = json.dumps(request.data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))
    text = f"{request.method} {request.path}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def claim(owner: str, key: str, print_: str) -> Claim | Replay:
    """Take the key for this request, or say why not (raises 409 / 422 problems)."""
    now = timezone.now()
    IdempotentRequest.objects.filter(owner=owner, key=key, expires__lte=now).delete()
    hours = float(settings.TTPORTAL_IDEMPOTENCY_HOURS)
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                owner=owner,
                key=key,
                fingerprint=print_,
                created=now,
                expires=now + timedelta(hours=hours),
            )
        return Claim(record)
    except IntegrityError:
        pass
    existing = IdempotentRequest.objects.filter(owner=owner, key=key).first()
    if existing is None:  # released (or expired) a moment ago: try once more
        return claim(owner, key, print_)
    if existing.fingerprint != print_:
        raise Problem(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was sent with another request; use a new key for a new request.",
        )
    if existing.running:
        if existing.created <= now - STALE_AFTER and _take_over(existing, now):
            return Claim(existing)
        raise Problem(
            409,
            "idempotency_key_in_use",
            f"The first request with this {HEADER} is still running; retry in a moment.",
            retry_after=1,
        )
    return Replay(existing)


def _take_over(record: IdempotentRequest, now: Any) -> bool:
    taken = IdempotentRequest.objects.filter(
        pk=record.pk, status__isnull=True, created=record.created
    ).update(created=now)
    return bool(taken)


def finish(record: IdempotentRequest, response: Response) -> None:
    """Keep a 2xx answer for replays; release the key after any other."""
    if not 200 <= response.status_code < 300:
        release(record)
        return
    body = json.loads(json.dumps(response.data, cls=JSONEncoder))
    headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    IdempotentRequest.objects.filter(pk=record.pk).update(
        status=response.status_code, body=body, headers=headers
    )


def release(record: IdempotentRequest) -> None:
    IdempotentRequest.objects.filter(pk=record.pk, status__isnull=True).delete()


def replayed(record: IdempotentRequest) -> Response:
    headers = {**record.headers, REPLAYED_HEADER: "true"}
    return Response(record.body, status=record.status, headers=headers)


def idempotent(handler: Handler) -> Handler:
    """Make a view's POST or DELETE handler honour ``Idempotency-Key``."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = header_value(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        outcome = claim(owner_of(request), key, fingerprint(request))
        if isinstance(outcome, Replay):
            return replayed(outcome.record)
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            release(outcome.record)
            raise
        finish(outcome.record, response)
        return response

    return wrapper
