"""The live board's socket: the whole board on every (re)connect, then the deltas.

Site scoping, authentication and forwarding are :class:`SiteEventsConsumer`'s; the board only
adds its first picture, so a browser that reconnects after a blip is right again at once.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from gateways.consumers import SiteEventsConsumer
from orders.services.board import board_payload


@database_sync_to_async
def _board(site_ids: list[int]) -> dict[str, Any]:
    return board_payload(site_ids)


class BoardConsumer(SiteEventsConsumer):
    """``ws/board/`` (optionally ``?site=ID``): a ``board`` payload, then every site event."""

    async def on_joined(self, site_ids: list[int]) -> None:
        # Joined before the picture is taken: a change made meanwhile arrives after it as a
        # delta, and replaying a delta the picture already shows changes nothing.
        await self.send_json(await _board(site_ids))
