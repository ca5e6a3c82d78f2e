"""Two gateways of one name are told apart wherever a page names them."""

from __future__ import annotations

from gateways.models import Gateway
from gateways.naming import gateway_labels


def gateway(pk: int, name: str, host: str, port: int = 8000) -> Gateway:
    return Gateway(pk=pk, name=name, host=host, port=port)


def test_a_gateway_with_a_name_of_its_own_is_called_by_it():
    assert gateway_labels([gateway(1, "Kitchen", "10.0.0.5"), gateway(2, "Bar", "10.0.0.6")]) == {
        1: "Kitchen",
        2: "Bar",
    }


def test_two_gateways_of_one_name_are_told_apart_by_their_address():
    labels = gateway_labels([gateway(1, "Kitchen", "10.0.0.5"), gateway(2, "Kitchen", "10.0.0.6")])

    assert labels == {1: "Kitchen (at 10.0.0.5)", 2: "Kitchen (at 10.0.0.6)"}


def test_two_gateways_of_one_name_on_one_host_are_told_apart_by_their_port():
    labels = gateway_labels(
        [gateway(1, "Kitchen", "127.0.0.1", 8000), gateway(2, "Kitchen", "127.0.0.1", 8001)]
    )

    assert labels == {1: "Kitchen (at 127.0.0.1:8000)", 2: "Kitchen (at 127.0.0.1:8001)"}
