"""Shared by the REST client and the event stream: reading a gateway JSON body, naming failures.

Both ends turn aiohttp's exceptions into the client's own, and read ``returnCode`` the same
tolerant way, so a failure means the same thing whichever way it arrived.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import aiohttp

from ttgateway.client.errors import (
    GatewayError,
    GatewayTimeout,
    GatewayUnreachable,
    MalformedResponse,
    error_for,
    is_failure,
)

MAX_ANSWER_BYTES: Final = 1024 * 1024
"""The most a gateway answer (a REST body or one WebSocket message) may weigh. A full page of
history is about 30 kB; anything near a megabyte is not a gateway talking, and reading it whole
would let any device on the LAN fill the portal's memory (and again on every health check)."""


def not_a_gateway(where: str, status: int | None, why: str) -> MalformedResponse:
    return MalformedResponse(f"The answer is not a gateway's ({where}): {why}", status=status)


async def read_bounded(response: aiohttp.ClientResponse, where: str) -> bytes:
    """The body of a gateway's answer, refused past MAX_ANSWER_BYTES; a redirect is refused too
    (a gateway never redirects, and following one would dial wherever it points)."""
    status = response.status
    if 300 <= status < 400:
        raise not_a_gateway(where, status, "it redirects")
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        raise not_a_gateway(where, status, "the answer is too large")
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise not_a_gateway(where, status, "the answer is too large")
    return bytes(body)


def unreachable(exc: BaseException, where: str, timeout: float | None) -> GatewayUnreachable:
    """The client's exception for a transport failure talking to ``where``.

    The caller raises it ``from`` :func:`cause`, never from aiohttp's exception directly.
    """
    if isinstance(exc, TimeoutError):
        limit = f" within {timeout:g} s" if timeout else ""
        return GatewayTimeout(f"No answer from the gateway{limit} ({where})")
    detail = str(exc) or type(exc).__name__
    return GatewayUnreachable(f"Cannot reach the gateway ({where}): {detail}")


def cause(exc: BaseException) -> BaseException | None:
    """The exception to chain, or None when chaining could leak the token.

    aiohttp's response errors keep the request (its headers, so the Authorization header) in
    their ``args``, and ``repr`` shows it: those are not chained.
    """
    return None if isinstance(exc, aiohttp.ClientResponseError) else exc


def decode(raw: bytes | str, where: str, status: int | None) -> dict[str, Any]:
    """A gateway JSON object from a body or a WebSocket message; MalformedResponse otherwise."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        # RecursionError: a few kilobytes of "[[[[..." exhaust the parser's stack.
        size = len(raw)
        raise MalformedResponse(
            f"The gateway's answer is not JSON ({where}, {size} bytes)", status=status
        ) from None
    if not isinstance(data, dict):
        raise MalformedResponse(
            f"The gateway's answer is not a JSON object ({where}, {type(data).__name__})",
            status=status,
        )
    return data


def return_code(data: dict[str, Any]) -> int | None:
    """``returnCode`` as an int, tolerating ``"5"`` or ``5.0``; None when absent or unreadable."""
    value = data.get("returnCode")
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def message(data: dict[str, Any]) -> str | None:
    """The gateway's ``message`` text, if it gave one."""
    value = data.get("message")
    if not isinstance(value, str):
        return None
    return value.strip() or None


def raise_for_answer(
    data: dict[str, Any], status: int | None, where: str, secret: str | None
) -> int | None:
    """Raise the typed exception for a failing answer; return its returnCode otherwise.

    The returnCode decides first (a gateway may send a failure with HTTP 200); an HTTP error with
    no failing code still fails, as a plain GatewayError.
    """
    code = return_code(data)
    if code is not None and is_failure(code):
        raise error_for(code, message(data), status=status, secret=secret)
    if status is not None and status >= 400:
        text = message(data) or f"The gateway answered HTTP {status} ({where})"
        if secret:
            text = text.replace(secret, "[token]")
        raise GatewayError(text, status=status, return_code=code)
    return code
