"""The relay sends the token only to a device that proves to be the gateway (issue 11, 1)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async

from gateways.models import DeviceConflict, Gateway
from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from tests.portal_fixtures import eventually_in_db as eventually
from ttgateway.simulator import SimulatorConfig
from ttgateway.simulator.threaded import ThreadedSimulator

pytestmark = pytest.mark.django_db(transaction=True)

FAST = RelaySettings(refresh_seconds=0.2, heartbeat_seconds=2, backoff_base=0.1, backoff_cap=0.5)


@pytest.fixture
def impostor() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimulatorConfig(host="127.0.0.1", port=0)) as s:
        yield s


async def test_a_relay_facing_another_device_at_the_address_sends_no_token_and_revokes_nothing(
    paired_gateway, impostor
):
    # The gateway's address now answers with another device (a DHCP lease handed over).
    await sync_to_async(Gateway.objects.filter(pk=paired_gateway.pk).update)(port=impostor.port)
    relay = Relay(MirrorFeed(), FAST)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        await eventually(
            lambda: DeviceConflict.objects.filter(gateway=paired_gateway, times__gte=2).exists()
        )
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)

    gateway = await sync_to_async(Gateway.objects.get)(pk=paired_gateway.pk)
    assert gateway.status != Gateway.Status.NEEDS_PAIRING
    assert await sync_to_async(gateway.current_token)() is not None
    assert paired_gateway.pk not in relay.connected
