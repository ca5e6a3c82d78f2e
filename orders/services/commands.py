"""Start, locate, retype, page and clear orders: one path for the board, the admin and the API.

Each command validates like the gateway (with the gateway's own messages), calls the gateway,
updates the mirror from the gateway's answer (not from what we asked), and leaves an audit entry
saying who did what and what the gateway said. A refusal is an answer, not a crash: it comes
back as an :class:`Outcome` with the gateway's message.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.db import transaction

from gateways.crypto import SealBroken
from gateways.fields import fit
from gateways.models import ApiKey, Gateway
from gateways.services import mark_needs_pairing
from orders.models import ActiveOrder, AuditEntry, OrderRecord
from orders.services.mirror import Change, apply_order, remove_order
from ttgateway.client import (
    ActiveOrder as GatewayOrder,
)
from ttgateway.client import (
    GatewayError,
    GatewayUnreachable,
    OrderNotFound,
    SubmitOutcome,
    SubmitResult,
    SyncGatewayClient,
    TokenRejected,
    validation,
)
from ttgateway.client.errors import client_side
from ttgateway.protocol import OrderType, ReturnCode

T = TypeVar("T")

# A person at the board should not wait long for a gateway that is not answering.
COMMAND_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Actor:
    """Who acts, and through what: a person on the board or admin, or a POS's API key."""

    label: str
    via: AuditEntry.Via
    user: User | None = None
    key: ApiKey | None = None

    @classmethod
    def person(cls, user: User, via: AuditEntry.Via = AuditEntry.Via.BOARD) -> Actor:
        return cls(user.get_username(), via, user)

    @classmethod
    def api_key(cls, key: ApiKey) -> Actor:
        """A POS plugin: its key is its identity in the audit trail."""
        return cls(f"API key {key}", AuditEntry.Via.API, key=key)


@dataclass(frozen=True)
class Outcome:
    """How a command ended. ``ok`` False means nothing changed on the gateway."""

    ok: bool
    message: str
    order: ActiveOrder | None = None
    warning: str | None = None
    created: bool = False
    result: AuditEntry.Result = AuditEntry.Result.OK
    # What starting or modifying did, in the gateway's terms (created, modified, already...).
    submitted: SubmitOutcome | None = None
    error: GatewayError | None = field(default=None, repr=False)


class GatewayNotReady(Exception):
    """The gateway cannot take commands: not paired, or its token was refused."""


def _client(gateway: Gateway) -> SyncGatewayClient:
    try:
        token = gateway.token_secret() if gateway.is_paired else None
    except SealBroken as exc:
        raise GatewayNotReady(
            f"The portal cannot read its token for {gateway.name}: pair it again."
        ) from exc
    if token is None:
        raise GatewayNotReady(
            f"{gateway.name} is not paired: pair it before sending it orders."
            if gateway.status != Gateway.Status.NEEDS_PAIRING
            else f"{gateway.name} refused the portal's token: pair it again."
        )
    return _shared_client(gateway.base_url, token)


# One client per gateway address and token, kept by the process: a command reuses its loop
# thread and keep-alive connection instead of starting both, and closing them, every time (that
# was a third of a command's time). A re-paired or moved gateway gets a new client; the oldest
# are closed beyond the cap.
_CLIENTS: dict[tuple[str, str], SyncGatewayClient] = {}
_CLIENTS_LOCK = threading.Lock()
MAX_CLIENTS = 64


def _shared_client(base_url: str, token: str) -> SyncGatewayClient:
    with _CLIENTS_LOCK:
        client = _CLIENTS.get((base_url, token))
        if client is None:
            while len(_CLIENTS) >= MAX_CLIENTS:
                _CLIENTS.pop(next(iter(_CLIENTS))).close()
            client = SyncGatewayClient(base_url, token, timeout=COMMAND_TIMEOUT_SECONDS)
            _CLIENTS[(base_url, token)] = client
        return client


