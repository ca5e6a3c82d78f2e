"""The Table Tracker gateway API v2 vocabulary: return codes, messages, order types, event types.

Shared by the simulator and the portal's client so the two can never drift apart. Free of Django
on purpose: the simulator is handed to POS integrators as a standalone tool.

Messages are verbatim from the vendor pages (``shared/spec/vendor-docs``) where the pages give
them; the others are our wording for codes the public glossary lists without text.
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum
from typing import Final

API_PREFIX: Final = "/api/v2"
DEFAULT_PORT: Final = 8000
SERVICE_TYPE: Final = "_tracker-http._tcp.local."
TOKEN_WINDOW_SECONDS: Final = 120
WEBSOCKET_AUTH_SECONDS: Final = 20
HISTORY_RETENTION_DAYS: Final = 14
ORDERS_DEFAULT_LIMIT: Final = 25
ORDERS_MAX_LIMIT: Final = 100
DEFAULT_TARGET_TIME: Final = 300
QUERY_DATETIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S"

DIGITS_RE: Final = re.compile(r"^[0-9]+$")
UUID_RE: Final = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
QUERY_DATETIME_RE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


class ReturnCode(IntEnum):
    """Every ``returnCode`` the vendor pages and the public glossary document."""

    OK = 0
    TOKEN_CREATED = 2
    ACTIVE_ORDER = 5
    ORDERS = 8
    ORDER = 9
    STATISTICS = 10
    MALFORMED_AUTHORIZATION = -1
    INVALID_TOKEN = -2
    WINDOW_CLOSED = -3
    API_UNAVAILABLE = -5
    ORDER_NOT_FOUND = -6
    INVALID_ORDER_ID = -7
    MISSING_ORDER_NAME = -8
    INVALID_ORDER_NAME = -9
    INVALID_LOCATION_NAME = -10
    ORDER_TYPE_MISSING = -11
    ORDER_TYPE_INVALID = -12
    PAGING_UNAVAILABLE = -13
    PAGING_IMPOSSIBLE = -14
    INVALID_TARGET_TIME = -22
    INVALID_LIMIT = -23
    INVALID_OFFSET = -24
    INVALID_DATES = -25
    LIMIT_OVER_MAXIMUM = -26
    INVALID_UUID = -27
    INVALID_JSON = -31
    TOKEN_DELETED = 1001
    PAGING_CANCELED = 1002
    ORDER_ALREADY_STARTED = 1009
    ORDER_ALREADY_LOCATED = 1010


MESSAGES: Final[dict[ReturnCode, str]] = {
    # Verbatim from the vendor pages.
    ReturnCode.MISSING_ORDER_NAME: "Missing order name. Must be a positive integer.",
    ReturnCode.INVALID_ORDER_NAME: "Invalid order name. Must be a positive integer.",
    ReturnCode.INVALID_LOCATION_NAME: "Invalid location name. Must be a positive integer.",
    ReturnCode.ORDER_TYPE_MISSING: (
        "Order type missing from request. Must be either TO_GO or ON_PREMISES."
    ),
    ReturnCode.ORDER_TYPE_INVALID: "Order type invalid. Must be either TO_GO or ON_PREMISES.",
    ReturnCode.ORDER_ALREADY_STARTED: "Order already started.",
    ReturnCode.ORDER_ALREADY_LOCATED: "Order already located.",
    ReturnCode.INVALID_LIMIT: "Invalid value for limit. Must be a positive integer.",
    ReturnCode.INVALID_OFFSET: "Invalid value for offset. Must be a positive integer.",
    ReturnCode.LIMIT_OVER_MAXIMUM: "Number of orders to return is over maximum limit of 100.",
    ReturnCode.INVALID_DATES: (
        "Invalid date(s). Provided dates do not match format YYYY-MM-DDTHH:MM:SS."
    ),
    ReturnCode.INVALID_UUID: (
        "Invalid UUID. Must be in the format XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX."
    ),
    ReturnCode.ORDER_NOT_FOUND: "Order not found.",
    ReturnCode.INVALID_TARGET_TIME: "Invalid number for target_time.",
    # Public glossary (the code is documented publicly; the exact text is ours where unknown).
    ReturnCode.WINDOW_CLOSED: "Time window expired or gateway button not pressed.",
    ReturnCode.MALFORMED_AUTHORIZATION: "Malformed authorization header.",
    ReturnCode.INVALID_TOKEN: "Invalid token.",
    ReturnCode.API_UNAVAILABLE: "API unavailable.",
    ReturnCode.INVALID_ORDER_ID: "Invalid order id.",
    ReturnCode.PAGING_UNAVAILABLE: "Paging unavailable.",
    ReturnCode.PAGING_IMPOSSIBLE: "Paging impossible. No tracker assigned with order.",
    ReturnCode.INVALID_JSON: "Invalid JSON body.",
    ReturnCode.TOKEN_DELETED: "Token deleted.",
    ReturnCode.PAGING_CANCELED: "Paging canceled.",
}

TRACKER_NOT_ASSIGNED_WARNING: Final = "Tracker not assigned with order."


class OrderType(StrEnum):
    """Canonical order types. ``ON_PREMISE`` (v1) is accepted as a spelling of ON_PREMISES."""

    ON_PREMISES = "ON_PREMISES"
    TO_GO = "TO_GO"

    @classmethod
    def parse(cls, value: object) -> OrderType | None:
        """The canonical type for any accepted spelling, or None."""
        if value == "ON_PREMISE":
            return cls.ON_PREMISES
        if isinstance(value, str) and value in cls.__members__:
            return cls(value)
        return None

    @property
    def wire(self) -> str:
        """The spelling the gateway uses in its answers (the vendor examples all say ON_PREMISE)."""
        return "ON_PREMISE" if self is OrderType.ON_PREMISES else self.value


class OrderState(StrEnum):
    STARTED = "started"
    LOCATED = "located"
    CLEARED = "cleared"


class EventType(StrEnum):
    """WebSocket message types. NEW_ORDER is the create page's name for ORDER_CREATED."""

    ACTIVE_ORDERS = "ACTIVE_ORDERS"
    ORDER_CREATED = "ORDER_CREATED"
    NEW_ORDER = "NEW_ORDER"
    ORDER_MODIFIED = "ORDER_MODIFIED"
    ORDER_PAGED = "ORDER_PAGED"
    ORDER_CLEARED = "ORDER_CLEARED"


