"""Sites and gateways as a plugin reads them."""

from __future__ import annotations

import pytest

from gateways.models import Gateway

pytestmark = pytest.mark.django_db


def test_a_site_shows_its_calendar_and_target(riverside, site):
    body = riverside.get(f"/api/v1/sites/{site.pk}/").json()

    assert body == {
        "id": site.pk,
        "name": "Riverside",
        "time_zone": "Europe/Paris",
        "target_seconds": site.target_seconds,
    }


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Gateway.Status.UNPAIRED, "not_paired"),
        (Gateway.Status.ONLINE, "online"),
        (Gateway.Status.OFFLINE, "offline"),
        (Gateway.Status.NEEDS_PAIRING, "needs_pairing"),
    ],
)
def test_a_gateway_shows_its_status_in_the_apis_words(riverside, gateway, status, shown):
    Gateway.objects.filter(pk=gateway.pk).update(status=status)

    body = riverside.get(f"/api/v1/gateways/{gateway.pk}/").json()

    assert body["status"] == shown
    assert body["address"] == f"127.0.0.1:{gateway.port}"
    assert (body["name"], body["site"]) == ("Kitchen", gateway.site_id)


def test_an_unknown_path_is_a_404_problem(riverside):
    response = riverside.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_gateway_filter_that_is_not_a_number_is_a_400_problem(riverside):
    response = riverside.get("/api/v1/gateways/?site=abc")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"site"}
