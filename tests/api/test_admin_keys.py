"""API keys in the admin: the key is shown once when created, and only its hash is kept."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from gateways.models import ApiKey
from tests.api.support import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, site):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_a_key_created_in_the_admin_is_shown_once_and_works(admin_client, site):
    response = admin_client.post(
        "/admin/gateways/apikey/add/",
        {"name": "Till 1", "sites": [site.pk], "access": "write"},
        follow=True,
    )

    shown = [str(m) for m in get_messages(response.wsgi_request)] + [
        str(m) for m in response.context["messages"]
    ]
    secret = next(word for text in shown for word in text.split() if word.startswith("ttp_"))
    assert client_for(secret).get("/api/v1/sites/").status_code == 200
    key = ApiKey.objects.get()
    assert key.created_by.username == "root"
    page = admin_client.get(f"/admin/gateways/apikey/{key.pk}/change/").content.decode()
    assert secret not in page
    assert secret.partition(".")[2] not in page


def test_a_key_revoked_in_the_admin_stops_working(admin_client, site):
    key, secret = ApiKey.objects.issue("Till 1", [site])

    admin_client.post(
        "/admin/gateways/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    assert client_for(secret).get("/api/v1/sites/").status_code == 401
