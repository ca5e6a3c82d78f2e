from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from django.db import connection

from gateways import crypto, services
from gateways.models import AccessToken
from tests.portal_fixtures import pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(paired_gateway):
    return paired_gateway.token_secret()


def test_the_token_is_48_hex_characters_the_gateway_issued(secret, sim):
    assert len(secret) == 48
    assert secret in sim.state.tokens


def test_the_token_is_unreadable_in_a_database_dump(secret):
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)

    assert secret not in dump.getvalue()
    assert AccessToken.objects.get().sealed not in ("", secret)


def test_the_token_is_unreadable_in_the_raw_table(secret):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM gateways_accesstoken")
        rows = cursor.fetchall()

    assert rows
    assert secret not in repr(rows)


def test_the_token_never_reaches_the_logs(gateway, sim, caplog):
    caplog.set_level(logging.DEBUG)

    pair(gateway, sim)
    secret = gateway.token_secret()
    gateway.token_checked = None
    services.check_gateways([gateway])
    sim.call(sim.state.delete_tokens)
    gateway.token_checked = None
    services.check_gateways([gateway])

    assert secret
    assert caplog.records, "the run did log something"
    assert secret not in caplog.text


def test_the_token_is_never_rendered_on_the_gateway_pages(client, alice, paired_gateway, secret):
    client.force_login(alice)

    for url in ("/gateways/", f"/gateways/{paired_gateway.pk}/"):
        page = client.get(url).content.decode()
        assert paired_gateway.name in page
        assert secret not in page


def test_the_token_is_never_rendered_in_the_admin(
    client, paired_gateway, secret, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "", "pw")
    client.force_login(admin)

    page = client.get(f"/admin/gateways/gateway/{paired_gateway.pk}/change/").content.decode()

    assert paired_gateway.name in page
    assert secret not in page
    assert AccessToken.objects.get().sealed not in page


def test_a_token_sealed_with_an_old_key_still_opens_after_rotation(settings):
    settings.TTPORTAL_TOKEN_KEYS = ["old key"]
    sealed = crypto.seal("a" * 48)

    settings.TTPORTAL_TOKEN_KEYS = ["new key", "old key"]

    assert crypto.unseal(sealed) == "a" * 48


def test_a_token_sealed_with_a_lost_key_fails_clearly(settings):
    settings.TTPORTAL_TOKEN_KEYS = ["lost key"]
    sealed = crypto.seal("a" * 48)
    settings.TTPORTAL_TOKEN_KEYS = ["other key"]

    with pytest.raises(crypto.SealBroken, match="cannot be decrypted"):
        crypto.unseal(sealed)
