"""The simulator conformance suite's contract and driver: the spec's shapes, a small HTTP driver.

The expected messages and key sets are written out here by hand from ``shared/spec`` (the
vendor pages and spec/README.md), never imported from ``ttgateway.protocol``: the suite checks
the simulator against the contract, not against itself.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from ttgateway.controls import SimulatorControls
from ttgateway.simulator import Simulator, SimulatorConfig

API = "/api/v2"

# --- the contract, as written in shared/spec ---------------------------------------------------

ACTIVEORDER_KEYS = {
    "name",
    "uuid",
    "orderType",
    "locationName",
    "state",
    "stateChanged",
    "created",
    "paged",
    "elapsedTime",
}
ORDER_SUMMARY_KEYS = {
    "name",
    "uuid",
    "orderType",
    "locationName",
    "orderStarted",
    "orderLocated",
    "orderCleared",
    "type",
}
TOKEN_KEYS = {"name", "token", "creation_date", "last_used", "ip_address"}
STATISTICS_KEYS = {"averageSeconds", "exceededToday", "ordersToday", "targetTime", "percentGoal"}
ERROR_KEYS = {"status", "returnCode", "message"}

# Verbatim from shared/spec/vendor-docs (and spec/README.md for the [pub] codes).
MESSAGES = {
    -1: "Malformed authorization header.",
    -2: "Invalid token.",
    -3: "Time window expired or gateway button not pressed.",
    -6: "Order not found.",
    -8: "Missing order name. Must be a positive integer.",
    -9: "Invalid order name. Must be a positive integer.",
    -10: "Invalid location name. Must be a positive integer.",
    -11: "Order type missing from request. Must be either TO_GO or ON_PREMISES.",
    -12: "Order type invalid. Must be either TO_GO or ON_PREMISES.",
    -22: "Invalid number for target_time.",
    -23: "Invalid value for limit. Must be a positive integer.",
    -24: "Invalid value for offset. Must be a positive integer.",
    -25: "Invalid date(s). Provided dates do not match format YYYY-MM-DDTHH:MM:SS.",
    -26: "Number of orders to return is over maximum limit of 100.",
    -27: "Invalid UUID. Must be in the format XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX.",
    1009: "Order already started.",
    1010: "Order already located.",
}

NAIVE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
UTC_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# A fixed moment for tests that need exact times; the clock is frozen there.
NOON = "2026-03-02T12:00:00"


@dataclass
class Reply:
    status: int
    body: dict[str, Any]

    def is_error(self, status: int, code: int) -> bool:
        """The documented error shape exactly: status twice, the code, the verbatim message."""
        return self.status == status and self.body == {
            "status": status,
            "returnCode": code,
            "message": MESSAGES[code],
        }


class Gateway:
    """Drives one simulator over the wire: the API with a token, and the /_sim/ hardware."""

    def __init__(
        self, http: aiohttp.ClientSession, auth: dict[str, str], controls: SimulatorControls
    ) -> None:
        self.http = http
        self.auth = auth
        self.controls = controls
        # The hardware this suite uses most, by short names.
        self.start = controls.start_tracker
        self.locate = controls.locate_tracker
        self.clear = controls.clear_tracker
        self.advance = controls.advance_clock
        self.state = controls.state

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """An API request (path under /api/v2), with this gateway's token unless told otherwise."""
        async with self.http.request(
            method,
            API + path,
            json=json,
            data=data,
            params=params,
            headers=self.auth if headers is None else headers,
        ) as response:
            return Reply(response.status, await response.json())

    async def create(
        self,
        name: str,
        order_type: str = "ON_PREMISES",
        location: str | None = None,
        *,
        dummy_tracker: bool = False,
    ) -> Reply:
        body = {"name": name, "orderType": order_type}
        if location is not None:
            body["locationName"] = location
        params = {"dummy_tracker_address": "true"} if dummy_tracker else None
        return await self.call("POST", "/activeorders", json=body, params=params)

    async def orders(self, **params: str) -> Reply:
        return await self.call("GET", "/orders", params=params)

    async def statistics(self, **params: str) -> dict[str, Any]:
        reply = await self.call("GET", "/statistics", params=params)
        assert reply.status == 200, reply.body
        return dict(reply.body["statistics"])

    async def freeze(self, at: str = NOON) -> None:
        await self.controls.freeze_clock(at)

    async def finish(self, name: str, *, after: float, location: str | None = None) -> str:
        """An order created now (at ``location`` if given) and cleared ``after`` seconds on."""
        created = await self.create(name, location=location)
        assert created.status == 201, created.body
        await self.advance(after)
        await self.clear(name)
        return str(created.body["activeorder"]["uuid"])


async def press_and_generate(
    controls: SimulatorControls,
    http: aiohttp.ClientSession,
    name: str | None = None,
    *,
    press: bool = True,
) -> Reply:
    """The generate endpoint itself, after a press of the button unless told otherwise."""
    if press:
        await controls.press_button()
    params = {"name": name} if name is not None else None
    async with http.get(API + "/accesstoken/generate", params=params) as response:
        return Reply(response.status, await response.json())


@asynccontextmanager
async def running(config: SimulatorConfig) -> AsyncIterator[tuple[Simulator, Gateway]]:
    """A simulator of one's own (not the shared fixture's), with a token already issued."""
    async with (
        Simulator(config) as sim,
        aiohttp.ClientSession(base_url=sim.url) as http,
        SimulatorControls(sim.url) as controls,
    ):
        token = await controls.issue_token("tests")
        yield sim, Gateway(http, {"Authorization": f"Bearer {token}"}, controls)


# --- WebSocket ---------------------------------------------------------------------------------


@asynccontextmanager
async def websocket(
    simulator: Simulator, headers: dict[str, str] | None = None
) -> AsyncIterator[aiohttp.ClientWebSocketResponse]:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(simulator.ws_url, headers=headers, autoping=True) as ws,
    ):
        yield ws


async def receive(ws: aiohttp.ClientWebSocketResponse, within: float = 2.0) -> dict[str, Any]:
    """The next JSON message; fails on a close or a silence."""
    msg = await ws.receive(timeout=within)
    assert msg.type is aiohttp.WSMsgType.TEXT, f"expected a message, got {msg.type!r}"
    return dict(msg.json())


async def closes(ws: aiohttp.ClientWebSocketResponse, within: float = 2.0) -> bool:
    """True once the server closes the socket (text messages before the close are skipped)."""
    async with asyncio.timeout(within):
        while True:
            msg = await ws.receive()
            if msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.ERROR,
            ):
                return True


async def silent(ws: aiohttp.ClientWebSocketResponse, seconds: float = 0.1) -> bool:
    """True if nothing arrives for ``seconds``."""
    try:
        msg = await ws.receive(timeout=seconds)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected message {msg.type!r}: {msg.data!r}")
