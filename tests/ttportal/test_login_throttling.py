"""Sign-in throttling: a guesser is stopped, the right password waits out the lockout, an admin
unlocks, and other people at the same machine are not locked out with them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client

from tests.factories import PASSWORD, UserFactory
from ttportal.throttle import client_address

pytestmark = pytest.mark.django_db

LIMIT = 5
AccessAttempt = apps.get_model("axes", "AccessAttempt")
LOGIN_PAGES = ["/login/", "/admin/login/"]


@pytest.fixture
def alice():
    return UserFactory.create(username="alice", is_staff=True)


def sign_in(client: Client, page: str, username: str, password: str, address: str = "10.0.0.7"):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address)


def guess(client: Client, page: str, username: str, times: int, address: str = "10.0.0.7"):
    for attempt in range(times):
        sign_in(client, page, username, f"wrong {attempt}", address)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_after_five_wrong_passwords_the_right_one_is_refused(client, alice, page):
    guess(client, page, "alice", LIMIT)

    response = sign_in(client, page, "alice", PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_four_wrong_passwords_still_let_the_right_one_in(client, alice, page):
    guess(client, page, "alice", LIMIT - 1)

    sign_in(client, page, "alice", PASSWORD)

    assert signed_in(client)


def test_the_locked_out_page_says_why_and_for_how_long(client, alice):
    guess(client, "/login/", "alice", LIMIT)

    page = sign_in(client, "/login/", "alice", PASSWORD).content.decode()

    assert "Too many wrong passwords" in page
    assert "15 minutes" in page
    assert "ask an admin to unlock it" in page


def test_a_lockout_is_for_one_user_name_from_one_address(client, alice):
    UserFactory.create(username="bob")
    guess(client, "/login/", "alice", LIMIT)

    sign_in(client, "/login/", "bob", PASSWORD)
    assert signed_in(client)
    other = Client()
    sign_in(other, "/login/", "alice", PASSWORD, address="10.0.0.8")
    assert signed_in(other)


def test_the_lockout_ends_after_the_cool_off(client, alice, settings):
    guess(client, "/login/", "alice", LIMIT)
    settings.AXES_COOLOFF_TIME = timedelta(0)

    sign_in(client, "/login/", "alice", PASSWORD)

    assert signed_in(client)


def test_an_admin_unlocks_a_locked_out_person(client, alice, admin_client):
    guess(client, "/login/", "alice", LIMIT)
    attempt = AccessAttempt.objects.get(username="alice")

    admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    sign_in(client, "/login/", "alice", PASSWORD)
    assert signed_in(client)


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(rf, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = rf.post("/login/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9")

    assert client_address(request) == "10.0.0.9"


def test_without_a_proxy_a_forwarded_address_is_ignored(rf, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    request = rf.post("/login/", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_address(request) == "10.0.0.7"


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_a_huge_user_name_is_refused_and_counted_not_a_server_error(client, page):
    # Django's sign-in form lets a name of any length reach authentication; axes' column holds
    # 255 characters, and PostgreSQL refused the rest with a 500 before names were bounded.
    response = sign_in(client, page, "9" * 10_000, "wrong")

    assert response.status_code == 200
    assert not signed_in(client)
    [attempt] = AccessAttempt.objects.all()
    assert attempt.username == "9" * 150
