"""The documented production settings pass Django's deployment checks, and ours."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

EXAMPLE = settings.BASE_DIR / "deploy" / "production.env.example"


def documented_environment() -> dict[str, str]:
    """deploy/production.env.example, with its <placeholders> filled as an operator would."""
    values: dict[str, str] = {}
    for line in EXAMPLE.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name] = re.sub(r"<[^>]+>", lambda _: secrets.token_urlsafe(40), value)
    return values


def run_check(
    extra: dict[str, str], fail_level: str = "WARNING"
) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TTPORTAL_"))}
    keep.pop("DATABASE_URL", None)
    keep.pop("REDIS_URL", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", fail_level],
        cwd=settings.BASE_DIR,
        env={**keep, **extra},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_documented_production_settings_pass_check_deploy():
    result = run_check(documented_environment())

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_tokens_are_sealed_with_the_secret_key():
    environment = documented_environment()
    environment["TTPORTAL_TOKEN_KEYS"] = environment["DJANGO_SECRET_KEY"]

    result = run_check(environment)

    assert result.returncode != 0
    assert "ttportal.W001" in result.stderr


def run_error_check(extra: dict[str, str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The check at ERROR level, with the box's own data directory kept in the test's."""
    return run_check({**extra, "TTPORTAL_DATA_DIR": str(data_dir)}, fail_level="ERROR")


def test_check_deploy_errs_when_tokens_have_no_key_of_their_own(tmp_path: Path):
    environment = documented_environment()
    del environment["TTPORTAL_TOKEN_KEYS"]

    result = run_error_check(environment, tmp_path)

    assert result.returncode != 0
    assert "ttportal.E001" in result.stderr
    assert "TTPORTAL_TOKEN_KEYS is not set" in result.stderr


def test_check_deploy_errs_without_a_secret_key(tmp_path: Path):
    environment = documented_environment()
    del environment["DJANGO_SECRET_KEY"]

    result = run_error_check(environment, tmp_path)

    assert result.returncode != 0
    assert "ttportal.E001" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
