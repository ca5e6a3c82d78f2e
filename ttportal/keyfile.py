"""The single box's own secrets: generated on first start, kept in its data directory.

A secret with a public default is no secret: anyone holding the database file could open every
gateway token with it. So a box that is not given ``DJANGO_SECRET_KEY`` or ``TTPORTAL_TOKEN_KEYS``
makes its own, random, in files only its owner can read. A deployment of several machines cannot
share such a file, so there the keys must come from the environment (``check --deploy`` and
``serve``/``up`` refuse otherwise). This module imports no Django: settings use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIRECTORY = 0o700
SECRET_BYTES = 50


def private_directory(path: Path) -> Path:
    """Create ``path`` readable by its owner only; tighten an existing one this process owns."""
    path.mkdir(mode=OWNER_ONLY_DIRECTORY, parents=True, exist_ok=True)
    if path.stat().st_uid == os.geteuid():
        path.chmod(OWNER_ONLY_DIRECTORY)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` (empty) readable by its owner only, or tighten it if it exists."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY_FILE)
    os.close(fd)
    if path.stat().st_uid == os.geteuid():
        path.chmod(OWNER_ONLY_FILE)
    return path


def local_secret(path: Path) -> str:
    """The secret kept in ``path``; on first use a new random one, written with mode 0600.

    Written to a private temporary file and linked into place, so two processes starting at
    once both end up with the one secret that won, never with a half-written file.
    """
    private_directory(path.parent)
    if path.exists():
        return _read(private_file(path))
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(SECRET_BYTES) + "\n")
        with contextlib.suppress(FileExistsError):  # another process won: use theirs
            os.link(draft, path)
    finally:
        os.unlink(draft)
    return _read(path)


def _read(path: Path) -> str:
    """The secret in ``path``; an empty file is refused rather than used as a key."""
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it to have a new secret generated")
    return value
