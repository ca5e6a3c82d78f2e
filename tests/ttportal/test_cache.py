"""Clearing the API's rate-limit cache leaves the rest of the portal's Redis alone (scaled pass).

Django's own ``RedisCache.clear()`` is ``FLUSHDB``: it took the channel layer's groups with it,
and every open board stopped receiving updates without a word (ttportal/cache.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import caches

from ttportal.realtime import message


@pytest.fixture(autouse=True)
def _scaled_pass_only() -> None:
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: runs in the scaled pass of scripts/test")


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(settings.REDIS_URL)
    yield connection
    connection.close()


def test_clearing_the_api_cache_removes_its_own_keys_and_nothing_else(client):
    cache = caches["api"]
    cache.set("throttle-key", 1)
    other = f"{settings.TTPORTAL_REDIS_PREFIX}:not-the-cache:{uuid.uuid4().hex}"
    client.set(other, "kept")
    try:
        cache.clear()

        assert cache.get("throttle-key") is None
        assert client.get(other) == b"kept"
    finally:
        client.delete(other)


async def test_a_board_still_hears_its_site_after_the_api_cache_is_cleared():
    layer = get_channel_layer()
    assert layer is not None
    group = f"site.cache-test-{uuid.uuid4().hex[:8]}"
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    try:
        await sync_to_async(caches["api"].clear)()

        await layer.group_send(group, message({"type": "order.upserted"}))
        # Bounded so that a lost membership fails the test instead of hanging it.
        received = await asyncio.wait_for(layer.receive(channel), 30)
        assert received["text"] == '{"type": "order.upserted"}'
    finally:
        await layer.group_discard(group, channel)
