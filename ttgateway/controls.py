"""A typed client of the simulator's hardware and fault controls (``/_sim/``), async and blocking.

What a person does on site (press the button, start a tracker, carry it to a table, page it, drop
it on the clearing unit) and what a test or a demo needs (move the clock, inject faults, move the
gateway, seed history) — one method each, for every test, benchmark and demo that drives a
simulator::

    async with SimulatorControls(sim.url) as controls:
        await controls.press_button()
        order = await controls.start_tracker("12")

    with SyncSimulatorControls(sim.url) as controls:  # the same methods, blocking
        controls.locate_tracker("12", table="7")

A control the simulator refuses raises :class:`ControlFailed`, naming the control, the HTTP
status and the simulator's own message. The endpoints are in ``ttgateway/simulator/controls.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

import aiohttp

from ttgateway.bridge import LoopThread

P = ParamSpec("P")
T = TypeVar("T")

WireOrder = dict[str, Any]
"""An active order exactly as the gateway's API shows it (``name``, ``uuid``, ``state``...)."""

TrackerAction = Literal["start", "locate", "page", "clear"]

DEFAULT_TIMEOUT = 10.0


class ControlFailed(Exception):
    """A control answered with an error (or not JSON): which one, the status and why."""

    def __init__(self, control: str, status: int, answer: Any) -> None:
        self.control = control
        self.status = status
        self.answer = answer
        reason = answer.get("error", answer) if isinstance(answer, dict) else answer
        super().__init__(f"simulator control {control} answered {status}: {reason}")


@dataclass(frozen=True)
class Faults:
    """The faults in force: a delay on every answer, refusing the API, no paging, offline."""

    delay_ms: int
    refuse: bool
    paging_unavailable: bool
    offline: bool

    @classmethod
    def from_wire(cls, body: dict[str, Any]) -> Faults:
        return cls(
            delay_ms=int(body["delay_ms"]),
            refuse=bool(body["refuse"]),
            paging_unavailable=bool(body["paging_unavailable"]),
            offline=bool(body["offline"]),
        )


@dataclass(frozen=True)
class FaultsSet:
    faults: Faults
    dropped_websockets: int


@dataclass(frozen=True)
class ClockReading:
    """The gateway's clock after a move (naive local time, as its API shows it)."""

    now: str
    frozen: bool
    purged: int  # finished orders forgotten because the move put them past two weeks


@dataclass(frozen=True)
class Traffic:
    """The demo's made-up guests: whether they come, and how fast."""

    running: bool
    speed: float


@dataclass(frozen=True)
class HistorySeeded:
    added: int
    history_count: int


@dataclass(frozen=True)
class SimulatorState:
    """What the simulated gateway holds now (``GET /_sim/state``). Token names only, never a
    token: a token is shown once, by the gateway's generate endpoint."""

    gateway: dict[str, Any]
    url: str
    now: str
    clock_offset_seconds: float
    clock_frozen: bool
    button_window_seconds_left: int
    tokens: tuple[str, ...]
    websocket_clients: int
    active: tuple[WireOrder, ...]
    history_count: int
    faults: Faults
    traffic: Traffic

    @property
    def active_names(self) -> list[str]:
        return sorted(order["name"] for order in self.active)

    @classmethod
    def from_wire(cls, body: dict[str, Any]) -> SimulatorState:
        return cls(
            gateway=dict(body["gateway"]),
            url=str(body["url"]),
            now=str(body["now"]),
            clock_offset_seconds=float(body["clock_offset_seconds"]),
            clock_frozen=bool(body["clock_frozen"]),
            button_window_seconds_left=int(body["button_window_seconds_left"]),
            tokens=tuple(body["tokens"]),
            websocket_clients=int(body["websocket_clients"]),
            active=tuple(body["active"]),
            history_count=int(body["history_count"]),
            faults=Faults.from_wire(body["faults"]),
            traffic=Traffic(
                running=bool(body["demo_traffic"]["running"]),
                speed=float(body["demo_traffic"]["speed"]),
            ),
        )


def _given(**fields: Any) -> dict[str, Any]:
    """A control's body: only what the caller gave (the simulator treats absent as unchanged)."""
    return {key: value for key, value in fields.items() if value is not None}


