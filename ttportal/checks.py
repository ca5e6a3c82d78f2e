"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def token_keys_are_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.TTPORTAL_TOKEN_KEYS != [settings.SECRET_KEY]:
        return []
    return [
        Warning(
            "Gateway tokens are sealed with a key derived from SECRET_KEY.",
            hint="Set TTPORTAL_TOKEN_KEYS to its own secret, so rotating SECRET_KEY does not "
            "lose every gateway's pairing (see docs/deployment.md).",
            id="ttportal.W001",
        )
    ]


@register(Tags.database, deploy=True)
def scaled_mode_uses_a_database_server(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if not settings.REDIS_URL or settings.DATABASE_URL:
        return []
    return [
        Warning(
            "REDIS_URL is set (scaled mode) but DATABASE_URL is not: processes would share "
            "a SQLite file.",
            hint="Set DATABASE_URL to the PostgreSQL database of the deployment.",
            id="ttportal.W002",
        )
    ]
