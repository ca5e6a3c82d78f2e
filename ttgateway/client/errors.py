"""One exception per documented gateway failure, all under :class:`GatewayError`.

The gateway answers a failure with ``{status, returnCode, message}``; the client turns the
``returnCode`` into the matching class here, so callers write ``except OrderNotFound`` rather than
compare numbers. Transport failures (refused, timed out, dropped) and answers the client cannot
read get their own classes under the same root, so ``except GatewayError`` catches everything the
client raises on purpose.

No exception here ever carries the access token: messages come from the gateway's own text or the
client's, and :func:`error_for` scrubs any echo of the token from the gateway's text.
"""

from __future__ import annotations

from typing import Final

from ttgateway.protocol import MESSAGES, ReturnCode


class GatewayError(Exception):
    """Anything the gateway client raises on purpose.

    ``status`` is the HTTP status (None when no answer was received or the client refused before
    sending), ``return_code`` the gateway's ``returnCode`` (None when it gave none), ``message``
    the gateway's text or the client's own explanation.
    """

    def __init__(
        self, message: str, *, status: int | None = None, return_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.return_code = return_code

    def __str__(self) -> str:
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.return_code is not None:
            details.append(f"returnCode {self.return_code}")
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, status={self.status!r}, "
            f"return_code={self.return_code!r})"
        )


# --- authentication -------------------------------------------------------------------------


class TokenRejected(GatewayError):
    """The gateway refused the token: re-pairing (a button press) is the only cure."""


class MalformedAuthorization(TokenRejected):
    """-1: no ``Authorization: Bearer`` header, or one the gateway cannot read."""


class InvalidToken(TokenRejected):
    """-2: the gateway does not know this token."""


class TokenDeleted(TokenRejected):
    """1001: the token was deleted on the gateway (sent on a WebSocket before it closes)."""


class PairingWindowClosed(GatewayError):
    """-3: no button press in the last two minutes, or the window already issued its token."""


# --- availability ---------------------------------------------------------------------------


class ApiUnavailable(GatewayError):
    """-5: the gateway is up but its API refuses to serve (busy, updating, unknown path)."""


class PagingUnavailable(GatewayError):
    """-13: the gateway cannot page at the moment (its radio is busy or off)."""


class PagingImpossible(GatewayError):
    """-14: no tracker is bound to the order, so there is nothing to make vibrate."""


class OrderNotFound(GatewayError):
    """-6: no active order (or history record) with that name or uuid."""


# --- requests the gateway finds invalid -----------------------------------------------------


class InvalidRequest(GatewayError):
    """The gateway (or the client, checking first) found the request's input invalid."""


class InvalidOrderId(InvalidRequest):
    """-7: an order identifier that is neither a uuid nor a positive number."""


class MissingOrderName(InvalidRequest):
    """-8: ``name`` is required to start an order."""


class InvalidOrderName(InvalidRequest):
    """-9: ``name`` must be a positive integer written in digits."""


class InvalidLocationName(InvalidRequest):
    """-10: a table (``locationName`` / ``location_name``) must be a positive integer."""


class OrderTypeMissing(InvalidRequest):
    """-11: ``orderType`` is required to start an order."""


class OrderTypeInvalid(InvalidRequest):
    """-12: ``orderType`` must be TO_GO or ON_PREMISES (ON_PREMISE accepted)."""


class InvalidTargetTime(InvalidRequest):
    """-22: ``target_time`` must be a positive number of seconds."""


class InvalidLimit(InvalidRequest):
    """-23: ``limit`` must be a positive integer."""


class InvalidOffset(InvalidRequest):
    """-24: ``offset`` must be an integer of zero or more."""


class InvalidDates(InvalidRequest):
    """-25: dates must read ``YYYY-MM-DDTHH:MM:SS``."""


class LimitOverMaximum(InvalidRequest):
    """-26: at most 100 orders per page."""


class InvalidUuid(InvalidRequest):
    """-27: a history lookup needs a uuid."""


