"""Orders' answers to what other apps announce (connected in ``OrdersConfig.ready``)."""

from __future__ import annotations

from typing import Any

from gateways.models import Gateway
from orders import tasks
from orders.services import events


def backfill_paired_gateway(sender: type[Gateway], gateway: Gateway, **kwargs: Any) -> None:
    """A gateway was just paired: copy the history it already holds before the purge eats it.

    Sent after the pairing committed, so the worker finds the token. A re-paired gateway
    resumes from its checkpoint; a new one is read from its oldest order.
    """
    tasks.pull_gateway_history.apply_async((gateway.pk,), **gateway.site.task_options())


def record_gateway_status(sender: type[Gateway], gateway: Gateway, **kwargs: Any) -> None:
    """A gateway moved: the event is written in the transaction that moved it."""
    events.record_gateway_status(gateway)
