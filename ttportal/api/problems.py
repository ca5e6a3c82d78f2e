"""Every API error as one RFC 9457 ``application/problem+json`` document.

``{type, title, status, detail, code}`` always; ``errors`` (per field) for invalid input;
``gateway: {returnCode, message}`` when a gateway answered. ``code`` is the stable, machine
name a plugin branches on; ``type`` is the same name as a URN (RFC 9457 allows a URI that is a
name, not a page to fetch); ``title`` is the same for every problem of one code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ttportal:problem:"

TITLES: dict[str, str] = {
    "validation_error": "The request is not valid.",
    "parse_error": "The request body is not valid JSON.",
    "not_authenticated": "Authentication is needed.",
    "authentication_failed": "The credentials were not accepted.",
    "invalid_api_key": "The API key was not accepted.",
    "permission_denied": "Not allowed.",
    "read_only_key": "This API key is read-only.",
    "not_found": "Not found.",
    "order_not_found": "No such order.",
    "method_not_allowed": "Method not allowed.",
    "not_acceptable": "Cannot answer in the format asked for.",
    "unsupported_media_type": "Send JSON.",
    "throttled": "Too many requests.",
    "gateway_not_paired": "The gateway is not paired.",
    "gateway_needs_pairing": "The gateway needs pairing again.",
    "gateway_offline": "The gateway is not answering.",
    "gateway_busy": "The gateway cannot do that right now.",
    "gateway_refused": "The gateway refused the request.",
    "paging_impossible": "This order has no tracker to page.",
    "gateway_error": "The gateway answered in a way the portal cannot read.",
    "idempotency_key_invalid": "The Idempotency-Key header is not valid.",
    "idempotency_key_in_use": "A request with this Idempotency-Key is still running.",
    "idempotency_key_reused": "This Idempotency-Key was used with another request.",
    "server_error": "The portal failed to answer.",
}


class Problem(exceptions.APIException):
    """An error answer of the API: raise it from a view, the handler renders it."""

    def __init__(
        self,
        status_code: int,
        code: str,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        gateway: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail, code)
        self.status_code = status_code
        self.code = code
        self.errors = errors
        self.gateway = gateway
        self.retry_after = retry_after


def problem_body(
    status_code: int,
    code: str,
    detail: str,
    errors: Any = None,
    gateway: dict[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": TITLES.get(code, TITLES["server_error"] if status_code >= 500 else "Error."),
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if gateway is not None:
        body["gateway"] = gateway
    return body


def problem_response(
    request: HttpRequest | None,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response:
    response = Response(body, status=body["status"], headers=headers)
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or getattr(renderer, "format", "json") == "json":
        response.content_type = PROBLEM_CONTENT_TYPE
    return response


def _code_of(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as ``{field: [messages]}`` (``non_field_errors`` for the rest)."""
    if isinstance(detail, dict):
        return {str(k): [str(m) for m in _flatten(v)] for k, v in detail.items()}
    return {"non_field_errors": [str(m) for m in _flatten(detail)]}


def _flatten(detail: Any) -> list[Any]:
    if isinstance(detail, list):
        return [m for item in detail for m in _flatten(item)]
    if isinstance(detail, dict):
        return [f"{k}: {m}" for k, v in detail.items() for m in _flatten(v)]
    return [detail]


def _body_for(exc: exceptions.APIException) -> tuple[dict[str, Any], dict[str, str]]:
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = str(exc.auth_header)  # type: ignore[attr-defined]
    if isinstance(exc, Problem):
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        body = problem_body(exc.status_code, exc.code, str(exc.detail), exc.errors, exc.gateway)
        return body, headers
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        detail = next(iter(m for ms in errors.values() for m in ms), "Invalid input.")
        return problem_body(400, "validation_error", detail, errors), headers
    code = _code_of(exc)
    return problem_body(exc.status_code, code, str(exc.detail)), headers


def problem_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler: every error, expected or not, as a problem document."""
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    if isinstance(exc, exceptions.APIException):
        body, headers = _body_for(exc)
        set_rollback()
        return problem_response(request, body, headers)
    # A bug, not an answer: logged in full, but the caller still gets the one shape.
    log.exception("API error on %s", getattr(request, "path", "?"), exc_info=exc)
    set_rollback()
    return problem_response(
        request,
        problem_body(
            status.HTTP_500_INTERNAL_SERVER_ERROR, "server_error", "The portal failed to answer."
        ),
    )
