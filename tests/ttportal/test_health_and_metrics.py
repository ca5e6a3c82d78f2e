from __future__ import annotations

import pytest

from tests.factories import GatewayFactory, MembershipFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_health_endpoint_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_count_gateways_by_site_and_status(admin_client):
    site = SiteFactory.create(name="Riverside")
    GatewayFactory.create(site=site, status="online")
    GatewayFactory.create(site=site, status="online")
    GatewayFactory.create(site=site, status="offline")

    text = admin_client.get("/metrics").content.decode()

    assert 'ttportal_gateways{site="Riverside",status="online"} 2.0' in text
    assert 'ttportal_gateways{site="Riverside",status="offline"} 1.0' in text


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.TTPORTAL_METRICS_TOKEN = "scrape-secret"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


def test_metrics_show_how_far_each_history_pull_lags(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import PullCheckpoint

    gateway = GatewayFactory.create(name="Kitchen")
    PullCheckpoint.objects.create(gateway=gateway, last_success=timezone.now() - timedelta(hours=2))

    text = admin_client.get("/metrics").content.decode()

    line = next(
        x for x in text.splitlines() if x.startswith("ttportal_pull_last_success_age_seconds{")
    )
    assert 'gateway="Kitchen"' in line
    assert 7190 < float(line.rsplit(" ", 1)[1]) < 7300


def test_metrics_are_not_anonymous_without_a_token(client):
    SiteFactory.create(name="Riverside")

    response = client.get("/metrics")

    assert response.status_code == 403
    assert b"Riverside" not in response.content


def test_metrics_are_refused_to_a_manager_without_a_token(client):
    alice = UserFactory.create(username="alice")
    site = SiteFactory.create(name="Riverside")
    MembershipFactory.create(user=alice, site=site, role="manager")
    client.force_login(alice)

    assert client.get("/metrics").status_code == 403


def test_metrics_answer_a_superuser_without_a_token(admin_client):
    assert admin_client.get("/metrics").status_code == 200


def test_with_a_token_metrics_need_the_token_even_from_a_superuser(admin_client, settings):
    settings.TTPORTAL_METRICS_TOKEN = "scrape-secret"

    assert admin_client.get("/metrics").status_code == 401
    assert admin_client.get("/metrics", HTTP_AUTHORIZATION="scrape-secret").status_code == 401
    assert (
        admin_client.get("/metrics", HTTP_AUTHORIZATION="bearer scrape-secret").status_code == 200
    )
