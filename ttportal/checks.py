"""Deployment checks of our own, run by ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.management.base import CommandError


def generated_secrets() -> list[Error]:
    """An error for each secret this box made itself instead of reading it from the
    environment: a deployment of several machines could not share it, and a production
    portal's keys are its operator's to keep and back up."""
    return [
        Error(
            f"{name} is not set: this portal is using a secret it generated in its data directory.",
            hint=f"Set {name} in the environment of every process (see docs/deployment.md).",
            id="ttportal.E001",
        )
        for name in settings.TTPORTAL_GENERATED_SECRETS
    ]


@register(Tags.security, deploy=True)
def secrets_come_from_the_environment(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    return list(generated_secrets())


def refuse_generated_secrets_outside_the_single_box() -> None:
    """``serve`` and ``up`` on a database server or Redis start only with their keys set."""
    if settings.TTPORTAL_SINGLE_BOX:
        return
    errors = generated_secrets()
    if errors:
        raise CommandError(
            "Refusing to start with a database server or Redis but no keys of its own: "
            + " ".join(f"{error.msg} {error.hint}" for error in errors)
        )


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
