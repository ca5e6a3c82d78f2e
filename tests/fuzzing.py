"""Hypothesis strategies for what a gateway (or anything on the LAN) may send over its WebSocket:
arbitrary JSON, valid messages with damaged fields, truncated frames, deep nesting, and text
that is not JSON at all. Shared by the client's parser fuzz and the relay's garbage test.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

VALID_ORDER: dict[str, Any] = {
    "name": "12",
    "uuid": "0b7f3c1e-8f7a-4a55-9c1b-3e1f0e2d4c5a",
    "orderType": "ON_PREMISES",
    "locationName": "",
    "state": "started",
    "stateChanged": "2026-12-03T12:00:00",
    "created": "2026-12-03T12:00:00",
    "paged": False,
    "elapsedTime": 3,
}
VALID_EVENT: dict[str, Any] = {"type": "ORDER_CREATED", "seq": 4, **VALID_ORDER}
VALID_SNAPSHOT: dict[str, Any] = {"type": "ACTIVE_ORDERS", "seq": 3, "items": [VALID_ORDER]}
TYPES = ["ACTIVE_ORDERS", "ORDER_CREATED", "NEW_ORDER", "ORDER_MODIFIED", "ORDER_PAGED",
         "ORDER_CLEARED", "SOMETHING_NEW"]  # fmt: skip

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)

# Values a field could hold that a firmware, a bug or an attacker might send.
odd_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2026-13-45T99:99:99",
            "",
            " ",
            "1e400",
            "-0",
            "NaN",
            1e308,
            -(2**70),
            2**70,
            "9" * 400,
            "x" * 5000,
            "\x00",
        ]
    ),
)


@st.composite
def damaged(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    """A valid message with some fields replaced by odd values, and some removed."""
    message = json.loads(json.dumps(base))
    target = message["items"][0] if "items" in message and draw(st.booleans()) else message
    for key in draw(st.lists(st.sampled_from(sorted(target)), max_size=4, unique=True)):
        if draw(st.booleans()):
            target[key] = draw(odd_values)
        else:
            del target[key]
    return dict(message)


@st.composite
def typed_objects(draw: st.DrawFn) -> dict[str, Any]:
    """Any JSON object, with one of the message types (or an unknown one)."""
    message = draw(st.dictionaries(st.text(max_size=12), json_values, max_size=8))
    message["type"] = draw(st.sampled_from(TYPES))
    return message


@st.composite
def truncated(draw: st.DrawFn) -> str:
    """A valid message cut short, as a frame cut by a broken firmware would arrive."""
    text = json.dumps(draw(st.sampled_from([VALID_EVENT, VALID_SNAPSHOT])))
    return text[: draw(st.integers(min_value=0, max_value=len(text) - 1))]


def _no_failure_code(text: str) -> bool:
    # A message with a failing returnCode is the gateway saying why it closes (a token code
    # means "re-pair"): documented behaviour, not garbage to survive.
    return "returnCode" not in text


garbage_frames = st.one_of(
    typed_objects().map(json.dumps),
    json_values.map(json.dumps),
    damaged(VALID_EVENT).map(json.dumps),
    damaged(VALID_SNAPSHOT).map(json.dumps),
    truncated(),
    st.text(max_size=200),
    st.sampled_from(["[" * 50_000, '{"type": "ORDER_CREATED", "name": ' + "[" * 50_000]),
).filter(_no_failure_code)
"""One text frame of garbage."""
