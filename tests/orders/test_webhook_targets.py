"""Which endpoints an event is owed to: the query of ``webhooks.endpoints_for``, written out by
hand for speed, must keep the ORM's meaning in every case a key and an endpoint can be in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from gateways.models import ApiKey, Site
from orders.models import Event, WebhookEndpoint
from orders.services import webhooks
from tests.factories import GatewayFactory

pytestmark = pytest.mark.django_db


def endpoint(key: ApiKey, name: str, **fields: object) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        api_key=key, url=f"https://{name}.example/hook", secret_sealed="sealed", **fields
    )


def key(name: str, *sites: Site, **fields: object) -> ApiKey:
    issued, _ = ApiKey.objects.issue(name, sites)
    ApiKey.objects.filter(pk=issued.pk).update(**fields)
    return issued


def what_the_orm_says(event: Event) -> list[WebhookEndpoint]:
    """The rule as the ORM wrote it before the query was written out (the reference)."""
    candidates = WebhookEndpoint.objects.filter(
        enabled=True, api_key__revoked=False, api_key__sites=event.site_id
    ).filter(Q(api_key__expiry_date__isnull=True) | Q(api_key__expiry_date__gt=timezone.now()))
    return [e for e in candidates.distinct().order_by("pk") if e.wants(event.type)]


def test_only_enabled_endpoints_of_usable_keys_of_the_site_that_want_the_type(site, other_site):
    gateway = GatewayFactory.create(site=site)
    now = timezone.now()
    usable = key("usable", site)
    both_sites = key("both sites", site, other_site)
    wanted = [
        endpoint(usable, "all-types"),
        endpoint(usable, "located", event_types=["order.located"]),
        endpoint(both_sites, "both-sites"),  # found once, not once per site
        endpoint(key("expires later", site, expiry_date=now + timedelta(hours=1)), "later"),
    ]
    endpoint(usable, "disabled", enabled=False)
    endpoint(usable, "other-type", event_types=["order.cleared"])
    endpoint(key("revoked", site, revoked=True), "revoked")
    endpoint(key("expired", site, expiry_date=now - timedelta(seconds=1)), "expired")
    endpoint(key("elsewhere", other_site), "elsewhere")
    endpoint(key("no site"), "no-site")
    event = Event.objects.create(
        type=Event.Type.ORDER_LOCATED, site=site, gateway=gateway, data={}, occurred_at=now
    )

    found = webhooks.endpoints_for(event)

    assert [e.url for e in found] == [e.url for e in wanted]
    assert found == what_the_orm_says(event)
    assert found[1].event_types == ["order.located"], "fields read back as the model's"


def test_no_endpoint_anywhere_finds_none(site):
    gateway = GatewayFactory.create(site=site)
    event = Event.objects.create(
        type=Event.Type.ORDER_CREATED,
        site=site,
        gateway=gateway,
        data={},
        occurred_at=timezone.now(),
    )
    assert webhooks.endpoints_for(event) == []
