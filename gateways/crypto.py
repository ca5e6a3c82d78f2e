"""Encryption at rest for gateway tokens: the gateway shows a token once, so we keep it, sealed.

Keys come from ``settings.TTPORTAL_TOKEN_KEYS`` (newest first, so a key can be rotated: new
tokens are sealed with the first, old ones still open with the others).
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SealBroken(Exception):
    """A stored token cannot be opened with any configured key (the key was changed)."""


def fernet_key(material: str) -> bytes:
    """A Fernet key from any secret string: used as is if it already is one, else derived."""
    raw = material.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"ttportal-token-key:" + raw).digest())


@cache
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(fernet_key(k)) for k in keys])


def _current_box() -> MultiFernet:
    return _box(tuple(settings.TTPORTAL_TOKEN_KEYS))


def seal(secret: str) -> str:
    return _current_box().encrypt(secret.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    try:
        return _current_box().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken as exc:
        raise SealBroken("stored token cannot be decrypted with the configured keys") from exc


# Boxes before 2026-12 sealed tokens with a key derived from this public development constant.
# It opens nothing in normal use: `manage.py up` re-seals what it still finds under it, once.
RETIRED_PUBLIC_KEY = "insecure-dev-key-only-for-loopback-single-box"


def reseal_retired(sealed: str) -> str | None:
    """``sealed`` sealed again with the current key if only the retired public key opens it."""
    try:
        _current_box().decrypt(sealed.encode("ascii"))
        return None
    except InvalidToken:
        pass
    try:
        secret = Fernet(fernet_key(RETIRED_PUBLIC_KEY)).decrypt(sealed.encode("ascii"))
    except InvalidToken:
        return None
    return _current_box().encrypt(secret).decode("ascii")
