"""The OpenAPI schema's shared parts: the Bearer key, the problem document every operation may
answer, ``Idempotency-Key`` on every POST and DELETE, and ``Retry-After`` where it is sent.

Added once here (a drf-spectacular extension and a post-processing hook) rather than on each
view, so no operation can forget them.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from ttportal.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from ttportal.api.idempotency import MAX_LENGTH, REPLAYED_HEADER
from ttportal.api.problems import PROBLEM_CONTENT_TYPE, TITLES, TYPE_PREFIX


class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "gateways.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ttp_<prefix>.<secret>",
            "description": "An API key from the portal's admin or `manage.py apikey create`.",
        }


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is the stable name to branch on.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": f"`{TYPE_PREFIX}<code>`"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": sorted(TITLES)},
        "errors": {
            "type": "object",
            "description": "Per field, what is wrong with it (in the gateway's words).",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "gateway": {
            "type": "object",
            "description": "What the gateway answered, when it answered.",
            "required": ["returnCode", "message"],
            "properties": {"returnCode": {"type": "integer"}, "message": {"type": "string"}},
        },
    },
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer"},
    }
}

# Status: (description, sends Retry-After), for every operation; the commands' own below.
COMMON = {
    "400": ("Invalid input (per-field `errors`, in the gateway's words).", False),
    "401": ("No API key, or one that is revoked or unknown.", False),
    "403": ("A read-only key (or a viewer) trying to act.", False),
    "404": ("No such object among your sites' (another site's is a 404 too).", False),
    "405": ("Method not allowed.", False),
    "406": ("Cannot answer in the format asked for.", False),
    "429": ("Over the key's rate limit.", True),
}
COMMANDS = {
    "409": (
        "The gateway needs pairing or is not paired; this order has no tracker to page; or "
        "the first request with this Idempotency-Key is still running.",
        False,
    ),
    "415": ("Send JSON.", False),
    "422": (
        "This Idempotency-Key was used with another request, or the gateway refused.",
        False,
    ),
    "502": ("The gateway answered in a way the portal cannot read.", False),
    "503": ("The gateway is offline or busy: nothing was done, try again later.", True),
}


# One example problem per status (the first code of each row of docs/api.md's table).
EXAMPLE_CODES = {
    "400": ("validation_error", "Invalid order name. Must be a positive integer."),
    "401": ("not_authenticated", "Authentication credentials were not provided."),
    "403": ("read_only_key", "This API key is read-only: it cannot change orders."),
    "404": ("not_found", "No Gateway matches the given query."),
    "405": ("method_not_allowed", 'Method "PUT" not allowed.'),
    "406": ("not_acceptable", "Could not satisfy the request Accept header."),
    "409": ("gateway_needs_pairing", "Kitchen refused the portal's token: pair it again."),
    "415": ("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
    "422": ("idempotency_key_reused", "This Idempotency-Key was sent with another request."),
    "429": ("throttled", "Request was throttled. Expected available in 12 seconds."),
    "502": ("gateway_error", "Kitchen answered in a way the portal cannot read."),
    "503": ("gateway_offline", "Kitchen did not answer (timed out). Nothing was changed."),
}


def problem_example(status_code: str) -> dict[str, Any]:
    code, detail = EXAMPLE_CODES[status_code]
    example: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": TITLES[code],
        "status": int(status_code),
        "detail": detail,
        "code": code,
    }
    if code == "validation_error":
        example["errors"] = {"number": [detail]}
    if code == "gateway_needs_pairing":
        example["gateway"] = {"returnCode": -2, "message": "Invalid token."}
    return example


def problem_response(status_code: str, description: str, retry: bool) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {
            PROBLEM_CONTENT_TYPE: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": problem_example(status_code),
            }
        },
    }
    if retry:
        response["headers"] = RETRY_AFTER
    return response


IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Any unique string you choose (a UUID) for this request: a retry with the same key and "
        "body gets the first answer again (with `Idempotent-Replayed: true`) and never acts "
        "twice. Kept 24 hours."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH},
}


def add_problems(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the shared parts, on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            acting = method in ("post", "delete")
            extra = {**COMMON, **(COMMANDS if acting else {})}
            responses = operation.setdefault("responses", {})
            for status_code, (description, retry) in extra.items():
                responses.setdefault(status_code, problem_response(status_code, description, retry))
            if acting:
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                for status_code, response in responses.items():
                    if status_code.startswith("2"):
                        response.setdefault("headers", {})[REPLAYED_HEADER] = {
                            "description": "`true` when this is the kept answer of a retry.",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
    return result
