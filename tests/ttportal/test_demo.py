"""The demo's gateway is paired the way a manager pairs one, once; later starts reuse it."""

from __future__ import annotations

import pytest

from gateways.models import Gateway
from ttportal.demo import DEMO_SITE, ensure_paired_demo_gateway

pytestmark = pytest.mark.django_db


def test_the_demo_gateway_is_paired_under_the_demo_site(sim, fast_gateway_settings):
    gateway = ensure_paired_demo_gateway(sim.host, sim.port)

    assert gateway.is_paired
    assert gateway.site.name == DEMO_SITE
    assert len(sim.controls.state().tokens) == 1


def test_a_second_start_reuses_the_paired_demo_gateway(sim, fast_gateway_settings):
    first = ensure_paired_demo_gateway(sim.host, sim.port)

    again = ensure_paired_demo_gateway(sim.host, sim.port)

    assert again.pk == first.pk
    assert Gateway.objects.count() == 1
    assert len(sim.controls.state().tokens) == 1  # no second pairing


def test_a_demo_gateway_that_never_starts_is_reported(
    closed_port, fast_gateway_settings, monkeypatch
):
    monkeypatch.setattr("ttportal.demo.STARTUP_SECONDS", 0.2)

    with pytest.raises(RuntimeError, match="did not start"):
        ensure_paired_demo_gateway("127.0.0.1", closed_port)
