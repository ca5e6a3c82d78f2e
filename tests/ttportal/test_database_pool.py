"""Scaled, each process keeps a pool of PostgreSQL connections (one per request otherwise)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from django.conf import settings

SHOW = (
    "import django, json; django.setup(); from django.conf import settings; "
    "db = settings.DATABASES['default']; "
    "print(json.dumps([db.get('OPTIONS', {}).get('pool'), db.get('CONN_HEALTH_CHECKS')]))"
)


def database_settings(extra: dict[str, str]) -> list[object]:
    """The default database's pool options and health checks, as a process with ``extra``
    in its environment (and no other database or Redis) configures them."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TTPORTAL_"))}
    keep.pop("DATABASE_URL", None)
    keep.pop("REDIS_URL", None)
    with tempfile.TemporaryDirectory() as data:
        environment = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "ttportal.settings",
            "TTPORTAL_DATA_DIR": data,
            **extra,
        }
        done = subprocess.run(  # noqa: S603 - our own interpreter and settings
            [sys.executable, "-c", SHOW],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    return list(json.loads(done.stdout.splitlines()[-1]))


POSTGRES = {"DATABASE_URL": "postgres://ttportal@db.internal:5432/ttportal"}


def test_a_scaled_portal_pools_its_postgresql_connections():
    pool, health_checks = database_settings(POSTGRES)

    assert pool == {"min_size": 2, "max_size": 20, "timeout": 10}
    assert health_checks is True


def test_the_pool_size_is_a_setting_and_zero_turns_the_pool_off():
    assert database_settings({**POSTGRES, "TTPORTAL_DB_POOL_SIZE": "8"})[0] == {
        "min_size": 2,
        "max_size": 8,
        "timeout": 10,
    }
    assert database_settings({**POSTGRES, "TTPORTAL_DB_POOL_SIZE": "0"})[0] is None


def test_the_single_box_has_no_pool():
    assert database_settings({})[0] is None
