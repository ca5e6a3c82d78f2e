"""Examples shown on every operation of the interactive docs (and checked by the schema)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

SITE_BODY = {"id": 1, "name": "Demo Restaurant", "time_zone": "Europe/Paris", "target_seconds": 300}
GATEWAY_BODY = {
    "id": 1,
    "name": "Kitchen",
    "site": 1,
    "status": "online",
    "last_seen": "2026-12-03T12:04:05Z",
    "address": "192.168.1.40:8000",
    "model": "TT-GW2",
    "firmware": "2.4.1",
}

SITE = OpenApiExample("A site", value=SITE_BODY, response_only=True)
SITE_LIST = OpenApiExample("The key's sites", value=[SITE_BODY], response_only=True)
GATEWAY = OpenApiExample("A paired gateway", value=GATEWAY_BODY, response_only=True)
GATEWAY_LIST = OpenApiExample("The gateways", value=[GATEWAY_BODY], response_only=True)
