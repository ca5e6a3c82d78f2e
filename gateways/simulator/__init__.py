"""A faithful Table Tracker gateway (API v2), free of Django: ``python -m gateways.simulator``.

The integrators' tool when no hardware is at hand, the demo's data source, and the test double of
every test suite. See ``docs/simulator.md``.
"""

from gateways.simulator.gateway import GatewayError, GatewayState
from gateways.simulator.server import Simulator, SimulatorConfig

__all__ = ["GatewayError", "GatewayState", "Simulator", "SimulatorConfig"]
