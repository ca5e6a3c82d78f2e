"""The warning a person sees when the gateway's two-week purge could lose orders never copied."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from gateways.models import Gateway
from orders.models import PullCheckpoint
from orders.services.purge_risk import purge_warning
from tests.factories import GatewayFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen(site) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen", status=Gateway.Status.ONLINE)


def pulled(gateway: Gateway, days_ago: float, error: str = "") -> PullCheckpoint:
    now = timezone.now()
    return PullCheckpoint.objects.create(
        gateway=gateway,
        created=now - timedelta(days=30),
        last_run=now,
        last_success=now - timedelta(days=days_ago),
        stored_through=now - timedelta(days=days_ago),
        last_error=error,
    )


def test_a_gateway_pulled_minutes_ago_has_no_warning(kitchen):
    pulled(kitchen, days_ago=0.01)

    assert purge_warning(kitchen) == ""


def test_a_gateway_whose_pull_failed_for_a_few_days_has_no_warning_yet(kitchen):
    pulled(kitchen, days_ago=4, error="timed out")

    assert purge_warning(kitchen) == ""


def test_the_warning_appears_when_the_last_good_pull_is_ten_days_old(kitchen):
    pulled(kitchen, days_ago=10.5, error="Kitchen did not answer")

    warning = purge_warning(kitchen)

    assert "Kitchen" in warning
    assert "10 days ago" in warning
    assert "14 days" in warning
    assert "will be lost from" in warning
    assert "Last error: Kitchen did not answer" in warning


def test_past_two_weeks_the_warning_says_orders_are_already_being_lost(kitchen):
    pulled(kitchen, days_ago=15)

    assert "already being lost" in purge_warning(kitchen)


def test_the_warning_age_is_a_setting(kitchen, settings):
    settings.TTPORTAL_PULL_WARNING_DAYS = 3
    pulled(kitchen, days_ago=4)

    assert purge_warning(kitchen)


def test_a_first_pull_that_never_finished_is_warned_about_after_an_hour(kitchen):
    PullCheckpoint.objects.create(
        gateway=kitchen, created=timezone.now() - timedelta(hours=2), last_error="refused"
    )

    assert "first history pull of Kitchen has not finished" in purge_warning(kitchen)


def test_a_gateway_paired_a_minute_ago_is_not_warned_about(kitchen):
    assert purge_warning(kitchen) == ""


def test_an_unpaired_gateway_is_not_warned_about(site):
    gateway = GatewayFactory.create(site=site, status=Gateway.Status.UNPAIRED)
    PullCheckpoint.objects.create(gateway=gateway, created=timezone.now() - timedelta(days=20))

    assert purge_warning(gateway) == ""


def test_the_warning_is_on_the_gateway_page(client, bob, kitchen):
    pulled(kitchen, days_ago=11)
    client.force_login(bob)

    page = client.get(f"/gateways/{kitchen.pk}/").content.decode()

    assert "data-pull-warning" in page
    assert "last copied 11 days ago" in page


def test_the_gateway_page_shows_where_the_pull_stands(client, bob, kitchen):
    pulled(kitchen, days_ago=0.01)
    client.force_login(bob)

    page = client.get(f"/gateways/{kitchen.pk}/").content.decode()

    assert 'id="history-pull"' in page
    assert "Last complete pull" in page
    assert "data-pull-warning" not in page


def test_the_warning_is_on_the_history_page_of_the_sites_people_only(client, bob, charlie, kitchen):
    pulled(kitchen, days_ago=12)

    client.force_login(bob)
    assert "last copied 12 days ago" in client.get("/history/").content.decode()
    client.force_login(charlie)
    assert "data-pull-warning" not in client.get("/history/").content.decode()
