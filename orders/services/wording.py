"""A command's outcome in a manager's words, and the field of the form it is about.

The command service keeps the gateway's own words (the POS API hands them on verbatim); the
board and the admin show people this instead: what went wrong, said as they would say it, next
to the field to change, and what they can do instead. Never a library's text, never an echo of
what was typed (a 10,000-digit paste must not come back on the page).
"""

from __future__ import annotations

from dataclasses import dataclass

from orders.services.commands import Outcome
from ttgateway.client import (
    GatewayUnreachable,
    InvalidLocationName,
    InvalidOrderName,
    MissingOrderName,
    OrderNotFound,
    OrderTypeInvalid,
    OrderTypeMissing,
    PagingImpossible,
    PagingUnavailable,
)
from ttgateway.protocol import MAX_NUMBER_DIGITS, TRACKER_NOT_ASSIGNED_WARNING, positive_integer

NUMBER_RULE = f"a whole number above 0 with at most {MAX_NUMBER_DIGITS} digits"
NO_TRACKER = (
    "Started without a tracker, so it cannot be paged: clear it by hand once the food is served."
)


@dataclass(frozen=True)
class Said:
    """What a person is told: the message, the form field it is about (if any), a warning."""

    message: str
    field: str | None = None
    warning: str | None = None
    can_page: bool = True  # False once the gateway said the order has no tracker


def _order(name: str) -> str:
    canonical = positive_integer(name)
    return f"Order {canonical}" if canonical else "This order"


def explain(outcome: Outcome, gateway_name: str, order_name: str = "") -> Said:
    """The outcome of a command, as the board and the admin show it."""
    warning = NO_TRACKER if outcome.warning == TRACKER_NOT_ASSIGNED_WARNING else outcome.warning
    if outcome.ok:
        return Said(outcome.message, None, warning)
    error = outcome.error
    order = _order(order_name)
    if isinstance(error, MissingOrderName):
        return Said("Type the order number.", "name")
    if isinstance(error, InvalidOrderName):
        return Said(f"An order number is {NUMBER_RULE}.", "name")
    if isinstance(error, InvalidLocationName):
        return Said(f"A table is {NUMBER_RULE}.", "table")
    if isinstance(error, OrderTypeMissing | OrderTypeInvalid):
        return Said("Choose eat in or to go.", "order_type")
    if isinstance(error, OrderNotFound):
        return Said(f"{order} is no longer waiting on {gateway_name}: it was cleared meanwhile.")
    if isinstance(error, PagingImpossible):
        return Said(
            f"{order} has no tracker to page (it was started without one). "
            "Take the food to its table, or call the guest.",
            can_page=False,
        )
    if isinstance(error, PagingUnavailable):
        return Said(f"{gateway_name} cannot page trackers right now. Call the guest instead.")
    if isinstance(error, GatewayUnreachable):
        return Said(
            f"{gateway_name} did not answer, so nothing was changed. "
            "Check that it is on, then try again."
        )
    return Said(outcome.message)
