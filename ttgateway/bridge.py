"""The one bridge from blocking code to coroutines: a private event loop on a thread of its own.

The toolkit is async (aiohttp); Django views, Celery tasks, the demo and synchronous tests are
not. Everything blocking that needs the async side goes through here:

- :class:`LoopThread` — a long-lived loop on a daemon thread, for an object that lives on it (the
  sync gateway client, the sync simulator controls, a simulator run beside synchronous code).
  It works from any thread, also one whose own loop is running (the call blocks that loop, as any
  blocking call would, but does not fail). It starts on first use and again after a fork (a
  Celery child inherits the object but not the thread), and stops on :meth:`LoopThread.close`,
  or when the object is collected or the process exits.
- :func:`run_blocking` — one coroutine to completion, for a call made now and then.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

SHUTDOWN_SECONDS = 5.0

Closer = Callable[[], Coroutine[Any, Any, object]]


class LoopThread:
    """An event loop on a daemon thread; blocking callers hand it coroutines and wait."""

    def __init__(self, name: str, closer: Closer | None = None) -> None:
        self.name = name
        # Run on the loop before it stops (an HTTP session closed where it was made).
        self.closer = closer
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._pid = os.getpid()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop()).result(timeout)

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a plain function on the loop (for state that only the loop's thread may touch)."""

        async def wrapped() -> T:
            return fn(*args)

        return self.run(wrapped())

    @property
    def started(self) -> bool:
        return self._loop is not None

    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop, started on first use and again in a forked child."""
        with self._lock:
            if self._pid != os.getpid():
                # Forked: the parent's thread does not exist here.
                self._pid = os.getpid()
                if self._finalizer is not None:
                    self._finalizer.detach()
                self._finalizer, self._loop = None, None
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self.name, daemon=True)
                thread.start()
                self._loop = loop
                # Stops the loop even when close() is forgotten: on garbage collection, at exit.
                self._finalizer = weakref.finalize(self, _shut_down, loop, thread, self.closer)
            return self._loop

    def close(self) -> None:
        """Run the closer, then stop the loop and its thread."""
        with self._lock:
            finalizer, self._finalizer = self._finalizer, None
            self._loop = None
        if finalizer is not None:
            finalizer()


def _shut_down(
    loop: asyncio.AbstractEventLoop, thread: threading.Thread, closer: Closer | None
) -> None:
    if threading.current_thread() is thread:
        # Collected on the loop's own thread: waiting for the loop here would wait forever.
        loop.call_soon(loop.stop)
        return
    try:
        if closer is not None:
            asyncio.run_coroutine_threadsafe(closer(), loop).result(SHUTDOWN_SECONDS)
        # Finish async generators abandoned half way, so nothing is left suspended.
        asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop).result(SHUTDOWN_SECONDS)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(SHUTDOWN_SECONDS)
        if not thread.is_alive():
            loop.close()


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, wherever that code runs.

    ``asyncio.run`` fails when the calling thread already runs an event loop (a sync service
    called from code that lives inside one), so then the coroutine gets a thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1, thread_name_prefix="run-blocking") as pool:
        return pool.submit(asyncio.run, coro).result()
