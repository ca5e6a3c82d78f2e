"""The one rule for order numbers and tables, shared by the client and the simulator."""

from __future__ import annotations

import pytest

from ttgateway.client import InvalidOrderName, validation
from ttgateway.protocol import MAX_NUMBER_DIGITS, positive_integer
from ttgateway.simulator.gateway import GatewayError, GatewayState


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("7", "7"), ("07", "7"), (7, "7"), ("999999999", "999999999"), ("0000000012", "12")],
)
def test_a_number_is_read_the_same_everywhere(given, canonical):
    assert positive_integer(given) == canonical
    assert validation.order_name(given) == canonical


@pytest.mark.parametrize(
    "given",
    [
        "0",
        0,
        -3,
        True,
        "",
        "1.5",
        "+3",
        " 7",
        "1" * (MAX_NUMBER_DIGITS + 1),
        10**MAX_NUMBER_DIGITS,
        "9" * 10_000,
        "0" * 17 + "1",
        None,
        3.0,
    ],
)
def test_anything_else_is_not_a_number(given):
    assert positive_integer(given) is None


def test_a_ten_thousand_digit_number_is_refused_by_client_and_simulator_alike():
    huge = "9" * 10_000
    with pytest.raises(InvalidOrderName):
        validation.order_name(huge)
    with pytest.raises(GatewayError) as refused:
        GatewayState().submit_order({"name": huge, "orderType": "TO_GO"})
    assert refused.value.code == -9