class InvalidJson(InvalidRequest):
    """-31: the gateway could not read the request body (or a WebSocket message) as JSON."""


# --- transport and decoding -----------------------------------------------------------------


class GatewayUnreachable(GatewayError):
    """No answer: connection refused, name not resolved, connection cut, or too slow."""


class GatewayTimeout(GatewayUnreachable):
    """The gateway did not answer (or went silent on a WebSocket) within the time allowed."""


class ConnectionLost(GatewayUnreachable):
    """An open connection (typically the WebSocket) ended without the client asking."""


class MalformedResponse(GatewayError):
    """The gateway answered, but not in a shape the client can read; ``field`` says where."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        return_code: int | None = None,
    ) -> None:
        super().__init__(message, status=status, return_code=return_code)
        self.field = field

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, field={self.field!r}, "
            f"status={self.status!r}, return_code={self.return_code!r})"
        )


ERRORS: Final[dict[ReturnCode, type[GatewayError]]] = {
    ReturnCode.MALFORMED_AUTHORIZATION: MalformedAuthorization,
    ReturnCode.INVALID_TOKEN: InvalidToken,
    ReturnCode.WINDOW_CLOSED: PairingWindowClosed,
    ReturnCode.API_UNAVAILABLE: ApiUnavailable,
    ReturnCode.ORDER_NOT_FOUND: OrderNotFound,
    ReturnCode.INVALID_ORDER_ID: InvalidOrderId,
    ReturnCode.MISSING_ORDER_NAME: MissingOrderName,
    ReturnCode.INVALID_ORDER_NAME: InvalidOrderName,
    ReturnCode.INVALID_LOCATION_NAME: InvalidLocationName,
    ReturnCode.ORDER_TYPE_MISSING: OrderTypeMissing,
    ReturnCode.ORDER_TYPE_INVALID: OrderTypeInvalid,
    ReturnCode.PAGING_UNAVAILABLE: PagingUnavailable,
    ReturnCode.PAGING_IMPOSSIBLE: PagingImpossible,
    ReturnCode.INVALID_TARGET_TIME: InvalidTargetTime,
    ReturnCode.INVALID_LIMIT: InvalidLimit,
    ReturnCode.INVALID_OFFSET: InvalidOffset,
    ReturnCode.INVALID_DATES: InvalidDates,
    ReturnCode.LIMIT_OVER_MAXIMUM: LimitOverMaximum,
    ReturnCode.INVALID_UUID: InvalidUuid,
    ReturnCode.INVALID_JSON: InvalidJson,
    ReturnCode.TOKEN_DELETED: TokenDeleted,
}
"""The exception for every failing ``returnCode`` in :class:`ReturnCode`."""


def is_failure(return_code: int) -> bool:
    """True for codes that mean the request failed: every negative code, and 1001.

    1002 (paging canceled), 1009 and 1010 (already started / located) are informational: the
    gateway answers them with HTTP 200 and the request did what it could.
    """
    return return_code < 0 or return_code == ReturnCode.TOKEN_DELETED


def error_for(
    return_code: int,
    message: str | None = None,
    *,
    status: int | None = None,
    secret: str | None = None,
) -> GatewayError:
    """The exception for a failing ``returnCode``; unknown codes give a plain GatewayError.

    ``message`` defaults to the documented text. ``secret`` (the token) is scrubbed from the
    gateway's text in case a gateway ever echoes it back.
    """
    known = _known(return_code)
    text = message or (MESSAGES.get(known) if known is not None else None)
    text = text or f"The gateway reported returnCode {return_code}."
    if secret:
        text = text.replace(secret, "[token]")
    cls = ERRORS.get(known, GatewayError) if known is not None else GatewayError
    return cls(text, status=status, return_code=return_code)


def client_side(code: ReturnCode, message: str | None = None) -> GatewayError:
    """The exception the gateway would raise for ``code``, raised before any request is sent."""
    return error_for(code, message or MESSAGES[code])


def _known(return_code: int) -> ReturnCode | None:
    try:
        return ReturnCode(return_code)
    except ValueError:
        return None
