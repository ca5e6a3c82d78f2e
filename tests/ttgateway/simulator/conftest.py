"""Helpers for the simulator conformance suite: a small driver over HTTP and the spec's shapes.

The expected messages and key sets are written out here by hand from ``shared/spec`` (the
vendor pages and spec/README.md), never imported from ``ttgateway.protocol``: the suite checks
the simulator against the contract, not against itself.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

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

    def __init__(self, http: aiohttp.ClientSession, auth: dict[str, str]) -> None:
        self.http = http
        self.auth = auth

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

    async def sim(self, path: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
        """A hardware control under /_sim/; it must succeed."""
        async with self.http.request(method, "/_sim/" + path, json=body) as response:
            answer = await response.json()
            assert response.status == 200, answer
            return answer

    async def freeze(self, at: str = NOON) -> None:
        await self.sim("clock", {"set": at, "freeze": True})

    async def advance(self, seconds: float) -> None:
        await self.sim("clock", {"advance": seconds})

    async def start(self, tracker: str, order_type: str = "ON_PREMISES") -> dict[str, Any]:
        return dict(
            (await self.sim(f"trackers/{tracker}/start", {"orderType": order_type}))["activeorder"]
        )

    async def locate(self, tracker: str, table: str) -> dict[str, Any]:
        return dict((await self.sim(f"trackers/{tracker}/locate", {"table": table}))["activeorder"])

    async def clear(self, tracker: str) -> dict[str, Any]:
        return dict((await self.sim(f"trackers/{tracker}/clear"))["activeorder"])

    async def finish(self, name: str, *, after: float, location: str | None = None) -> str:
        """An order created now (at ``location`` if given) and cleared ``after`` seconds on."""
        created = await self.create(name, location=location)
        assert created.status == 201, created.body
        await self.advance(after)
        await self.clear(name)
        return str(created.body["activeorder"]["uuid"])

    async def state(self) -> dict[str, Any]:
        return dict(await self.sim("state", method="GET"))


async def press_and_generate(
    http: aiohttp.ClientSession, name: str | None = None, *, press: bool = True
) -> Reply:
    if press:
        async with http.post("/_sim/button") as pressed:
            assert pressed.status == 200
    params = {"name": name} if name is not None else None
    async with http.get(API + "/accesstoken/generate", params=params) as response:
        return Reply(response.status, await response.json())


@asynccontextmanager
async def running(config: SimulatorConfig) -> AsyncIterator[tuple[Simulator, Gateway]]:
    """A simulator of one's own (not the shared fixture's), with a token already issued."""
    async with Simulator(config) as sim, aiohttp.ClientSession(base_url=sim.url) as http:
        reply = await press_and_generate(http, "tests")
        assert reply.status == 201
        yield sim, Gateway(http, {"Authorization": f"Bearer {reply.body['token']['token']}"})


@pytest.fixture
def gateway(http: aiohttp.ClientSession, auth: dict[str, str]) -> Gateway:
    return Gateway(http, auth)


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


async def eventually(check: Callable[[], bool | Awaitable[bool]], within: float = 3.0) -> bool:
    """Poll ``check`` until it holds (True) or ``within`` seconds pass (False)."""
    step = 0.05
    for _ in range(round(within / step)):
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return True
        await asyncio.sleep(step)
    return False
