"""Factories for the portal's data: named people, sites and gateways."""

from __future__ import annotations

from django.contrib.auth.models import User
from factory.declarations import Sequence, SubFactory
from factory.django import DjangoModelFactory, Password

from gateways.models import Gateway, Membership, Site

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = Sequence(lambda n: f"user{n}")
    password = Password(PASSWORD)


class SiteFactory(DjangoModelFactory[Site]):
    class Meta:
        model = Site

    name = Sequence(lambda n: f"Site {n}")
    time_zone = "Europe/Paris"


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = SubFactory(UserFactory)
    site = SubFactory(SiteFactory)
    role = Membership.Role.MANAGER


class GatewayFactory(DjangoModelFactory[Gateway]):
    class Meta:
        model = Gateway

    site = SubFactory(SiteFactory)
    name = Sequence(lambda n: f"Gateway {n}")
    host = "127.0.0.1"
    # One address, one gateway (a constraint): each made-up gateway gets its own port.
    port = Sequence(lambda n: 10000 + n % 20000)