def _run(
    gateway: Gateway,
    actor: Actor,
    action: str,
    order_name: str,
    details: dict[str, Any],
    call: Callable[[SyncGatewayClient], T],
    done: Callable[[T], Outcome],
) -> Outcome:
    """Call the gateway, turn its answer or refusal into an Outcome, and audit it.

    The gateway is called outside any transaction (a database lock is never held while it
    answers); the mirror's change and its audit entry are then committed together: one commit
    instead of two, and an entry exists exactly when its change does.
    """
    try:
        answer = call(_client(gateway))
    except GatewayNotReady as exc:
        outcome = Outcome(False, str(exc), result=AuditEntry.Result.REFUSED)
    except TokenRejected as exc:
        mark_needs_pairing(gateway, f"{action}: {exc}")
        outcome = Outcome(
            False,
            f"{gateway.name} refused the portal's token: pair it again.",
            result=AuditEntry.Result.FAILED,
            error=exc,
        )
    except GatewayUnreachable as exc:
        outcome = Outcome(
            False,
            f"{gateway.name} did not answer ({exc}). Nothing was changed.",
            result=AuditEntry.Result.FAILED,
            error=exc,
        )
    except GatewayError as exc:
        outcome = Outcome(
            False, exc.message or str(exc), result=AuditEntry.Result.REFUSED, error=exc
        )
    else:
        with transaction.atomic():
            outcome = done(answer)
            _audit(gateway, actor, action, order_name, details, outcome)
        return outcome
    _audit(gateway, actor, action, order_name, details, outcome)
    return outcome


def _audit(
    gateway: Gateway,
    actor: Actor,
    action: str,
    order_name: str,
    details: dict[str, Any],
    outcome: Outcome,
) -> None:
    AuditEntry.objects.create(
        gateway=gateway,
        user=actor.user,
        api_key=actor.key,
        actor=fit(AuditEntry, "actor", actor.label),
        via=actor.via,
        action=action,
        order_name=fit(AuditEntry, "order_name", order_name),
        details={key: _storable(str(value), DETAIL_LENGTH) for key, value in details.items()},
        result=outcome.result,
        message=fit(
            AuditEntry, "message", " ".join(filter(None, [outcome.message, outcome.warning]))
        ),
    )


# How much of each typed detail (table, type) the audit keeps: enough for any valid value and a
# recognisable start of an invalid one.
DETAIL_LENGTH = 32


def _storable(text: str, limit: int) -> str:
    """What was typed, as the audit can keep it: bounded, and without NUL characters, which
    PostgreSQL refuses in text and JSON (a refused command must still leave its entry)."""
    return text.replace("\x00", "")[:limit]


def _submitted(gateway: Gateway, verb: str) -> Callable[[SubmitResult], Outcome]:
    def done(answer: SubmitResult) -> Outcome:
        if answer.order is None:  # "Order already started." / "already located.": no change
            return Outcome(True, answer.message or "Nothing to change.", submitted=answer.outcome)
        change = Change.CREATED if answer.created else Change.MODIFIED
        mirrored = apply_order(gateway, answer.order, change)
        message = f"Order {answer.order.name} {'started' if answer.created else verb}."
        return Outcome(
            True, message, mirrored, answer.warning, answer.created, submitted=answer.outcome
        )

    return done


def _active_on_gateway(client: SyncGatewayClient, name: str) -> GatewayOrder:
    """The order as the gateway has it now, or the gateway's "Order not found.".

    Locating or retyping goes through ``POST /activeorders``, which *starts* an order when none
    of that name is active: asking first means a stale card on a board can never start one.
    """
    return client.active_order(validation.order_name(name))


def start_order(
    gateway: Gateway, actor: Actor, name: str, order_type: str, table: str | None = None
) -> Outcome:
    """Start an order (at a table already, when ``table`` is given), or modify the active one."""
    return _run(
        gateway,
        actor,
        "start",
        name,
        {"order_type": order_type, "table": table or ""},
        lambda client: client.submit_order(name, order_type, table or None),
        _submitted(gateway, "changed"),
    )


