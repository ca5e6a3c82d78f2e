"""The Redis cache's connections are shared by every request of a process, not made per request."""

from __future__ import annotations

import threading

from django.core.cache.backends.redis import RedisCacheClient

from ttportal.cachepool import SharedConnectionPool

URL = "redis://127.0.0.1:6379/0"  # never dialled: making a pool opens no connection
POOL_CLASS = "ttportal.cachepool.SharedConnectionPool"  # as in settings.CACHES["api"]


def pool_of(client: RedisCacheClient) -> object:
    return client.get_client(write=True).connection_pool


def test_two_requests_threads_get_the_same_pool():
    pools: list[object] = []

    def request() -> None:  # Django makes a cache client per request context, as here
        pools.append(pool_of(RedisCacheClient([URL], pool_class=POOL_CLASS)))

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert pools[0] is pools[1]


def test_another_server_or_options_get_a_pool_of_their_own():
    first = SharedConnectionPool.from_url(URL)

    assert SharedConnectionPool.from_url("redis://127.0.0.1:6379/1") is not first
    assert SharedConnectionPool.from_url(URL, max_connections=5) is not first
    assert SharedConnectionPool.from_url(URL) is first
