"""Publishing from another thread to the web server's loop: encoded once, and in order.

On the single box the relay's database thread and the worker publish to the channel layer
that lives on the web server's loop, without waiting for it (ttportal/realtime.py); a socket
must still get one publisher's messages in the order they were published.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from channels.layers import get_channel_layer

from ttportal import realtime

COUNT = 200


@pytest.fixture
def home_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop on its own thread, registered as the home loop (as ``manage.py serve`` does)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="home-loop", daemon=True)
    thread.start()
    realtime.set_home_loop(loop)
    try:
        yield loop
    finally:
        realtime.set_home_loop(None)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def on(loop: asyncio.AbstractEventLoop, coro: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, loop).result(10)


def test_messages_published_from_another_thread_arrive_in_the_order_published(home_loop):
    layer = get_channel_layer()
    channel = on(home_loop, layer.new_channel())
    on(home_loop, layer.group_add(realtime.site_group(7), channel))

    for step in range(COUNT):
        realtime.publish(realtime.site_group(7), {"type": "order.upserted", "step": step})

    received = [on(home_loop, layer.receive(channel)) for _ in range(COUNT)]
    assert [message["type"] for message in received] == [realtime.HANDLER] * COUNT
    assert [json.loads(message["text"])["step"] for message in received] == list(range(COUNT))
    on(home_loop, layer.group_discard(realtime.site_group(7), channel))
