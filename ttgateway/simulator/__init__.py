"""A faithful Table Tracker gateway (API v2), free of Django: ``python -m ttgateway.simulator``.

The integrators' tool when no hardware is at hand, the demo's data source, and the test double of
every test suite. See ``docs/simulator.md``.
"""

from ttgateway.simulator.gateway import GatewayError, GatewayState
from ttgateway.simulator.server import Simulator, SimulatorConfig

__all__ = ["GatewayError", "GatewayState", "Simulator", "SimulatorConfig"]
