"""Database work from long-lived async code (the relay, continuous discovery), typed.

Django replaces a broken database connection between requests; code that never ends a request
must do it itself. Without this, after a PostgreSQL restart a relay kept its dead connection and
failed every call ("the connection is closed") until the process was restarted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import connections

P = ParamSpec("P")
T = TypeVar("T")


def drop_broken_connections() -> None:
    """Close this thread's connections that failed and no longer answer (the next query opens a
    new one). Healthy connections are kept: checking costs nothing until an error occurred."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and connection.errors_occurred:
            if connection.is_usable():
                connection.errors_occurred = False
            else:
                connection.close()


def in_db_thread(fn: Callable[P, T], *, thread_sensitive: bool = True) -> Callable[P, Awaitable[T]]:
    """``fn`` as a coroutine function on the database thread (or, not thread-sensitive, on one
    of a pool), never on a broken connection."""

    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        drop_broken_connections()
        return fn(*args, **kwargs)

    # Named after ``fn`` for tracebacks, but without ``functools.wraps``: with it, continuous
    # discovery recorded no gateway (tests/resilience/test_impostor.py). Cause not pinned down.
    guarded.__name__ = guarded.__qualname__ = getattr(fn, "__name__", "guarded")
    return sync_to_async(guarded, thread_sensitive=thread_sensitive)
