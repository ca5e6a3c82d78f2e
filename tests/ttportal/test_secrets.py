"""The box's secrets: its own, private, never a public constant; production brings its own."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as conf
from django.contrib.auth.models import User

from gateways.crypto import fernet_key
from ttportal.keyfile import local_secret
from ttportal.management.commands.up import FIRST_ADMIN_PASSWORD_FILE, Command

# The development key every box shared before it generated its own.
PUBLIC_CONSTANT = "insecure-dev-key-only-for-loopback-single-box"

SHOW_SECRETS = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.SECRET_KEY, s.TTPORTAL_TOKEN_KEYS]))"
)


def clean_environment(**extra: str) -> dict[str, str]:
    """This machine's environment without any portal setting, plus ``extra``."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TTPORTAL_"))}
    keep.pop("DATABASE_URL", None)
    keep.pop("REDIS_URL", None)
    return {**keep, "DJANGO_SETTINGS_MODULE": "ttportal.settings", **extra}


def run(argv: list[str], **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *argv],
        cwd=conf.BASE_DIR,
        env=clean_environment(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def secrets_of_a_box(data_dir: Path) -> tuple[str, list[str]]:
    result = run(["-c", SHOW_SECRETS], TTPORTAL_DATA_DIR=str(data_dir))
    assert result.returncode == 0, result.stderr
    secret_key, token_keys = json.loads(result.stdout)
    return secret_key, token_keys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_box_without_keys_makes_its_own_from_no_public_constant(tmp_path: Path):
    secret_key, token_keys = secrets_of_a_box(tmp_path / "one")
    other_secret_key, other_token_keys = secrets_of_a_box(tmp_path / "two")

    assert secret_key != PUBLIC_CONSTANT
    assert fernet_key(token_keys[0]) != fernet_key(PUBLIC_CONSTANT)
    assert token_keys != [secret_key]
    assert other_secret_key != secret_key
    assert other_token_keys != token_keys


def test_a_box_keeps_its_keys_from_one_start_to_the_next(tmp_path: Path):
    first = secrets_of_a_box(tmp_path / "data")

    assert secrets_of_a_box(tmp_path / "data") == first


def test_the_keys_and_the_database_are_readable_by_their_owner_only(tmp_path: Path):
    data_dir = tmp_path / "data"
    secrets_of_a_box(data_dir)

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "secret-key") == 0o600
    assert mode(data_dir / "token-key") == 0o600
    assert mode(data_dir / "ttportal.sqlite3") == 0o600


def test_a_world_readable_database_from_an_older_box_is_made_private(tmp_path: Path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    (data_dir / "ttportal.sqlite3").touch(mode=0o644)
    (data_dir / "ttportal.sqlite3").chmod(0o644)

    secrets_of_a_box(data_dir)

    assert mode(data_dir) == 0o700
    assert mode(data_dir / "ttportal.sqlite3") == 0o600


def test_an_empty_key_file_is_refused_rather_than_used(tmp_path: Path):
    (tmp_path / "secret-key").touch()

    with pytest.raises(RuntimeError, match="empty"):
        local_secret(tmp_path / "secret-key")


def test_serve_refuses_to_start_on_redis_without_keys_of_its_own(tmp_path: Path):
    result = run(
        ["manage.py", "serve", "--port", "1"],
        TTPORTAL_DATA_DIR=str(tmp_path),
        REDIS_URL="redis://127.0.0.1:6379/0",
    )

    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "TTPORTAL_TOKEN_KEYS" in result.stderr


def test_up_refuses_to_start_on_a_database_server_without_a_token_key(tmp_path: Path):
    result = run(
        ["manage.py", "up", "--port", "1"],
        TTPORTAL_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        DJANGO_SECRET_KEY="x" * 50,
    )

    assert result.returncode != 0
    assert "Refusing to start" in result.stderr
    assert "TTPORTAL_TOKEN_KEYS" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" not in result.stderr


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_first_admin_password_is_shown_at_the_console_and_logged_nowhere(
    db: None, everything_logged: pytest.LogCaptureFixture
):
    console = Terminal()

    Command(stdout=console)._ensure_first_admin()

    shown = console.getvalue().split("with password ")[1].split()[0]
    assert User.objects.get(username="admin").check_password(shown)
    assert shown not in everything_logged.text


def test_the_first_admin_password_goes_to_a_private_file_when_output_is_not_a_console(
    db: None, everything_logged: pytest.LogCaptureFixture, tmp_path: Path, settings
):
    settings.DATA_DIR = tmp_path
    journal = io.StringIO()

    Command(stdout=journal)._ensure_first_admin()

    kept = tmp_path / FIRST_ADMIN_PASSWORD_FILE
    password = kept.read_text().strip()
    assert User.objects.get(username="admin").check_password(password)
    assert mode(kept) == 0o600
    assert password not in journal.getvalue()
    assert str(kept) in journal.getvalue()
    assert password not in everything_logged.text
