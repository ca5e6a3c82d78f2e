"""Factories for orders: mirror rows and history records, on a gateway of a site."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone
from factory.declarations import LazyFunction, SelfAttribute, Sequence, SubFactory
from factory.django import DjangoModelFactory

from orders.models import ActiveOrder, OrderRecord
from tests.factories import GatewayFactory


class ActiveOrderFactory(DjangoModelFactory[ActiveOrder]):
    class Meta:
        model = ActiveOrder

    gateway = SubFactory(GatewayFactory)
    uuid = LazyFunction(uuid.uuid4)
    name = Sequence(lambda n: str(n + 1))
    order_type = ActiveOrder.Type.ON_PREMISES
    location = ""
    state = ActiveOrder.State.STARTED
    created = LazyFunction(lambda: timezone.now() - timedelta(seconds=30))
    state_changed = SelfAttribute("created")


class OrderRecordFactory(DjangoModelFactory[OrderRecord]):
    class Meta:
        model = OrderRecord

    gateway = SubFactory(GatewayFactory)
    site = SelfAttribute("gateway.site")
    uuid = LazyFunction(uuid.uuid4)
    name = Sequence(lambda n: str(n + 1))
    order_type = ActiveOrder.Type.ON_PREMISES
    started = LazyFunction(lambda: timezone.now() - timedelta(minutes=10))
    seen_live = True
