"""Gateway status transitions: recorded once, with their time, and pushed to open pages."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from gateways.fields import fit
from gateways.models import Gateway, StatusChange
from gateways.signals import gateway_status_changed
from ttportal.eventlock import hold_event_writer_lock
from ttportal.realtime import publish_on_commit, site_group

log = logging.getLogger(__name__)

NEEDS_PAIRING_MESSAGE = (
    "The gateway refused the portal's token. Press the gateway's button and pair it again."
)


def gateway_payload(gateway: Gateway) -> dict[str, Any]:
    """What a page needs to redraw a gateway's badge; never the token."""
    return {
        "type": "gateway.status",
        "gateway": {
            "id": gateway.pk,
            "site": gateway.site_id,
            "name": gateway.name,
            "status": gateway.status,
            "status_display": gateway.get_status_display(),
            "reachable": gateway.reachable,
            "address": f"{gateway.host}:{gateway.port}",
            "last_seen": gateway.last_seen.isoformat() if gateway.last_seen else None,
            "status_changed": gateway.status_changed.isoformat(),
            "last_error": gateway.last_error,
        },
    }


def announce(gateway: Gateway) -> None:
    publish_on_commit(site_group(gateway.site_id), gateway_payload(gateway))


@transaction.atomic
def set_status(gateway: Gateway, status: Gateway.Status, detail: str = "") -> bool:
    """Move a gateway to ``status`` if it is not there already; True when it moved.

    The conditional UPDATE means two workers noticing the same change record it once.
    """
    old = Gateway.objects.filter(pk=gateway.pk).values_list("status", flat=True).first()
    if old is None or old == status:
        gateway.status = old or gateway.status
        return False
    # A move is an event for plugins: the writer lock comes before the row lock it takes.
    hold_event_writer_lock()
    now = timezone.now()
    moved = Gateway.objects.filter(pk=gateway.pk, status=old).update(
        status=status, status_changed=now
    )
    if not moved:
        return False
    gateway.status, gateway.status_changed = status, now
    StatusChange.objects.create(
        gateway=gateway, status=status, at=now, detail=fit(StatusChange, "detail", detail)
    )
    gateway_status_changed.send(sender=Gateway, gateway=gateway)
    log.info("gateway %s (%s): %s -> %s", gateway.pk, gateway.name, old, status)
    announce(gateway)
    return True


def mark_needs_pairing(gateway: Gateway, reason: str = "") -> bool:
    """The gateway refused our token: stop using it and ask a person to pair again.

    Only when the device at its address proves to be the gateway: a refusal from another
    device (an address handed over by DHCP) revokes nothing and is recorded as a conflict.
    Never retried in a loop: nothing uses a gateway in this state until it is paired anew.
    """
    # Imported here: the identity rules announce through this module.
    from gateways.services.identity import refusal_is_the_gateways

    if not refusal_is_the_gateways(gateway):
        log.warning(
            "gateway %s: token refused by a device that is not it; nothing revoked", gateway.pk
        )
        return False
    return _revoke(gateway, reason)


@transaction.atomic
def _revoke(gateway: Gateway, reason: str) -> bool:
    hold_event_writer_lock()  # before the rows below: set_status will write an event
    gateway.tokens.filter(revoked__isnull=True).update(revoked=timezone.now())
    gateway.last_error = NEEDS_PAIRING_MESSAGE
    Gateway.objects.filter(pk=gateway.pk).update(last_error=gateway.last_error)
    return set_status(gateway, Gateway.Status.NEEDS_PAIRING, reason or NEEDS_PAIRING_MESSAGE)
