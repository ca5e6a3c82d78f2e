"""Live updates for pages about sites: gateway status and pairing progress.

A browser joins only the groups of sites its user may see; anything else is refused at connect.
A socket never outlives the access it was opened with: it also listens on its person's and its
sign-in's groups, where a revocation (membership removed or moved, person deactivated or
deleted, signed out, session ended) makes it re-check its access in the database and close.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from autobahn.exception import Disconnected
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from gateways.services.socket_access import SocketAccess, socket_access
from ttportal.realtime import HANDLER, session_group, site_group, user_group

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
# Some of the sites an all-sites socket showed are no longer the person's: the page reconnects
# at once and is given the sites it may still see (4401 and 4403 stop it for good).
CLOSE_ACCESS_CHANGED = 4205

_socket_access = database_sync_to_async(socket_access)


def requested_site(scope: dict[str, Any]) -> int | None:
    """The ``?site=`` a page asks for, or None for every site the user may see."""
    raw = parse_qs(scope.get("query_string", b"").decode()).get("site", [""])[0]
    return int(raw) if raw.isdigit() else None


class SiteEventsConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Forwards every payload published to the user's site groups, unchanged."""

    groups_joined: list[str]
    site_ids: list[int]
    one_site: bool
    revoked: bool

    async def connect(self) -> None:
        self.groups_joined, self.site_ids, self.revoked = [], [], False
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user_id: int = user.pk
        self.session_key: str | None = self.scope["session"].session_key
        # Listen for revocations before reading access, so none can fall between the two.
        await self._join(user_group(self.user_id))
        if self.session_key:
            await self._join(session_group(self.session_key))
        access = await _socket_access(self.session_key, self.user_id)
        if not access.signed_in:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        site_ids = sorted(access.site_ids)
        wanted = requested_site(self.scope)
        self.one_site = wanted is not None
        if wanted is not None:
            if wanted not in site_ids:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            site_ids = [wanted]
        for site_id in site_ids:
            await self._join(site_group(site_id))
        self.site_ids = site_ids
        await self.accept()
        await self.send_json({"type": "hello", "sites": site_ids})
        await self.on_joined(site_ids)

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.append(group)

    async def _leave(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined.remove(group)

    async def on_joined(self, site_ids: list[int]) -> None:
        """Hook for pages that need a first picture before the deltas (the live board)."""

    async def disconnect(self, code: int) -> None:
        for group in list(self.groups_joined):
            await self._leave(group)

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
        # The publisher encoded the payload once for every socket (ttportal.realtime).
        if self.revoked:
            return
        try:
            await self.send(text_data=event["text"])
        except Disconnected:
            # The browser left while messages for it were still queued (a tab closed at
            # lunch): its disconnect follows and ends this consumer. Daphne reports this
            # as an error with a traceback, once per closing socket (django/channels#1820).
            return

    async def portal_revoke(self, event: dict[str, Any]) -> None:
        """Access may have been taken away: leave what is no longer allowed, then close."""
        if self.revoked:
            return
        if event["payload"].get("signed_out"):
            # Sent as the sign-out happens, before the session row is gone: final as it is.
            access = SocketAccess(signed_in=False)
        else:
            access = await _socket_access(self.session_key, self.user_id)
        lost = [site for site in self.site_ids if site not in access.site_ids]
        if access.signed_in and not lost:
            return
        self.revoked = True
        for site_id in lost:
            await self._leave(site_group(site_id))
        if not access.signed_in:
            code = CLOSE_UNAUTHENTICATED
        else:
            code = CLOSE_FORBIDDEN if self.one_site else CLOSE_ACCESS_CHANGED
        await self.close(code=code)
