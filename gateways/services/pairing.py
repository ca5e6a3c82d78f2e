"""Pairing: a person presses the gateway's button, the portal asks for a token in that window.

The gateway opens a two-minute window per press and shows a token once, so the poll keeps going
for the whole window (the person may press the button just after clicking "pair"), and an
issued token is stored, sealed, before anything else happens.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from gateways.fields import fit
from gateways.models import AccessToken, Gateway, PairingAttempt
from gateways.outbound import DestinationRefused, check_gateway_address
from gateways.services.identity import record_identity
from gateways.services.status import announce, set_status
from gateways.signals import gateway_paired
from ttgateway.bridge import run_blocking
from ttgateway.client import (
    GatewayClient,
    GatewayError,
    GatewayInfo,
    GatewayUnreachable,
    IssuedToken,
    PairingWindowClosed,
)
from ttportal.eventlock import hold_event_writer_lock
from ttportal.realtime import publish, site_group

log = logging.getLogger(__name__)

NOT_ALLOWED = "The gateway's address is outside the networks gateways may use (settings)."
TOKEN_NAME = "ttportal"  # noqa: S105 - the label the gateway lists, not a secret
MESSAGES = {
    PairingAttempt.Outcome.WAITING: "Waiting for the gateway: press its button now.",
    PairingAttempt.Outcome.PAIRED: "Paired. The portal now holds this gateway's token.",
    PairingAttempt.Outcome.MISSED: (
        "The gateway's two-minute window closed without a token. "
        "Press the gateway's button, then click “Pair now” again."
    ),
    PairingAttempt.Outcome.UNREACHABLE: (
        "The gateway did not answer during the whole window. Check that it is powered and on "
        "the network, then try again."
    ),
}


def pairing_payload(attempt: PairingAttempt) -> dict[str, Any]:
    left = max(0.0, (attempt.deadline - timezone.now()).total_seconds())
    return {
        "type": "gateway.pairing",
        "pairing": {
            "id": attempt.pk,
            "gateway": attempt.gateway_id,
            "outcome": attempt.outcome,
            "outcome_display": attempt.get_outcome_display(),
            "message": attempt.message,
            "seconds_left": round(left) if attempt.is_open else 0,
            "polls": attempt.polls,
        },
    }


def _push(attempt: PairingAttempt) -> None:
    publish(site_group(attempt.gateway.site_id), pairing_payload(attempt))


def start_pairing(gateway: Gateway, user: User | None) -> PairingAttempt:
    """Open an attempt (or return the one already running) and hand it to a worker."""
    from gateways import tasks  # tasks import services: import here to keep the graph acyclic

    running = gateway.pairings.filter(
        outcome=PairingAttempt.Outcome.WAITING, deadline__gt=timezone.now()
    ).first()
    if running is not None:
        return running
    attempt = PairingAttempt.objects.create(
        gateway=gateway,
        started_by=user,
        deadline=timezone.now() + timedelta(seconds=settings.TTPORTAL_PAIRING_SECONDS),
        message=MESSAGES[PairingAttempt.Outcome.WAITING],
    )
    options = gateway.site.task_options()  # the poll must reach the gateway: its own LAN
    transaction.on_commit(lambda: tasks.pair_gateway.apply_async((attempt.pk,), **options))
    return attempt


def run_pairing(attempt_id: int, sleep: Callable[[float], None] = time.sleep) -> PairingAttempt:
    """Poll the token endpoint until a token comes, the window passes, or another run ends it.

    Safe to run twice: each poll first checks that the attempt is still waiting.
    """
    attempt = PairingAttempt.objects.select_related("gateway").get(pk=attempt_id)
    last_error: GatewayError | None = None
    while attempt.is_open and timezone.now() < attempt.deadline:
        PairingAttempt.objects.filter(pk=attempt.pk).update(polls=attempt.polls + 1)
        attempt.polls += 1
        try:
            issued, info = run_blocking(_ask_for_token(attempt.gateway))
        except PairingWindowClosed as exc:
            last_error = exc
        except GatewayUnreachable as exc:
            last_error = exc
        except GatewayError as exc:
            return _finish(attempt, PairingAttempt.Outcome.FAILED, f"The gateway said: {exc}")
        else:
            return _paired(attempt, issued, info)
        _push(attempt)
        sleep(settings.TTPORTAL_PAIRING_POLL_SECONDS)
        attempt.refresh_from_db(fields=["outcome", "deadline"])
    if not attempt.is_open:
        return attempt
    outcome = (
        PairingAttempt.Outcome.UNREACHABLE
        if isinstance(last_error, GatewayUnreachable)
        else PairingAttempt.Outcome.MISSED
    )
    return _finish(attempt, outcome, MESSAGES[outcome])


async def _ask_for_token(gateway: Gateway) -> tuple[IssuedToken, GatewayInfo | None]:
    """The token, and who the device that issued it says it is (its identity from now on)."""
    try:
        await asyncio.to_thread(check_gateway_address, gateway.host, gateway.port)
    except DestinationRefused:
        raise GatewayUnreachable(NOT_ALLOWED) from None
    async with GatewayClient(gateway.base_url) as client:
        issued = await client.generate_token(TOKEN_NAME)
        try:
            info: GatewayInfo | None = await client.liveness()
        except GatewayError:
            info = None  # recorded at the first health check where the token works instead
        return issued, info


def _paired(
    attempt: PairingAttempt, issued: IssuedToken, info: GatewayInfo | None
) -> PairingAttempt:
    gateway = attempt.gateway
    with transaction.atomic():
        hold_event_writer_lock()  # set_status below writes an event: this lock comes first
        # An issued token is never thrown away: the gateway will not show it again.
        gateway.tokens.filter(revoked__isnull=True).update(revoked=timezone.now())
        AccessToken.issue(gateway, issued.name or TOKEN_NAME, issued.token)
        # Someone pressed this device's button: whoever it says it is, it is the gateway now
        # (a replaced unit included), and from now on the token goes only where it answers.
        if info is not None:
            record_identity(gateway, info)
        else:
            Gateway.objects.filter(pk=gateway.pk).update(serial="", device_name="")
        now = timezone.now()
        Gateway.objects.filter(pk=gateway.pk).update(
            reachable=True, last_seen=now, token_checked=now, last_error=""
        )
        gateway.reachable, gateway.last_seen, gateway.last_error = True, now, ""
        if not set_status(gateway, Gateway.Status.ONLINE, "paired"):
            announce(gateway)
        finished = _finish(
            attempt, PairingAttempt.Outcome.PAIRED, MESSAGES[PairingAttempt.Outcome.PAIRED]
        )
        # Robust: a receiver that fails (a broker down) must not undo a token already issued.
        transaction.on_commit(lambda: gateway_paired.send_robust(sender=Gateway, gateway=gateway))
    log.info("gateway %s (%s) paired", gateway.pk, gateway.name)
    return finished


def _finish(
    attempt: PairingAttempt, outcome: PairingAttempt.Outcome, message: str
) -> PairingAttempt:
    claimed = PairingAttempt.objects.filter(
        pk=attempt.pk, outcome=PairingAttempt.Outcome.WAITING
    ).update(
        outcome=outcome, message=fit(PairingAttempt, "message", message), finished=timezone.now()
    )
    attempt.refresh_from_db()
    if claimed:
        transaction.on_commit(lambda: _push(attempt))
    return attempt