class SimulatorControls:
    """The simulator's ``/_sim/`` controls over HTTP. Close it (or use ``async with``) when done.

    It follows the gateway when :meth:`move_address` moves it.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """``session``: an aiohttp session of the caller's to send the controls on (it stays
        the caller's to close); by default the controls make their own."""
        self.base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None

    def __repr__(self) -> str:
        return f"SimulatorControls({self.base_url!r})"

    async def __aenter__(self) -> SimulatorControls:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> Any:
        if self._session is None:
            self._own_session = True
            # Made here, on the loop that uses it (the blocking face builds this object elsewhere).
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        control = f"{method} {path}"
        url = self.base_url + path
        async with self._session.request(method, url, json=body, params=params) as reply:
            try:
                answer = await reply.json(content_type=None)
            except ValueError:
                raise ControlFailed(control, reply.status, await reply.text()) from None
            if reply.status >= 300:
                raise ControlFailed(control, reply.status, answer)
            return answer

    # --- what a person does on site ------------------------------------------------------------

    async def press_button(self) -> str:
        """Press the gateway's button: one token may be generated for two minutes. Returns when
        that window closes (the gateway's local time)."""
        answer = await self._call("POST", "/_sim/button", {})
        return str(answer["window_closes"])

    async def issue_token(self, name: str = "tests") -> str:
        """Press the button and take a token, as an integrator does when pairing."""
        await self.press_button()
        params = {"name": name}
        answer = await self._call("GET", "/api/v2/accesstoken/generate", params=params)
        return str(answer["token"]["token"])

    async def start_tracker(self, name: str | int, order_type: str = "ON_PREMISES") -> WireOrder:
        """Take tracker ``name`` from the charger for an order (joins a POS order of that name)."""
        return await self.tracker_step(name, "start", order_type=order_type)

    async def locate_tracker(self, name: str | int, table: str | int) -> WireOrder:
        """Tracker ``name`` reaches the tag of ``table`` (starts the order if it had none)."""
        return await self.tracker_step(name, "locate", table=table)

    async def page_tracker(self, name: str | int) -> WireOrder:
        """Tracker ``name`` buzzes."""
        return await self.tracker_step(name, "page")

    async def clear_tracker(self, name: str | int, reason: str | None = None) -> WireOrder:
        """Tracker ``name`` is dropped on the clearing unit: its order is finished."""
        return await self.tracker_step(name, "clear", reason=reason)

    async def tracker_step(
        self,
        name: str | int,
        action: TrackerAction,
        *,
        order_type: str | None = None,
        table: str | int | None = None,
        reason: str | None = None,
    ) -> WireOrder:
        """Any of the four, by name: for code that walks trackers through a list of steps."""
        body = _given(
            orderType=order_type, table=None if table is None else str(table), reason=reason
        )
        answer = await self._call("POST", f"/_sim/trackers/{name}/{action}", body)
        return dict(answer["activeorder"])

    # --- what a test or a demo needs -----------------------------------------------------------

    async def state(self) -> SimulatorState:
        return SimulatorState.from_wire(await self._call("GET", "/_sim/state"))

    async def move_clock(
        self, *, advance: float | None = None, to: str | None = None, freeze: bool | None = None
    ) -> ClockReading:
        """Move the gateway's clock: ``advance`` seconds, ``to`` an ISO 8601 time, ``freeze`` it
        (given with a move, the clock is frozen first so the move lands exactly) or thaw it."""
        body = _given(advance=advance, set=to, freeze=freeze)
        answer = await self._call("POST", "/_sim/clock", body)
        return ClockReading(str(answer["now"]), bool(answer["frozen"]), int(answer["purged"]))

    async def freeze_clock(self, at: str | None = None) -> ClockReading:
        return await self.move_clock(to=at, freeze=True)

    async def advance_clock(self, seconds: float) -> ClockReading:
        return await self.move_clock(advance=seconds)

    async def set_faults(
        self,
        *,
        delay_ms: float | None = None,
        refuse: bool | None = None,
        paging_unavailable: bool | None = None,
        drop_websockets: bool | None = None,
        offline_seconds: float | None = None,
    ) -> FaultsSet:
        """Inject faults. ``offline_seconds``: the gateway answers this, then goes for that long."""
        body = _given(
            delay_ms=delay_ms,
            refuse=refuse,
            paging_unavailable=paging_unavailable,
            drop_websockets=drop_websockets,
            offline_seconds=offline_seconds,
        )
        faults = await self._faults(body)
        if offline_seconds is not None:
            # Going offline cuts every connection: the next control opens a fresh one.
            await self.close()
        return faults

    async def clear_faults(self) -> FaultsSet:
        return await self._faults({"clear": True})

    async def _faults(self, body: dict[str, Any]) -> FaultsSet:
        answer = await self._call("POST", "/_sim/faults", body)
        return FaultsSet(Faults.from_wire(answer["faults"]), int(answer["dropped_websockets"]))

    async def delete_tokens(self, name: str | None = None) -> int:
        """Revoke the gateway's tokens (all, or those issued under ``name``); how many went."""
        path = "/_sim/tokens" if name is None else f"/_sim/tokens/{name}"
        return int((await self._call("DELETE", path))["deleted"])

    async def move_address(self, host: str | None = None, port: int = 0) -> str:
        """Move the gateway to another loopback address (as DHCP would); its new base URL.
        These controls follow it there."""
        answer = await self._call("POST", "/_sim/address", _given(host=host, port=port))
        self.base_url = str(answer["url"])
        await self.close()  # the old address is gone, and the connection with it
        return self.base_url

    async def seed_history(
        self, *, days: int | None = None, orders_per_day: int | None = None, seed: int | None = None
    ) -> HistorySeeded:
        """Fill the gateway's history with finished orders (defaults: 13 days of 150, seed 7)."""
        body = _given(days=days, orders_per_day=orders_per_day, seed=seed)
        answer = await self._call("POST", "/_sim/history", body)
        return HistorySeeded(int(answer["added"]), int(answer["history_count"]))

    async def set_traffic(
        self, *, running: bool | None = None, speed: float | None = None
    ) -> Traffic:
        """Start or stop the demo's made-up guests, or change their pace."""
        answer = await self._call("POST", "/_sim/traffic", _given(running=running, speed=speed))
        return Traffic(bool(answer["running"]), float(answer["speed"]))


