"""The analytics pages: who sees which site, the figures and charts, and the gateway's own count.

alice manages Riverside, bob only views Riverside, charlie manages Hilltop.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from orders.services import pull
from tests.factories import GatewayFactory
from tests.orders.factories import OrderRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kitchen(site):
    return GatewayFactory.create(site=site, name="Kitchen")


def record(gateway, days_ago: float, delivery: int):
    started = timezone.now() - timedelta(days=days_ago)
    made = OrderRecordFactory.build(
        gateway=gateway,
        site=gateway.site,
        started=started,
        cleared=started + timedelta(seconds=delivery),
    )
    made.derive()
    made.save()
    return made


def total(page: str, key: str) -> str:
    found = re.search(rf'data-total="{key}">([^<]*)<', page)
    assert found, f"no {key} tile"
    return found.group(1)


def test_a_site_page_shows_the_weeks_figures(client, bob, site, kitchen):
    site.target_seconds = 300
    site.save()
    record(kitchen, 2, 240)
    record(kitchen, 3, 360)
    record(kitchen, 20, 600)  # long before the week
    client.force_login(bob)

    page = client.get(f"/analytics/{site.pk}/").content.decode()

    assert total(page, "orders") == "2"
    assert total(page, "average") == "5:00"
    assert total(page, "median") == "5:00"
    assert total(page, "within") == "50 %"
    assert total(page, "over") == "1"


def test_each_chart_has_its_numbers_in_a_table_beside_it(client, bob, site, kitchen):
    record(kitchen, 1, 240)
    client.force_login(bob)

    page = client.get(f"/analytics/{site.pk}/", {"period": "30d"}).content.decode()

    for chart in ("by-day", "by-hour", "by-day-part", "by-type", "by-table"):
        section = page.split(f'data-chart="{chart}"')[1].split("</section>")[0]
        assert f'<canvas id="chart-{chart}"' in section
        assert '<table class="figures-table">' in section
    assert 'id="analytics-charts"' in page


def test_the_chart_library_is_served_by_the_portal_not_a_cdn(client, bob, site):
    client.force_login(bob)

    page = client.get(f"/analytics/{site.pk}/").content.decode()

    assert '<script src="/static/vendor/chartjs/chart.umd.js">' in page
    assert not re.search(r'<script[^>]+src="(https?:)?//', page)
    assert finders.find("vendor/chartjs/chart.umd.js")
    assert finders.find("vendor/chartjs/LICENSE.md")


def test_the_all_sites_page_shows_only_the_persons_sites(
    client, charlie, site, other_site, kitchen
):
    record(kitchen, 1, 240)
    record(GatewayFactory.create(site=other_site), 1, 240)
    client.force_login(charlie)

    page = client.get("/analytics/").content.decode()

    assert total(page, "orders") == "1"
    assert "Hilltop" in page
    assert "Riverside" not in page


def test_charlie_cannot_open_riverside_analytics(client, charlie, site):
    client.force_login(charlie)

    assert client.get(f"/analytics/{site.pk}/").status_code == 404


def test_a_bad_period_falls_back_to_the_last_seven_days(client, bob, site):
    client.force_login(bob)

    response = client.get(
        f"/analytics/{site.pk}/", {"period": "custom", "start": "2026-02-10", "end": "2026-02-01"}
    )

    assert response.status_code == 200
    assert "The first date comes after the last" in response.content.decode()


def test_a_gateway_that_does_not_answer_is_said_so_and_the_page_still_shows(
    client, bob, site, paired_gateway, sim
):
    sim.stop()
    client.force_login(bob)

    response = client.get(f"/analytics/{site.pk}/")

    assert response.status_code == 200
    assert "gateway not answering" in response.content.decode()


def test_the_gateways_own_figures_for_today_stand_beside_the_portals(
    client, bob, site, paired_gateway, sim
):
    site.time_zone = "UTC"  # the simulator's own zone: both count the same day
    site.save()
    for tracker in (1, 2):
        sim.controls.start_tracker(tracker, "TO_GO")
        sim.controls.clear_tracker(tracker)
    pull.pull_gateway(paired_gateway.pk)
    client.force_login(bob)

    page = client.get(f"/analytics/{site.pk}/").content.decode()

    row = page.split(f'data-today-gateway="{paired_gateway.pk}"')[1].split("</tr>")[0]
    assert '<td class="num">2 / 2</td>' in row
    assert "not answering" not in row
