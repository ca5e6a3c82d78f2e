"""Tolerant reading of the gateway's JSON: the quirks the spec lists, and nothing looser.

A :class:`Reader` wraps one JSON object and knows its path in the answer (``items[3]``), so a
value the client cannot use raises :class:`MalformedResponse` naming the exact field, never a
``KeyError`` or ``TypeError`` from deep inside a caller.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from ttgateway.client.errors import MalformedResponse
from ttgateway.protocol import (
    MAX_NUMBER_DIGITS,
    UUID_RE,
    OrderState,
    OrderType,
    positive_integer,
)

# Long values are cut in error messages: enough to recognise, not a log flood.
_SHOWN_CHARS = 40


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


class Reader:
    """Typed, tolerant access to one JSON object of a gateway answer."""

    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            where = path or "the answer"
            raise MalformedResponse(
                f"{where} should be a JSON object, got {type(data).__name__}", field=path or None
            )
        self.data: dict[str, Any] = data
        self.path = path

    def field(self, key: str) -> str:
        """The dotted path of ``key``, for error messages."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """True when ``key`` is present and not null."""
        return self.data.get(key) is not None

    def raw(self, key: str) -> object:
        """The value at ``key`` as sent; MalformedResponse if missing or null."""
        value = self.data.get(key)
        if value is None:
            raise MalformedResponse(f"{self.field(key)} is missing", field=self.field(key))
        return value

    def child(self, key: str) -> Reader:
        """A reader for the object at ``key``."""
        return Reader(self.raw(key), self.field(key))

    def items(self, key: str) -> list[Reader]:
        """Readers for each object of the array at ``key``."""
        value = self.raw(key)
        if not isinstance(value, list):
            raise self._fail(key, "an array", value)
        return [Reader(item, f"{self.field(key)}[{i}]") for i, item in enumerate(value)]

    # --- scalars -----------------------------------------------------------------------------

    def string(self, key: str, show: bool = True) -> str:
        """A string; a JSON number is accepted (order names arrive either way)."""
        value = self.raw(key)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise self._fail(key, "a string", value, show)

    def order_number(self, key: str) -> str:
        """An order number or table: the one rule (``positive_integer``), canonical ("07" is 7).

        A number the portal could not store (24 digits, "A12") fails here, naming the field,
        so that one such order is skipped rather than breaking everything read with it.
        """
        value = self.raw(key)
        number = positive_integer(value)
        if number is None:
            raise self._fail(
                key, f"a positive integer of at most {MAX_NUMBER_DIGITS} digits", value
            )
        return number

    def optional_order_number(self, key: str) -> str | None:
        """A table, or None when missing, null or blank (``locationName: ""`` means none)."""
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return self.order_number(key)

    def uuid(self, key: str) -> str:
        """An order's uuid, lower case."""
        value = self.string(key).strip()
        if not UUID_RE.match(value):
            raise self._fail(key, "a uuid", value)
        return value.lower()

    def optional_string(self, key: str) -> str | None:
        """A string, or None when missing, null or blank (``locationName: ""`` means none)."""
        if not self.has(key):
            return None
        value = self.string(key).strip()
        return value or None

    def integer(self, key: str, default: int | None = None) -> int:
        """A whole number sent as an int, an integral float (``2.0``) or a string (``"7"``)."""
        if not self.has(key) and default is not None:
            return default
        value = self.raw(key)
        number = _number(value)
        if number is None or not number.is_integer():
            raise self._fail(key, "a whole number", value)
        return int(number)

    def number(self, key: str) -> float:
        """Any finite number, sent as an int, a float or a string."""
        value = self.raw(key)
        number = _number(value)
        if number is None:
            raise self._fail(key, "a number", value)
        return number

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean; ``"true"``/``"false"`` and 0/1 are accepted from lenient firmwares."""
        if not self.has(key):
            return default
        value = self.raw(key)
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise self._fail(key, "true or false", value)

    def time(self, key: str) -> datetime:
        """An aware UTC time from ISO 8601, with or without an offset (naive means UTC)."""
        value = self.raw(key)
        moment = parse_time(value)
        if moment is None:
            raise self._fail(key, "an ISO 8601 time", value)
        return moment

    def optional_time(self, key: str) -> datetime | None:
        """A time, or None when missing, null or blank."""
        if not self.has(key) or self.data[key] == "":
            return None
        return self.time(key)

    def order_type(self, key: str) -> OrderType:
        """The canonical type: ON_PREMISE (v1) and ON_PREMISES both read as ON_PREMISES."""
        value = self.raw(key)
        parsed = OrderType.parse(value.strip().upper() if isinstance(value, str) else value)
        if parsed is None:
            raise self._fail(key, "TO_GO or ON_PREMISES", value)
        return parsed

    def order_state(self, key: str) -> OrderState:
        """started, located or cleared (any letter case)."""
        value = self.raw(key)
        if isinstance(value, str):
            try:
                return OrderState(value.strip().lower())
            except ValueError:
                pass
        raise self._fail(key, "started, located or cleared", value)

    def _fail(self, key: str, expected: str, value: object, show: bool = True) -> MalformedResponse:
        got = _shown(value) if show else f"a {type(value).__name__}"
        return MalformedResponse(
            f"{self.field(key)} should be {expected}, got {got}", field=self.field(key)
        )


def parse_time(value: object) -> datetime | None:
    """An aware UTC datetime from the gateway's ISO 8601 text, or None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        # The gateway's clock is UTC: active orders come without an offset, history with +00:00.
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        # OverflowError: an offset that takes the first or last day of the calendar past it.
        return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
