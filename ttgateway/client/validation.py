"""Check inputs the way the gateway does, before sending anything.

A bad table number typed at the board should fail at once with the gateway's own message and
exception, not after a round trip to a device that may be slow or offline. The rules mirror the
gateway's (``ttgateway.protocol``), so a request that passes here is one the gateway accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ttgateway.client.errors import client_side
from ttgateway.protocol import (
    ORDERS_MAX_LIMIT,
    QUERY_DATETIME_FORMAT,
    QUERY_DATETIME_RE,
    UUID_RE,
    OrderType,
    ReturnCode,
    positive_integer,
)


def order_name(value: str | int | None) -> str:
    """An order name (tracker number): required, a positive integer."""
    if value is None or value == "":
        raise client_side(ReturnCode.MISSING_ORDER_NAME)
    name = positive_integer(value)
    if name is None:
        raise client_side(ReturnCode.INVALID_ORDER_NAME)
    return name


def location_name(value: str | int | None) -> str | None:
    """A table number, or None for no table; a positive integer when given."""
    if value is None or value == "":
        return None
    location = positive_integer(value)
    if location is None:
        raise client_side(ReturnCode.INVALID_LOCATION_NAME)
    return location


def order_type(value: OrderType | str | None) -> OrderType:
    """An order type for a new order: required, TO_GO or ON_PREMISE(S)."""
    if value is None or value == "":
        raise client_side(ReturnCode.ORDER_TYPE_MISSING)
    parsed = OrderType.parse(value)
    if parsed is None:
        raise client_side(ReturnCode.ORDER_TYPE_INVALID)
    return parsed


def order_type_filter(value: OrderType | str) -> OrderType:
    """An order type to filter history by (no "missing" case: the filter is optional)."""
    parsed = OrderType.parse(value)
    if parsed is None:
        raise client_side(ReturnCode.ORDER_TYPE_INVALID)
    return parsed


def order_id(value: str | int) -> str:
    """An active order's identifier: its uuid, or its name (a positive integer)."""
    text = str(value).strip() if not isinstance(value, bool) else ""
    if UUID_RE.match(text):
        return text
    name = positive_integer(value)
    if name is None:
        raise client_side(ReturnCode.INVALID_ORDER_ID)
    return name


def history_uuid(value: str) -> str:
    """A history record's uuid (history has no lookup by name: names repeat)."""
    if not isinstance(value, str) or not UUID_RE.match(value.strip()):
        raise client_side(ReturnCode.INVALID_UUID)
    return value.strip()


def limit(value: int) -> int:
    """A page size: 1 to 100."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise client_side(ReturnCode.INVALID_LIMIT)
    if value > ORDERS_MAX_LIMIT:
        raise client_side(ReturnCode.LIMIT_OVER_MAXIMUM)
    return value


def offset(value: int) -> int:
    """A page start: zero or more."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise client_side(ReturnCode.INVALID_OFFSET)
    return value


def target_time(value: int) -> int:
    """A target delivery time in whole seconds, above zero."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise client_side(ReturnCode.INVALID_TARGET_TIME)
    return value


def query_datetime(value: datetime | str) -> str:
    """A history date filter as the gateway wants it: ``YYYY-MM-DDTHH:MM:SS`` in UTC.

    An aware datetime is converted to UTC; a naive one is taken as UTC already (the gateway's
    clock); a string must already be in the gateway's format.
    """
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime(QUERY_DATETIME_FORMAT)
    if not isinstance(value, str) or not QUERY_DATETIME_RE.match(value):
        raise client_side(ReturnCode.INVALID_DATES)
    try:
        datetime.strptime(value, QUERY_DATETIME_FORMAT)
    except ValueError:
        raise client_side(ReturnCode.INVALID_DATES) from None
    return value
