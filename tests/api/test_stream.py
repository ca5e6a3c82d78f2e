"""The event stream on the real ASGI app: key auth two ways, per-site, resumable with no loss
and no repeat."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from gateways.models import Gateway, Site
from orders.api import consumers as stream_module
from orders.models import Event
from orders.services import events
from orders.services.mirror import Change, apply_order
from tests.api.support import IssuedKey
from tests.api.test_events import seen
from tests.factories import GatewayFactory
from ttportal.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def order_uuid(n: int) -> str:
    return f"7a000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def kitchen(site: Site) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen")


@pytest.fixture
def hilltop_bar(other_site: Site) -> Gateway:
    return GatewayFactory.create(site=other_site, name="Bar")


def start(gateway: Gateway, n: int) -> int:
    """Start order ``n`` on the gateway (its own transaction); the event's id."""
    apply_order(gateway, seen(order_uuid(n), str(n)), Change.CREATED)
    return int(Event.objects.filter(data__uuid=order_uuid(n)).values_list("id", flat=True)[0])


async def open_stream(key: IssuedKey | None, query: str = "") -> WebsocketCommunicator:
    headers = [(b"authorization", f"Bearer {key.secret}".encode())] if key else []
    stream = WebsocketCommunicator(application, f"/api/v1/stream{query}", headers=headers)
    connected, _ = await stream.connect()
    assert connected
    return stream


async def ready(stream: WebsocketCommunicator) -> dict[str, Any]:
    message = await stream.receive_json_from(timeout=5)
    assert message["type"] == "stream.ready", message
    return dict(message)


async def test_a_key_in_the_header_hears_its_sites_events_and_not_another_site_s(
    kitchen, hilltop_bar, riverside_key
):
    stream = await open_stream(riverside_key)
    assert (await ready(stream))["sites"] == [kitchen.site_id]

    await sync_to_async(start)(hilltop_bar, 1)
    mine = await sync_to_async(start)(kitchen, 2)

    event = await stream.receive_json_from(timeout=5)
    assert (event["id"], event["type"], event["data"]["number"]) == (mine, "order.created", "2")
    await stream.disconnect()


async def test_a_plugin_without_headers_sends_its_token_first(kitchen, riverside_key):
    stream = await open_stream(None)
    await stream.send_json_to({"token": riverside_key.secret})
    await ready(stream)

    mine = await sync_to_async(start)(kitchen, 1)

    assert (await stream.receive_json_from(timeout=5))["id"] == mine
    await stream.disconnect()


async def test_a_wrong_token_closes_the_stream(kitchen):
    stream = await open_stream(None)
    await stream.send_json_to({"token": "ttp_notakey.really"})

    assert (await stream.receive_json_from(timeout=5))["type"] == "stream.error"
    assert (await stream.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}


async def test_no_token_in_time_closes_the_stream(kitchen, settings):
    settings.TTPORTAL_STREAM_AUTH_SECONDS = 0.2
    stream = await open_stream(None)

    assert (await stream.receive_json_from(timeout=5))["type"] == "stream.error"
    assert (await stream.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}


async def test_a_revoked_key_is_refused(kitchen, riverside_key):
    await sync_to_async(type(riverside_key.model).objects.filter(pk=riverside_key.model.pk).update)(
        revoked=True
    )
    stream = await open_stream(riverside_key)

    assert (await stream.receive_json_from(timeout=5))["type"] == "stream.error"
    assert (await stream.receive_output(timeout=5))["code"] == 4401


async def test_a_stream_resumed_with_after_loses_and_repeats_nothing(kitchen, riverside_key):
    """Events are written before, while and after the stream replays from ``after``: it sends
    each one after the cursor exactly once, in id order."""
    before = [await sync_to_async(start)(kitchen, n) for n in range(1, 6)]
    resume_from = before[1]

    def write_while_connecting() -> list[int]:
        return [start(kitchen, n) for n in range(6, 36)]

    writing = asyncio.create_task(asyncio.to_thread(write_while_connecting))
    stream = await open_stream(riverside_key, f"?after={resume_from}")
    assert (await ready(stream))["after"] == resume_from
    during = await writing
    after = [await sync_to_async(start)(kitchen, n) for n in range(36, 39)]
    expected = [i for i in before + during + after if i > resume_from]

    received: list[int] = []
    while not received or received[-1] != expected[-1]:
        received.append((await stream.receive_json_from(timeout=5))["id"])

    assert received == expected
    assert await stream.receive_nothing(timeout=0.3)
    await stream.disconnect()


async def test_events_committed_while_the_backlog_is_read_arrive_once(
    kitchen, riverside_key, monkeypatch
):
    """One event commits just before the stream reads its backlog (it is in the backlog and
    announced too: sent once), one just after (only announced: still sent)."""
    before = [await sync_to_async(start)(kitchen, n) for n in range(1, 4)]
    racing: list[int] = []

    def page_with_racing_writers(site_ids: list[int], after: int) -> Any:
        first = not racing
        if first:
            racing.append(start(kitchen, 100))
        page = events.feed(site_ids, after, stream_module.PAGE)
        if first:
            racing.append(start(kitchen, 101))
        return [events.event_payload(e) for e in page.events], page.has_more, page.cursor

    monkeypatch.setattr(stream_module, "_page", database_sync_to_async(page_with_racing_writers))
    stream = await open_stream(riverside_key, f"?after={before[0]}")
    await ready(stream)

    received = [(await stream.receive_json_from(timeout=5))["id"] for _ in range(4)]

    assert received == [*before[1:], *racing]
    assert await stream.receive_nothing(timeout=0.3)
    await stream.disconnect()


async def test_without_after_the_stream_starts_from_now(kitchen, riverside_key):
    await sync_to_async(start)(kitchen, 1)
    stream = await open_stream(riverside_key)
    await ready(stream)

    new = await sync_to_async(start)(kitchen, 2)

    assert (await stream.receive_json_from(timeout=5))["id"] == new
    await stream.disconnect()


async def test_a_key_revoked_while_streaming_is_cut_off(kitchen, riverside_key, monkeypatch):
    monkeypatch.setattr(stream_module, "KEY_RECHECK_SECONDS", 0.0)
    stream = await open_stream(riverside_key)
    await ready(stream)
    await sync_to_async(type(riverside_key.model).objects.filter(pk=riverside_key.model.pk).update)(
        revoked=True
    )

    await sync_to_async(start)(kitchen, 1)

    assert (await stream.receive_json_from(timeout=5))["type"] == "stream.error"
    assert (await stream.receive_output(timeout=5))["code"] == 4401
