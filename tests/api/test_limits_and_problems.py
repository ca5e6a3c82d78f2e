"""Rate limits per key (429 with Retry-After), and every error in the one problem shape."""

from __future__ import annotations

import pytest

from tests.api.support import client_for

pytestmark = pytest.mark.django_db

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


@pytest.fixture
def tight_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"read": "3/min", "write": "1/min"},
    }


def test_a_key_over_its_read_limit_gets_429_with_retry_after(tight_limits, riverside):
    answers = [riverside.get("/api/v1/sites/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["code"] == "throttled"
    assert 0 < int(limited["Retry-After"]) <= 60


def test_each_key_has_its_own_budget(tight_limits, riverside, hilltop):
    for _ in range(3):
        riverside.get("/api/v1/sites/")

    assert riverside.get("/api/v1/sites/").status_code == 429
    assert hilltop.get("/api/v1/sites/").status_code == 200


def test_acting_has_its_own_budget(tight_limits, riverside, gateway):
    url = f"/api/v1/gateways/{gateway.pk}/orders/"
    riverside.post(url, {"number": "1"})

    assert riverside.post(url, {"number": "1"}).status_code == 429
    assert riverside.get("/api/v1/sites/").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("get", "/api/v1/sites/999/", {}, 404, "not_found"),
        ("put", "/api/v1/sites/", {}, 405, "method_not_allowed"),
        ("post", "/api/v1/gateways/1/orders/", {"data": "x", "content_type": "text/plain"}, 415,
         "unsupported_media_type"),
        ("post", "/api/v1/gateways/1/orders/", {"data": "{", "content_type": "application/json"},
         400, "parse_error"),
        ("get", "/api/v1/sites/", {"HTTP_ACCEPT": "application/xml"}, 406, "not_acceptable"),
    ],
)  # fmt: skip
def test_every_error_is_one_problem_shape(riverside, gateway, method, path, kwargs, status, code):
    response = getattr(riverside, method)(path, **kwargs)

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert (body["status"], body["code"], body["type"]) == (
        status,
        code,
        f"urn:ttportal:problem:{code}",
    )


def test_an_unexpected_failure_is_a_500_problem_not_a_page(riverside, gateway, monkeypatch):
    from orders.api import serializers
    from orders.models import ActiveOrder

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(serializers.ActiveOrderSerializer, "to_representation", broken)
    ActiveOrder.objects.create(
        gateway=gateway, uuid="3f1c2a9e-8a6b-4c1d-9e7f-2b5a6c7d8e9f", name="1",
        order_type="TO_GO", state="started", state_changed="2026-12-03T12:00:00Z",
        created="2026-12-03T12:00:00Z",
    )  # fmt: skip

    response = riverside.get(f"/api/v1/gateways/{gateway.pk}/orders/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "server_error"
    assert "a bug" not in response.content.decode()


def test_a_person_without_a_session_or_key_is_401(gateway):
    response = client_for(None).post(f"/api/v1/gateways/{gateway.pk}/orders/", {})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
