"""One Redis connection pool per process for Django's Redis cache (the API's rate limits).

Django keeps a cache object per request context, and its Redis cache builds its connection pool
per object: under Daphne, where each request is a context (and a thread) of its own, every API
request opened a new connection to Redis, and with it Redis's handshake, only to count one
request. Given as the cache's ``pool_class``, this hands every cache object of the process the
same pool for the same server and options; redis-py pools are thread-safe and reset themselves
in a forked child.
"""

from __future__ import annotations

import threading
from typing import Any

from redis import ConnectionPool

_POOLS: dict[str, ConnectionPool] = {}
_POOLS_LOCK = threading.Lock()


class SharedConnectionPool(ConnectionPool):
    """``from_url`` returns the process's pool for that URL and options, made once."""

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> ConnectionPool:  # type: ignore[override]
        key = repr((url, sorted(kwargs.items())))
        with _POOLS_LOCK:
            pool = _POOLS.get(key)
            if pool is None:
                pool = _POOLS[key] = ConnectionPool.from_url(url, **kwargs)
            return pool
