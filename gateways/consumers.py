"""Live updates for pages about sites: gateway status and pairing progress.

A browser joins only the groups of sites its user may see; anything else is refused at connect.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from gateways.models import Site
from ttportal.realtime import HANDLER, site_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _visible_site_ids(user: Any) -> list[int]:
    return list(Site.objects.visible_to(user).values_list("pk", flat=True))


def requested_site(scope: dict[str, Any]) -> int | None:
    """The ``?site=`` a page asks for, or None for every site the user may see."""
    raw = parse_qs(scope.get("query_string", b"").decode()).get("site", [""])[0]
    return int(raw) if raw.isdigit() else None


class SiteEventsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Forwards every payload published to the user's site groups, unchanged."""

    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        site_ids = await _visible_site_ids(user)
        wanted = requested_site(self.scope)
        if wanted is not None:
            if wanted not in site_ids:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            site_ids = [wanted]
        for site_id in site_ids:
            group = site_group(site_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send_json({"type": "hello", "sites": site_ids})
        await self.on_joined(site_ids)

    async def on_joined(self, site_ids: list[int]) -> None:
        """Hook for pages that need a first picture before the deltas (the live board)."""

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Browsers only listen here; actions go through the portal's forms and API."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, one trip to the
        # database thread per socket per message; forwarding a payload touches no database,
        # and with many boards open those trips were a third of the server's work.
        if message["type"] == HANDLER:
            await self.portal_event(message)
        else:
            await super().dispatch(message)

    async def portal_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])
