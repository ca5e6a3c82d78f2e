"""The relay fed garbage by a real socket keeps going, and mirrors the valid order sent after it.

The "gateway" here is a tiny aiohttp WebSocket server on loopback that speaks the gateway's
authentication (the token as the first message, then the ``ACTIVE_ORDERS`` snapshot) and then
sends whatever the test puts in its outbox: fuzzed frames, then one valid ``ORDER_CREATED``. A
malformed frame may end the connection (the relay reconnects and reconciles from the snapshot,
which by then holds the valid order); nothing may end the relay or leave the mirror behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gateways.models import AccessToken, Gateway, StatusChange
from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from orders.models import ActiveOrder
from tests.factories import GatewayFactory
from tests.fuzzing import VALID_ORDER, garbage_frames
from tests.loopback import free_port
from tests.portal_fixtures import eventually_in_db
from tests.resilience.harness import Result, record
from ttgateway.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "fuzz-token-0123456789"
FAST = RelaySettings(refresh_seconds=0.1, heartbeat_seconds=2, backoff_base=0.05, backoff_cap=0.2)
WITHIN = 15.0
_names = itertools.count(1)


@dataclass
class FakeGateway:
    """What the fake gateway holds and what it is told to send next."""

    active: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbox: asyncio.Queue[str | bytes] = field(default_factory=asyncio.Queue)
    connections: int = 0

    def send_order(self, order: dict[str, Any], seq: int | None = None) -> None:
        """Held from now on (so a reconnect's snapshot has it), then announced.

        Without a ``seq`` by default: the garbage before it may hold a snapshot with any seq,
        and a snapshot's seq rightly decides which later events are replays.
        """
        self.active[order["uuid"]] = order
        message = {"type": "ORDER_CREATED", **order}
        if seq is not None:
            message["seq"] = seq
        self.outbox.put_nowait(json.dumps(message))

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        first = await ws.receive(timeout=5)
        if first.type is not WSMsgType.TEXT or json.loads(first.data).get("accesstoken") != TOKEN:
            await ws.close(code=1008)
            return ws
        self.connections += 1
        snapshot = {"type": "ACTIVE_ORDERS", "seq": 0, "items": list(self.active.values())}
        await ws.send_str(json.dumps(snapshot))
        await self._forward(ws)
        return ws

    async def _forward(self, ws: web.WebSocketResponse) -> None:
        """Outbox to socket until the relay hangs up; a frame not sent stays in the outbox."""
        closed = asyncio.ensure_future(ws.receive())
        try:
            while not ws.closed:
                frame = asyncio.ensure_future(self.outbox.get())
                done, _ = await asyncio.wait({frame, closed}, return_when=asyncio.FIRST_COMPLETED)
                if frame not in done:
                    frame.cancel()
                    return
                payload = frame.result()
                with contextlib.suppress(ConnectionError):
                    if isinstance(payload, bytes):
                        await ws.send_bytes(payload)
                    else:
                        await ws.send_str(payload)
        finally:
            closed.cancel()


@contextlib.asynccontextmanager
async def serving(fake: FakeGateway, port: int) -> AsyncIterator[None]:
    app = web.Application()
    app.router.add_get("/api/v2/websocket", fake.websocket)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
    await site.start()
    try:
        yield
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def relaying() -> AsyncIterator[Relay]:
    relay = Relay(MirrorFeed(), FAST)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        assert not task.cancelled()


@pytest.fixture
def fake_gateway(transactional_db: None) -> Gateway:
    """A paired gateway row pointing at a free loopback port, where each example serves."""
    gateway = GatewayFactory.create(port=free_port(), status=Gateway.Status.ONLINE)
    AccessToken.issue(gateway, "portal", TOKEN)
    return gateway


def valid_order() -> dict[str, Any]:
    return {**VALID_ORDER, "name": str(next(_names)), "uuid": str(uuid.uuid4())}


# What every test here fed the relay, for the results table (see harness.record).
TALLY = Result("relay fed garbage", "fuzzed frames over a real socket, then a valid order")


async def feed(gateway: Gateway, frames: list[str | bytes], seq: int | None = None) -> FakeGateway:
    """Garbage, then one valid order: the relay must still mirror it."""
    fake = FakeGateway()
    async with serving(fake, gateway.port), relaying() as relay:
        # Only once the first snapshot is in: the valid order must come after the garbage.
        await eventually(
            lambda: gateway.pk in relay.connected, what="the relay to connect", within=WITHIN
        )
        started = time.monotonic()
        for frame in frames:
            fake.outbox.put_nowait(frame)
        order = valid_order()
        fake.send_order(order, seq)
        await eventually_in_db(
            ActiveOrder.objects.filter(gateway=gateway, uuid=order["uuid"]).exists,
            what=f"the valid order mirrored after {frames!r:.300}",
            within=WITHIN,
        )
        assert gateway.pk in relay.followed, "the relay stopped following the gateway"
    TALLY.converged(time.monotonic() - started)
    TALLY.bad_inputs += len(frames)
    return fake


@pytest.fixture(scope="module", autouse=True)
def _tally() -> Iterator[None]:
    yield
    if TALLY.bad_inputs:
        TALLY.allowed_seconds = WITHIN
        TALLY.manager_saw = "nothing: the gateway stayed online, the valid orders mirrored"
        record(TALLY)


@settings(
    max_examples=25,
    deadline=None,
    # No shrinking: an example here is a real socket and up to 25 s. Shrinking a failure ran
    # into pytest's timeout after 5 minutes, and the timeout was all the report then showed.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frames=st.lists(garbage_frames | st.binary(max_size=64), min_size=1, max_size=6))
def test_a_relay_fed_garbage_keeps_going_and_mirrors_the_next_valid_order(
    fake_gateway: Gateway, frames: list[str | bytes]
) -> None:
    asyncio.run(feed(fake_gateway, frames))


def test_a_frame_over_the_size_limit_costs_a_reconnect_not_the_relay(fake_gateway: Gateway) -> None:
    huge = json.dumps({**VALID_ORDER, "type": "ORDER_MODIFIED", "name": "9" * 5_000_000})

    fake = asyncio.run(feed(fake_gateway, [huge]))

    assert fake.connections >= 1


def test_garbage_from_a_gateway_does_not_show_it_offline(fake_gateway: Gateway) -> None:
    fake = asyncio.run(feed(fake_gateway, ["not json", "[" * 50_000, '{"type": "ORDER_CREATED"}']))

    assert fake.connections > 1, "the garbage did not even cost a reconnect"
    statuses = StatusChange.objects.filter(gateway=fake_gateway).values_list("status", flat=True)
    assert Gateway.Status.OFFLINE not in statuses


def test_an_event_with_a_wild_seq_does_not_silence_the_events_after_it(
    fake_gateway: Gateway,
) -> None:
    wild = json.dumps({**VALID_ORDER, "type": "ORDER_MODIFIED", "seq": 10**18})

    fake = asyncio.run(feed(fake_gateway, [wild], seq=5))

    assert fake.connections == 1, "mirrored only thanks to a reconnect's snapshot"