def _blocking(
    method: Callable[Concatenate[SimulatorControls, P], Coroutine[Any, Any, T]],
) -> Callable[Concatenate[SyncSimulatorControls, P], T]:
    """The blocking face of one control: the same arguments, run on the private loop."""

    @functools.wraps(method)
    def call(self: SyncSimulatorControls, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._bridge.run(method(self._controls, *args, **kwargs))

    return call


class SyncSimulatorControls:
    """The same controls as :class:`SimulatorControls`, blocking, for synchronous code (Django
    tests, benchmarks, the demo). Close it (or use ``with``) when done."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._controls = SimulatorControls(base_url, timeout=timeout)
        self._bridge = LoopThread(f"simulator-controls {base_url}", self._controls.close)

    def __repr__(self) -> str:
        return f"Sync{self._controls!r}"

    @property
    def base_url(self) -> str:
        return self._controls.base_url

    @base_url.setter
    def base_url(self, url: str) -> None:
        self._controls.base_url = url.rstrip("/")

    def __enter__(self) -> SyncSimulatorControls:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._bridge.close()

    press_button = _blocking(SimulatorControls.press_button)
    issue_token = _blocking(SimulatorControls.issue_token)
    start_tracker = _blocking(SimulatorControls.start_tracker)
    locate_tracker = _blocking(SimulatorControls.locate_tracker)
    page_tracker = _blocking(SimulatorControls.page_tracker)
    clear_tracker = _blocking(SimulatorControls.clear_tracker)
    tracker_step = _blocking(SimulatorControls.tracker_step)
    state = _blocking(SimulatorControls.state)
    move_clock = _blocking(SimulatorControls.move_clock)
    freeze_clock = _blocking(SimulatorControls.freeze_clock)
    advance_clock = _blocking(SimulatorControls.advance_clock)
    set_faults = _blocking(SimulatorControls.set_faults)
    clear_faults = _blocking(SimulatorControls.clear_faults)
    delete_tokens = _blocking(SimulatorControls.delete_tokens)
    move_address = _blocking(SimulatorControls.move_address)
    seed_history = _blocking(SimulatorControls.seed_history)
    set_traffic = _blocking(SimulatorControls.set_traffic)
