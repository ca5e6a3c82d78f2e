"""Tokens sealed by older boxes under the retired public key move to the box's own key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken

from gateways import crypto
from gateways.models import AccessToken
from gateways.services.tokens import reseal_retired_tokens
from tests.factories import GatewayFactory

pytestmark = pytest.mark.django_db

SECRET = "a" * 48


def sealed_by_an_older_box(secret: str) -> str:
    return Fernet(crypto.fernet_key(crypto.RETIRED_PUBLIC_KEY)).encrypt(secret.encode()).decode()


def test_a_token_sealed_under_the_retired_public_key_opens_with_the_box_key_after_resealing():
    token = AccessToken.objects.create(
        gateway=GatewayFactory.create(), name="old", sealed=sealed_by_an_older_box(SECRET)
    )

    assert reseal_retired_tokens() == 1

    token.refresh_from_db()
    assert token.reveal() == SECRET
    with pytest.raises(InvalidToken):
        Fernet(crypto.fernet_key(crypto.RETIRED_PUBLIC_KEY)).decrypt(token.sealed.encode())


def test_the_retired_public_key_opens_nothing_in_normal_use():
    token = AccessToken(sealed=sealed_by_an_older_box(SECRET))

    with pytest.raises(crypto.SealBroken):
        token.reveal()


def test_tokens_already_under_the_box_key_are_left_alone():
    token = AccessToken.issue(GatewayFactory.create(), "new", SECRET)

    assert reseal_retired_tokens() == 0

    token.refresh_from_db()
    assert token.reveal() == SECRET
