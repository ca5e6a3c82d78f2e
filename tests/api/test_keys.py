"""API keys: recognisable, shown once, stored hashed, and an identity of their own."""

from __future__ import annotations

import pytest

from gateways.models import ApiKey
from tests.api.support import client_for, issue_key

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_a_key_starts_with_the_portal_marker_and_its_prefix(site):
    issued = issue_key("Till", site)

    assert issued.secret.startswith("ttp_")
    assert issued.secret.startswith(issued.model.prefix + ".")


def test_a_key_is_stored_hashed_never_in_clear(site):
    issued = issue_key("Till", site)

    stored = ApiKey.objects.get(pk=issued.model.pk)
    secret_part = issued.secret.partition(".")[2]
    assert secret_part not in stored.hashed_key
    assert secret_part not in stored.pk
    assert stored.hashed_key.startswith("sha512$$")


def test_a_key_opens_the_api_as_bearer(riverside):
    response = riverside.get("/api/v1/sites/")

    assert response.status_code == 200
    assert [s["name"] for s in response.json()] == ["Riverside"]


def test_a_request_without_a_key_is_a_401_problem_with_a_challenge(db):
    response = client_for(None).get("/api/v1/sites/")

    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


def test_a_revoked_key_is_refused(riverside_key):
    riverside_key.model.revoked = True
    riverside_key.model.save()

    response = client_for(riverside_key).get("/api/v1/sites/")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_a_made_up_key_is_refused(db):
    response = client_for("ttp_AAAAAAAA.nothing-like-a-real-secret").get("/api/v1/sites/")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"


def test_a_key_with_the_right_prefix_but_a_wrong_secret_is_refused(riverside_key):
    secret = riverside_key.secret
    forged = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    response = client_for(forged).get("/api/v1/sites/")

    assert response.status_code == 401
