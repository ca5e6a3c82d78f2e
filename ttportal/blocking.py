"""Running a coroutine to completion from synchronous code, wherever that code runs.

Services are synchronous (views, tasks, the admin call them) but talk to gateways with the async
client. ``asyncio.run`` fails when the calling thread already runs an event loop (a sync
service called from code that lives inside one), so then the coroutine gets a thread of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="run-blocking") as pool:
        return pool.submit(asyncio.run, coro).result()