def locate_order(gateway: Gateway, actor: Actor, name: str, table: str) -> Outcome:
    """Put an active order at a table, keeping its type."""

    def call(client: SyncGatewayClient) -> SubmitResult:
        validation.order_name(name)
        if validation.location_name(table) is None:  # locating needs a table
            raise client_side(ReturnCode.INVALID_LOCATION_NAME)
        current = _active_on_gateway(client, name)
        return client.submit_order(current.name, current.order_type, table)

    return _run(
        gateway,
        actor,
        "locate",
        name,
        {"table": table},
        call,
        _submitted(gateway, f"moved to table {table}"),
    )


def change_type(gateway: Gateway, actor: Actor, name: str, order_type: str) -> Outcome:
    """Make an active order eat-in or to-go, keeping its table."""

    def call(client: SyncGatewayClient) -> SubmitResult:
        validation.order_name(name)
        wanted = validation.order_type(order_type)
        current = _active_on_gateway(client, name)
        return client.submit_order(current.name, wanted, current.location)

    parsed = OrderType.parse(order_type)
    verb = f"is now {ActiveOrder.Type(parsed.value).label.lower()}" if parsed else "changed"
    return _run(
        gateway,
        actor,
        "change_type",
        name,
        {"order_type": order_type},
        call,
        _submitted(gateway, verb),
    )


def page_order(gateway: Gateway, actor: Actor, name: str) -> Outcome:
    """Make the order's tracker vibrate: the food is ready for a guest who is not seated."""

    def done(answer: GatewayOrder | None) -> Outcome:
        seen = answer
        mirrored = apply_order(gateway, seen, Change.PAGED) if seen is not None else None
        return Outcome(True, f"Order {name} paged.", mirrored)

    return _run(gateway, actor, "page", name, {}, lambda client: client.page(name), done)


def delete_order(gateway: Gateway, actor: Actor, name: str) -> Outcome:
    """Clear one order by hand (the tracker never reached a clearing unit)."""

    def call(client: SyncGatewayClient) -> GatewayOrder | None:
        try:
            return client.delete_order(name)
        except OrderNotFound:
            # Already gone on the gateway: make the mirror agree rather than show a ghost.
            for ghost in ActiveOrder.objects.filter(gateway=gateway, name=name):
                remove_order(gateway, str(ghost.uuid), cleared_by=OrderRecord.ClearedBy.UNKNOWN)
            raise

    def done(answer: GatewayOrder | None) -> Outcome:
        if answer is not None:
            # A cleared order's stateChanged is the gateway's own time of clearing it.
            remove_order(gateway, answer.uuid, cleared_at=answer.state_changed, seen=answer)
        else:
            for order in ActiveOrder.objects.filter(gateway=gateway, name=name):
                remove_order(gateway, str(order.uuid))
        return Outcome(True, f"Order {name} cleared.")

    return _run(gateway, actor, "delete", name, {}, call, done)


def clear_all(gateway: Gateway, actor: Actor) -> Outcome:
    """Clear every active order of a gateway (end of service, or a board gone wrong)."""

    def done(answer: tuple[GatewayOrder, ...]) -> Outcome:
        mirrored = ActiveOrder.objects.filter(gateway=gateway).values_list("uuid", flat=True)
        answered = {o.uuid: o for o in answer}
        uuids = set(answered) | {str(u) for u in mirrored}
        count = 0
        for uuid in uuids:
            seen = answered.get(uuid)
            when = seen.state_changed if seen is not None else None
            count += remove_order(gateway, uuid, when, seen=seen)
        return Outcome(True, f"Cleared {max(count, len(answer))} orders on {gateway.name}.")

    return _run(gateway, actor, "clear_all", "", {}, lambda client: client.delete_all(), done)
