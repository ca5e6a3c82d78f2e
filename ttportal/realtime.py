"""The one way the portal pushes live updates to browsers: typed payloads to channel groups.

Consumers join only groups a user may see (one per site); publishers never know who listens.
Each socket also joins its person's and its sign-in's groups, where revocations arrive.
Payloads are plain JSON-able dicts with a ``type``; each consumer forwards them unchanged.

On the single box the channel layer lives in memory, owned by the web server's event loop.
Publishers on other threads (the Celery worker, the relay) must hand their messages to that
loop, so the runner registers it with :func:`set_home_loop`.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# The Channels handler name every consumer implements to forward a payload to its socket.
HANDLER = "portal.event"
# The handler told to re-check a socket's access (sent to its user's or its session's group).
REVOKE_HANDLER = "portal.revoke"
HOME_LOOP_TIMEOUT_SECONDS = 5.0

_home_loop: asyncio.AbstractEventLoop | None = None
_in_flight: set[asyncio.Task[None]] = set()


def set_home_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    global _home_loop  # one per process, set once by the runner
    _home_loop = loop


def site_group(site_id: int) -> str:
    return f"site.{site_id}"


def user_group(user_id: int) -> str:
    """Every socket a person has open, so that losing access reaches all of them."""
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    """Every socket opened with one sign-in; named by a hash, since the key is a credential."""
    return f"session.{hashlib.sha256(session_key.encode()).hexdigest()[:40]}"


async def _send(group: str, payload: dict[str, Any], handler: str = HANDLER) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, {"type": handler, "payload": payload})


def _away_from_home() -> bool:
    if _home_loop is None or _home_loop.is_closed():
        return False
    try:
        return asyncio.get_running_loop() is not _home_loop
    except RuntimeError:
        return True


async def apublish(group: str, payload: dict[str, Any]) -> None:
    if _away_from_home():
        assert _home_loop is not None
        handed_over = asyncio.run_coroutine_threadsafe(_send(group, payload), _home_loop)
        await asyncio.wrap_future(handed_over)
    else:
        await _send(group, payload)


def publish(group: str, payload: dict[str, Any], handler: str = HANDLER) -> None:
    if _away_from_home():
        assert _home_loop is not None
        future = asyncio.run_coroutine_threadsafe(_send(group, payload, handler), _home_loop)
        future.result(HOME_LOOP_TIMEOUT_SECONDS)
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(_send)(group, payload, handler)
        return
    # Synchronous code running inside an event loop's thread cannot wait for that loop:
    # hand the message to it instead (and keep the task referenced until it is sent).
    task = loop.create_task(_send(group, payload, handler))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


def publish_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Publish once the surrounding transaction commits, so no browser sees a rolled-back state."""
    transaction.on_commit(lambda: publish(group, payload))


def revoke_on_commit(group: str, **reason: Any) -> None:
    """Once the change commits, tell every socket in ``group`` to re-check its access."""
    # robust: a layer that cannot be reached must not turn a sign-out into an error page.
    transaction.on_commit(lambda: publish(group, reason, handler=REVOKE_HANDLER), robust=True)
