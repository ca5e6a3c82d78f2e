"""The one way the portal pushes live updates to browsers: typed payloads to channel groups.

Consumers join only groups a user may see (one per site); publishers never know who listens.
Each socket also joins its person's and its sign-in's groups, where revocations arrive.
Payloads are plain JSON-able dicts with a ``type``; each consumer forwards them unchanged.
A payload for the sockets (``HANDLER``) is encoded to JSON once, here, by the publisher: the
message carries the text, and every socket sends those same bytes (no copy, no encoding per
socket, which was most of the cost of a change with many boards open; bench/README.md).

On the single box the channel layer lives in memory, owned by the web server's event loop.
Publishers on other threads (the Celery worker, the relay) must hand their messages to that
loop, so the runner registers it with :func:`set_home_loop`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# The Channels handler name every consumer implements to forward a payload to its socket.
HANDLER = "portal.event"
# The handler told to re-check a socket's access (sent to its user's or its session's group).
REVOKE_HANDLER = "portal.revoke"

log = logging.getLogger(__name__)

_home_loop: asyncio.AbstractEventLoop | None = None
_in_flight: set[asyncio.Task[None]] = set()
_last_handed: asyncio.Task[None] | None = None


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


def message(payload: dict[str, Any], handler: str = HANDLER) -> dict[str, Any]:
    """The channel-layer message: socket payloads as their JSON text, sent as they are."""
    if handler == HANDLER:
        return {"type": handler, "text": json.dumps(payload)}
    return {"type": handler, "payload": payload}


async def _send_message(group: str, body: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group, body)


async def _send(group: str, payload: dict[str, Any], handler: str = HANDLER) -> None:
    await _send_message(group, message(payload, handler))


def _hand_home(group: str, body: dict[str, Any]) -> None:
    """From another thread to the home loop, without waiting for it.

    The publisher (the relay's database thread, a worker) used to wait for the loop to take
    each message: under a burst the mirror's next write waited on the loop, and the loop on the
    sockets. Handed over in order (``call_soon_threadsafe`` is FIFO) and sent in order (each
    send waits for the one handed over before it), so a board still sees one order's changes
    in the order they were made, whatever the layer awaits inside ``group_send``.
    """
    assert _home_loop is not None

    def start() -> None:
        global _last_handed  # only ever touched on the home loop
        task = asyncio.ensure_future(_send_after(_last_handed, group, body))
        _last_handed = task
        _in_flight.add(task)
        task.add_done_callback(_sent)

    _home_loop.call_soon_threadsafe(start)


async def _send_after(
    previous: asyncio.Task[None] | None, group: str, body: dict[str, Any]
) -> None:
    if previous is not None and not previous.done():
        await asyncio.wait([previous])  # its failure is its own (logged by _sent)
    await _send_message(group, body)


def _sent(task: asyncio.Task[None]) -> None:
    _in_flight.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("publishing to the sockets failed", exc_info=task.exception())


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
    body = message(payload, handler)  # encoded here, on the publisher's thread
    if _away_from_home():
        _hand_home(group, body)
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(_send_message)(group, body)
        return
    # Synchronous code running inside an event loop's thread cannot wait for that loop:
    # hand the message to it instead (and keep the task referenced until it is sent).
    task = loop.create_task(_send_message(group, body))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)


def publish_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Publish once the surrounding transaction commits, so no browser sees a rolled-back state.

    Robust: the change is committed whatever becomes of its announcement. A channel layer that
    cannot be reached (Redis restarting) must not fail the writer that made the change: the
    mirror's batch writer would drop the changes queued behind it (the fault suite's Redis
    restart showed it). Sockets that missed an announcement are put right by their next board
    picture on reconnect; the failure is logged.
    """
    transaction.on_commit(lambda: publish(group, payload), robust=True)


def revoke_on_commit(group: str, **reason: Any) -> None:
    """Once the change commits, tell every socket in ``group`` to re-check its access."""
    # robust: a layer that cannot be reached must not turn a sign-out into an error page.
    transaction.on_commit(lambda: publish(group, reason, handler=REVOKE_HANDLER), robust=True)
