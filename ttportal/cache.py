"""The Redis cache of a scaled deployment, sharing its Redis database with the rest of the portal.

Django's ``RedisCache.clear()`` empties the whole Redis database (``FLUSHDB``), whatever the
cache's ``KEY_PREFIX``. The portal's Redis database also holds the channel layer's groups (which
sockets listen to which site), the relay's leases and Celery's queues, all under
``TTPORTAL_REDIS_PREFIX``, and other deployments' keys under theirs: one ``clear()`` of the
rate-limit cache (the API tests do it before each test) silently cut every open board off its
live updates (they stay joined to groups that no longer exist) and dropped queued tasks. That
was the scaled bench's intermittent "lost everything" (bench/README.md). Here ``clear()``
removes this cache's own keys only.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.cache.backends.redis import RedisCache

# Keys deleted per round trip while clearing.
_BATCH = 500


def _glob_escape(text: str) -> str:
    """``text`` matched literally by a Redis ``MATCH`` pattern."""
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)


class PrefixedRedisCache(RedisCache):
    """``RedisCache`` whose ``clear()`` deletes only the keys under its ``KEY_PREFIX``."""

    def clear(self) -> None:
        backend: Any = self  # Django's stubs do not declare RedisCache's client
        client = backend._cache.get_client(None, write=True)
        # Django builds every key as "<KEY_PREFIX>:<version>:<key>" (default_key_func).
        pattern = f"{_glob_escape(self.key_prefix)}:*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=_BATCH):
            batch.append(key)
            if len(batch) >= _BATCH:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
