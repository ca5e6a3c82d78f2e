"""``/api/v1/stream``: the events of a key's sites over one WebSocket, resumable by event id.

Authentication is the API key: ``Authorization: Bearer ttp_...`` on the upgrade request, or,
for clients that cannot set headers, a first message ``{"token": "ttp_..."}`` within
``TTPORTAL_STREAM_AUTH_SECONDS``. Then ``{"type": "stream.ready", ...}``, then every event
(the feed's shape). With ``?after=<event id>`` the stream first replays the feed from there.

Nothing lost, nothing repeated: the socket joins its sites' event groups *before* it reads
the feed, so an event committed meanwhile is announced to it; and what it sends comes from
the feed, after a cursor, never from the announcement. An announcement only says "read the
feed again", so one that comes late, twice, or out of order changes nothing, and the ids the
socket sends always increase.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db.models import Max

from gateways.api.authentication import bearer_token, key_for_token
from gateways.models import ApiKey, Site
from orders.models import Event
from orders.services import events

CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4400
PAGE = 500
KEY_RECHECK_SECONDS = 60.0


def _query_after(scope: dict[str, Any]) -> int | str | None:
    """``?after=`` as an id, None when absent, "invalid" when it is not an id."""
    raw = parse_qs(scope.get("query_string", b"").decode()).get("after")
    if not raw:
        return None
    return int(raw[0]) if raw[0].isdigit() and len(raw[0]) < 19 else "invalid"


def _header_token(scope: dict[str, Any]) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"authorization":
            return bearer_token(value)
    return None


@database_sync_to_async
def _key(token: str) -> ApiKey | None:
    return key_for_token(token)


@database_sync_to_async
def _still_usable(key: ApiKey) -> bool:
    fresh = ApiKey.objects.filter(pk=key.pk).first()
    return fresh is not None and not fresh.revoked and not fresh.has_expired


@database_sync_to_async
def _sites(key: ApiKey) -> list[int]:
    return list(Site.objects.filter(api_keys=key).order_by("pk").values_list("pk", flat=True))


@database_sync_to_async
def _latest(site_ids: list[int]) -> int:
    latest = Event.objects.filter(site_id__in=site_ids).aggregate(latest=Max("id"))["latest"]
    return int(latest or 0)


@database_sync_to_async
def _page(site_ids: list[int], after: int) -> tuple[list[dict[str, Any]], bool, int]:
    page = events.feed(site_ids, after, PAGE)
    return [events.event_payload(e) for e in page.events], page.has_more, page.cursor


class EventStreamConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """One plugin's live events; see the module for the no-loss, no-repeat rule."""

    key: ApiKey | None
    site_ids: list[int]
    cursor: int
    after: int | None
    key_checked: float
    groups_joined: list[str]
    deadline: asyncio.Task[None] | None

    async def connect(self) -> None:
        self.key, self.site_ids, self.cursor = None, [], 0
        self.groups_joined, self.deadline = [], None
        after = _query_after(self.scope)
        await self.accept()
        if after == "invalid":
            await self._refuse(CLOSE_BAD_REQUEST, "after must be an event id")
            return
        self.after = after if isinstance(after, int) else None
        token = _header_token(self.scope)
        if token is not None:
            await self._authenticate(token)
        else:
            self.deadline = asyncio.create_task(self._close_unless_authenticated())

    async def _close_unless_authenticated(self) -> None:
        await asyncio.sleep(settings.TTPORTAL_STREAM_AUTH_SECONDS)
        if self.key is None:
            await self._refuse(CLOSE_UNAUTHENTICATED, "no token in time")

    async def _refuse(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # the socket may be gone already
            await self.send_json({"type": "stream.error", "detail": reason})
        await self.close(code=code)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.key is not None:
            return  # a plugin only listens once it is in
        token = content.get("token") if isinstance(content, dict) else None
        await self._authenticate(token if isinstance(token, str) else "")

    async def _authenticate(self, token: str) -> None:
        key = await _key(token) if token else None
        if key is None:
            await self._refuse(CLOSE_UNAUTHENTICATED, "invalid, revoked or expired API key")
            return
        if self.deadline is not None:
            self.deadline.cancel()
        self.key, self.site_ids = key, await _sites(key)
        self.key_checked = time.monotonic()
        for site_id in self.site_ids:  # joined first: nothing committed from now is unheard
            group = events.events_group(site_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        self.cursor = self.after if self.after is not None else await _latest(self.site_ids)
        await self.send_json({"type": "stream.ready", "sites": self.site_ids, "after": self.cursor})
        await self._catch_up()

    async def _catch_up(self) -> None:
        """Send every event after the cursor, page by page, moving the cursor as it goes."""
        more = True
        while more:
            payloads, more, self.cursor = await _page(self.site_ids, self.cursor)
            for payload in payloads:
                await self.send_json(payload)

    async def portal_event(self, message: dict[str, Any]) -> None:
        """An event was committed on one of the sites: read the feed on from the cursor."""
        # The message carries the event's JSON text as published (encoded once for every
        # socket); a stream reads only its id, then the feed.
        announced = json.loads(message["text"]).get("id", 0)
        if self.key is None or announced <= self.cursor:
            return
        if not await self._key_still_usable():
            await self._refuse(CLOSE_UNAUTHENTICATED, "the API key was revoked or has expired")
            return
        await self._catch_up()

    async def _key_still_usable(self) -> bool:
        """A key revoked while its stream is open stops it (checked at most once a minute)."""
        now = time.monotonic()
        if now - self.key_checked < KEY_RECHECK_SECONDS:
            return True
        self.key_checked = now
        assert self.key is not None
        return bool(await _still_usable(self.key))

    async def disconnect(self, code: int) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
