"""A simulator on its own thread and event loop, for synchronous callers (Django tests, demos).

``with ThreadedSimulator(SimulatorConfig(port=0)) as sim:`` starts it and stops it; ``sim.call``
runs a function on the simulator's loop, where its state may be touched safely.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from ttgateway.simulator.gateway import GatewayState
from ttgateway.simulator.server import Simulator, SimulatorConfig

T = TypeVar("T")


class ThreadedSimulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig(port=0)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.simulator = Simulator(self.config)

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

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the simulator's loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the simulator's loop (its state is not thread-safe)."""

        async def wrapped() -> T:
            return fn(*args)

        return self.run(wrapped())

    def start(self) -> ThreadedSimulator:
        self._thread.start()
        self.run(self.simulator.start())
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self.run(self.simulator.stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        self.loop.close()

    def __enter__(self) -> ThreadedSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