class ClearReason(StrEnum):
    """How an order left the active set (the vendor cloud's ``orderClearedReason``)."""

    TRACKER = "TRACKER"
    MANAGER_OVERRIDE = "MANAGER_OVERRIDE"
    AUTOMATIC = "AUTOMATIC"


# Order numbers and tables are positive integers on the gateway. The vendor pages give no upper
# bound; ours is nine digits (under 2**31, what a device storing a 32-bit int accepts), and a raw
# text longer than MAX_NUMBER_TEXT is refused before it is parsed at all, so a 10,000-digit
# "number" costs nothing and can never reach a column, a card or ``int()``.
MAX_NUMBER_DIGITS: Final = 9
MAX_NUMBER_TEXT: Final = 16


def positive_integer(value: object) -> str | None:
    """The canonical text of an order number or table, or None when it is not one.

    The one rule for names and tables, shared by the client, the simulator and the portal:
    digits (or a JSON integer) above zero and below ``10**MAX_NUMBER_DIGITS``, normalised so
    that "07" and 7 both name order 7.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value) if 0 < value < 10**MAX_NUMBER_DIGITS else ""
        return text or None
    if not isinstance(value, str) or len(value) > MAX_NUMBER_TEXT or not DIGITS_RE.match(value):
        return None
    digits = value.lstrip("0")
    return digits if 0 < len(digits) <= MAX_NUMBER_DIGITS else None


def is_positive_integer_string(value: str) -> bool:
    """True for a string naming a valid order number or table (see :func:`positive_integer`)."""
    return positive_integer(value) is not None
