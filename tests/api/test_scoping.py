"""Two sites, two keys: each key reaches its own site only, and another site's object is a 404
(never a 403, which would tell that it exists). A read-only key reads and never acts."""

from __future__ import annotations

import pytest

from gateways.models import Gateway
from orders.models import AuditEntry
from tests.factories import GatewayFactory
from tests.orders.factories import ActiveOrderFactory, OrderRecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hilltop_gateway(other_site) -> Gateway:
    return GatewayFactory.create(site=other_site, name="Hilltop bar", status=Gateway.Status.ONLINE)


def object_urls(gateway: Gateway, order: str) -> list[tuple[str, str]]:
    """Every way of reaching one site's objects: (method, url)."""
    base = f"/api/v1/gateways/{gateway.pk}"
    return [
        ("get", f"/api/v1/sites/{gateway.site_id}/"),
        ("get", f"{base}/"),
        ("get", f"{base}/orders/"),
        ("post", f"{base}/orders/"),
        ("delete", f"{base}/orders/"),
        ("get", f"{base}/orders/{order}/"),
        ("delete", f"{base}/orders/{order}/"),
        ("post", f"{base}/orders/{order}/page/"),
        ("get", f"/api/v1/history/?site={gateway.site_id}"),
        ("get", f"/api/v1/history/?gateway={gateway.pk}"),
        ("get", f"/api/v1/statistics/?site={gateway.site_id}"),
        ("get", f"/api/v1/statistics/?gateway={gateway.pk}"),
    ]


def test_another_sites_objects_are_404_for_every_object_type(riverside, hilltop_gateway):
    order = ActiveOrderFactory.create(gateway=hilltop_gateway, name="12")

    for by in ("12", str(order.uuid)):
        for method, url in object_urls(hilltop_gateway, by):
            body = {"number": "12", "type": "to_go"} if url.endswith("/orders/") else None
            response = getattr(riverside, method)(url, body)
            assert response.status_code == 404, f"{method.upper()} {url}"
            assert response.json()["code"] == "not_found", f"{method.upper()} {url}"
    assert not AuditEntry.objects.exists(), "nothing was tried on Hilltop's gateway"


def test_each_key_lists_only_its_own_sites_and_gateways(
    riverside, hilltop, gateway, hilltop_gateway
):
    assert [s["name"] for s in riverside.get("/api/v1/sites/").json()] == ["Riverside"]
    assert [s["name"] for s in hilltop.get("/api/v1/sites/").json()] == ["Hilltop"]
    assert [g["name"] for g in riverside.get("/api/v1/gateways/").json()] == ["Kitchen"]
    assert [g["name"] for g in hilltop.get("/api/v1/gateways/").json()] == ["Hilltop bar"]


def test_each_key_reads_only_its_own_history(riverside, hilltop, gateway, hilltop_gateway):
    OrderRecordFactory.create(gateway=gateway, name="1")
    OrderRecordFactory.create(gateway=hilltop_gateway, name="2")

    assert [r["number"] for r in riverside.get("/api/v1/history/").json()["results"]] == ["1"]
    assert [r["number"] for r in hilltop.get("/api/v1/history/").json()["results"]] == ["2"]


@pytest.mark.usefixtures("lunchtime")  # the statistics count today's orders
def test_each_key_counts_only_its_own_orders_in_the_statistics(riverside, gateway, hilltop_gateway):
    OrderRecordFactory.create(gateway=gateway)
    OrderRecordFactory.create(gateway=hilltop_gateway)
    OrderRecordFactory.create(gateway=hilltop_gateway)

    assert riverside.get("/api/v1/statistics/").json()["total"]["orders"] == 1


def test_a_key_for_two_sites_reaches_both(site, other_site, gateway, hilltop_gateway):
    from tests.api.support import client_for, issue_key

    both = client_for(issue_key("Head office", site, other_site))

    names = [g["name"] for g in both.get("/api/v1/gateways/").json()]
    assert sorted(names) == ["Hilltop bar", "Kitchen"]
    assert both.get(f"/api/v1/gateways/{hilltop_gateway.pk}/orders/").status_code == 200


def test_a_gateway_list_can_be_narrowed_to_one_site(site, other_site, gateway, hilltop_gateway):
    from tests.api.support import client_for, issue_key

    both = client_for(issue_key("Head office", site, other_site))

    response = both.get(f"/api/v1/gateways/?site={other_site.pk}")
    assert [g["name"] for g in response.json()] == ["Hilltop bar"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "orders/"),
        ("delete", "orders/"),
        ("delete", "orders/12/"),
        ("post", "orders/12/page/"),
    ],
)
def test_a_read_only_key_acting_is_403(reader, paired_gateway, sim, method, path):
    url = f"/api/v1/gateways/{paired_gateway.pk}/{path}"

    response = getattr(reader, method)(url, {"number": "12", "type": "to_go"})

    assert response.status_code == 403
    assert response.json()["code"] == "read_only_key"
    assert sim.controls.state().active_names == []
    assert not AuditEntry.objects.exists()


def test_a_read_only_key_reads(reader, paired_gateway, sim):
    assert reader.get(f"/api/v1/gateways/{paired_gateway.pk}/orders/").status_code == 200
    assert reader.get("/api/v1/history/").status_code == 200
    assert reader.get("/api/v1/statistics/").status_code == 200
