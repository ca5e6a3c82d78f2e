"""Fuzzing the event stream's reading of WebSocket messages: arbitrary JSON, truncated frames,
huge and deeply nested messages, wrong types in every field of an order.

Whatever a gateway (or anything pretending to be one) sends, reading one message either gives
an event, skips it (unknown type), or raises the client's own :class:`GatewayError`: never a
``KeyError``, ``RecursionError`` or ``OverflowError`` from deep inside, which would bypass the
relay's handling of gateway errors.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing import (
    VALID_EVENT,
    VALID_ORDER,
    VALID_SNAPSHOT,
    damaged,
    json_values,
    truncated,
    typed_objects,
)
from ttgateway.client.errors import GatewayError
from ttgateway.client.events import EventStream
from ttgateway.client.models import Event, OrderEvent, Snapshot

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _no_session() -> aiohttp.ClientSession:
    raise AssertionError("reading a message never connects")


def read(text: str) -> Event | None:
    """One message through the stream's own reading, as if it had just arrived."""
    stream = EventStream(
        _no_session,
        "ws://127.0.0.1:9/api/v2/websocket",
        "secret-token",
        open_timeout=1,
        heartbeat=None,
        receive_timeout=None,
    )
    return stream._parse(text)


def read_safely(text: str) -> Event | None:
    try:
        return read(text)
    except GatewayError as error:
        refused = str(error)
    assert "secret-token" not in refused, "the token leaked into an error message"
    return None


@FUZZ
@given(typed_objects())
def test_any_json_object_is_an_event_a_skip_or_a_gateway_error(message: dict[str, Any]) -> None:
    read_safely(json.dumps(message))


@FUZZ
@given(json_values)
def test_any_json_value_is_read_or_refused_as_a_gateway_error(value: Any) -> None:
    read_safely(json.dumps(value))


@FUZZ
@given(st.one_of(damaged(VALID_EVENT), damaged(VALID_SNAPSHOT)))
def test_wrong_types_in_any_field_of_an_order_are_refused_as_gateway_errors(
    message: dict[str, Any],
) -> None:
    event = read_safely(json.dumps(message))

    assert event is None or isinstance(event, Snapshot | OrderEvent)


@FUZZ
@given(truncated())
def test_a_truncated_frame_is_a_gateway_error(text: str) -> None:
    with pytest.raises(GatewayError):
        read(text)


@FUZZ
@given(st.text(max_size=200))
def test_text_that_is_not_json_is_a_gateway_error(text: str) -> None:
    read_safely(text)


def test_a_deeply_nested_message_is_a_gateway_error_not_a_recursion_error() -> None:
    assert read_safely("[" * 100_000) is None
    assert read_safely('{"type": "ORDER_CREATED", "name": ' + "[" * 100_000) is None


def test_a_time_at_the_edge_of_the_calendar_is_a_gateway_error_not_an_overflow() -> None:
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        assert read_safely(json.dumps({**VALID_EVENT, "created": moment})) is None


def test_a_huge_message_is_read_without_trouble() -> None:
    # About 5 MB of orders (the socket's own size limit is the transport's business).
    items = [{**VALID_ORDER, "name": str(n + 1), "uuid": str(uuid.uuid4())} for n in range(20_000)]

    event = read_safely(json.dumps({"type": "ACTIVE_ORDERS", "items": items}))

    assert isinstance(event, Snapshot)
    assert len(event.orders) == 20_000
