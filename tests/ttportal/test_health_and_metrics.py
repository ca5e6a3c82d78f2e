from __future__ import annotations

import pytest

from tests.factories import GatewayFactory, SiteFactory

pytestmark = pytest.mark.django_db


def test_the_health_endpoint_says_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics_count_gateways_by_site_and_status(client):
    site = SiteFactory.create(name="Riverside")
    GatewayFactory.create(site=site, status="online")
    GatewayFactory.create(site=site, status="online")
    GatewayFactory.create(site=site, status="offline")

    text = client.get("/metrics").content.decode()

    assert 'ttportal_gateways{site="Riverside",status="online"} 2.0' in text
    assert 'ttportal_gateways{site="Riverside",status="offline"} 1.0' in text


def test_metrics_need_the_bearer_token_when_one_is_set(client, settings):
    settings.TTPORTAL_METRICS_TOKEN = "scrape-secret"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret").status_code == 200


def test_metrics_show_how_far_each_history_pull_lags(client):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import PullCheckpoint

    gateway = GatewayFactory.create(name="Kitchen")
    PullCheckpoint.objects.create(gateway=gateway, last_success=timezone.now() - timedelta(hours=2))

    text = client.get("/metrics").content.decode()

    line = next(
        x for x in text.splitlines() if x.startswith("ttportal_pull_last_success_age_seconds{")
    )
    assert 'gateway="Kitchen"' in line
    assert 7190 < float(line.rsplit(" ", 1)[1]) < 7300
