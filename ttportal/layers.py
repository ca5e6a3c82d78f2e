"""The single box's in-memory channel layer, with the per-socket costs taken out of a fan-out.

Channels' ``InMemoryChannelLayer`` is correct but was measured (bench/README.md) to cost more
per board than the board itself:

- it sweeps every channel and every group membership for expired entries on *every*
  ``receive`` and ``group_send``, so one change to N boards costs O(N²); expiry is counted in
  tens of seconds (messages) and a day (groups), so a sweep at most once a second loses nothing;
- ``group_send`` creates one task per member and deep-copies the message for each, where the
  portal's messages are pre-encoded text (``ttportal.realtime``): a shallow copy is as safe;
- it drops a message for a full channel without a word; here a drop is logged (a board that
  lags that far behind shows stale cards until it reconnects).
"""

from __future__ import annotations

import asyncio
import logging
import time
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 1.0
_IMMUTABLE = (str, bytes, int, float, bool, type(None))


def _copy(message: dict[str, Any]) -> dict[str, Any]:
    """What a receiver gets: its own dict; the values are shared when none can be mutated."""
    if all(isinstance(value, _IMMUTABLE) for value in message.values()):
        return dict(message)
    return deepcopy(message)


class PortalInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    """``InMemoryChannelLayer`` with a rate-limited sweep and a flat-cost ``group_send``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._swept = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept < SWEEP_EVERY_SECONDS:
            return
        self._swept = now
        super()._clean_expired()

    def _put(self, channel: str, message: dict[str, Any]) -> None:
        queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
        try:
            queue.put_nowait((time.time() + self.expiry, _copy(message)))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        assert "__asgi_channel__" not in message
        self._put(channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        # No await between the puts: every member gets the messages of a group in the order
        # they were sent, and publishers on other threads keep their order too.
        full = 0
        for channel in list(self.groups.get(group, {})):
            try:
                self._put(channel, message)
            except ChannelFull:
                full += 1
        if full:
            log.warning("%s socket(s) in %s are too far behind: message dropped", full, group)
