"""A command's refusal (an ``Outcome`` that is not ok) as the API's problem document.

One table from what went wrong to the HTTP status and stable code a plugin branches on: the
gateway offline is a 503 with ``Retry-After``, a gateway needing pairing a 409, the gateway's
own refusals carry its ``returnCode`` and message.
"""

from __future__ import annotations

import math

from django.conf import settings

from gateways.models import Gateway
from orders.services.commands import Outcome
from ttgateway.client import (
    ApiUnavailable,
    GatewayError,
    GatewayUnreachable,
    InvalidLocationName,
    InvalidOrderId,
    InvalidOrderName,
    InvalidRequest,
    MissingOrderName,
    OrderNotFound,
    OrderTypeInvalid,
    OrderTypeMissing,
    PagingImpossible,
    PagingUnavailable,
    TokenRejected,
)
from ttportal.api.problems import Problem

# The API field each of the gateway's input refusals is about.
FIELDS: dict[type[GatewayError], str] = {
    MissingOrderName: "number",
    InvalidOrderName: "number",
    InvalidOrderId: "order",
    InvalidLocationName: "table",
    OrderTypeMissing: "type",
    OrderTypeInvalid: "type",
}


def retry_after_seconds() -> int:
    """How soon to try again: the portal re-checks every gateway's health this often."""
    return max(1, math.ceil(float(settings.TTPORTAL_HEALTH_SECONDS)))


def gateway_answer(error: GatewayError) -> dict[str, object] | None:
    """``{returnCode, message}`` when the gateway itself answered, else None."""
    if error.status is None or error.return_code is None:
        return None
    return {"returnCode": error.return_code, "message": error.message}


def problem_for(gateway: Gateway, outcome: Outcome) -> Problem:
    """The problem document for a refused command."""
    error = outcome.error
    if error is None:  # the portal could not even ask: not paired, or its token unusable
        gateway.refresh_from_db(fields=["status"])
        needs = gateway.status == Gateway.Status.NEEDS_PAIRING
        return Problem(
            409, "gateway_needs_pairing" if needs else "gateway_not_paired", outcome.message
        )
    answered = gateway_answer(error)
    if isinstance(error, TokenRejected):
        return Problem(409, "gateway_needs_pairing", outcome.message, gateway=answered)
    if isinstance(error, GatewayUnreachable):
        return Problem(503, "gateway_offline", outcome.message, retry_after=retry_after_seconds())
    if isinstance(error, ApiUnavailable | PagingUnavailable):
        return Problem(
            503, "gateway_busy", error.message, gateway=answered, retry_after=retry_after_seconds()
        )
    if isinstance(error, OrderNotFound):
        return Problem(404, "order_not_found", error.message, gateway=answered)
    if isinstance(error, PagingImpossible):
        return Problem(409, "paging_impossible", error.message, gateway=answered)
    if isinstance(error, InvalidRequest):
        field = FIELDS.get(type(error), "non_field_errors")
        return Problem(
            400,
            "validation_error",
            error.message,
            errors={field: [error.message]},
            gateway=answered,
        )
    if answered is None:  # an answer the portal could not read
        return Problem(502, "gateway_error", outcome.message)
    return Problem(422, "gateway_refused", error.message, gateway=answered)
