"""A simulator on its own thread and event loop, for synchronous callers (Django tests, demos).

``with ThreadedSimulator(SimulatorConfig(port=0)) as sim:`` starts it and stops it; ``sim.call``
runs a function on the simulator's loop, where its state may be touched safely, and
``sim.controls`` presses its hardware over HTTP as a person on site would.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ttgateway.bridge import LoopThread
from ttgateway.controls import SyncSimulatorControls
from ttgateway.simulator.gateway import GatewayState
from ttgateway.simulator.server import Simulator, SimulatorConfig

T = TypeVar("T")


class ThreadedSimulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig(port=0)
        self.simulator = Simulator(self.config)
        self._bridge = LoopThread("simulator", self.simulator.stop)
        self._controls: SyncSimulatorControls | None = None

    @property
    def url(self) -> str:
        return self.simulator.url

    @property
    def host(self) -> str:
        return self.simulator.host

    @property
    def port(self) -> int:
        return self.simulator.port

    @property
    def state(self) -> GatewayState:
        return self.simulator.state

    @property
    def controls(self) -> SyncSimulatorControls:
        """The ``/_sim/`` controls, blocking (made on first use, closed with the simulator),
        at the simulator's address of the moment, however it moved."""
        if self._controls is None:
            self._controls = SyncSimulatorControls(self.url)
        self._controls.base_url = self.url
        return self._controls

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the simulator's loop and wait for its result."""
        return self._bridge.run(coro, timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the simulator's loop (its state is not thread-safe)."""
        return self._bridge.call(fn, *args)

    def start(self) -> ThreadedSimulator:
        self.run(self.simulator.start())
        return self

    def stop(self) -> None:
        if self._controls is not None:
            self._controls.close()
        self._bridge.close()  # stops the simulator on its loop first

    def __enter__(self) -> ThreadedSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
