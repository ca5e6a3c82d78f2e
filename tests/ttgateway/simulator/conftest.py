"""Fixtures of the simulator conformance suite; the contract and the driver: ``contract.py``."""

from __future__ import annotations

import aiohttp
import pytest

from tests.ttgateway.simulator.contract import Gateway
from ttgateway.controls import SimulatorControls


@pytest.fixture
def gateway(
    http: aiohttp.ClientSession, auth: dict[str, str], controls: SimulatorControls
) -> Gateway:
    return Gateway(http, auth, controls)
