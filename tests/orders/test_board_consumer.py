"""The board's socket on the real ASGI app: the board on connect, then deltas, per site."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from gateways.models import Gateway
from gateways.relay import Relay, RelaySettings
from orders.feed import MirrorFeed
from orders.services.mirror import Change, apply_order, apply_orders, remove_order
from tests.factories import GatewayFactory
from tests.orders.factories import ActiveOrderFactory, OrderRecordFactory
from tests.portal_fixtures import session_cookie
from ttgateway.client import ActiveOrder as GatewayOrder
from ttgateway.protocol import OrderState, OrderType
from ttgateway.waiting import eventually
from ttportal.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

UUID = "5e1f3c2a-0000-4000-8000-000000000001"


async def open_board(user=None, query: str = ""):
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/board/{query}", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def first_board(communicator) -> dict[str, Any]:
    assert (await communicator.receive_json_from())["type"] == "hello"
    board = await communicator.receive_json_from()
    assert board["type"] == "board"
    return dict(board)


def an_order(name: str = "12", state: OrderState = OrderState.STARTED) -> GatewayOrder:
    created = timezone.now() - timedelta(minutes=2)
    return GatewayOrder(
        name=name,
        uuid=UUID,
        order_type=OrderType.TO_GO,
        location="4" if state is OrderState.LOCATED else None,
        state=state,
        state_changed=created,
        created=created,
        paged=False,
        elapsed_time=120,
    )


@pytest.fixture
def kitchen(site) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen", status=Gateway.Status.OFFLINE)


@pytest.mark.usefixtures("lunchtime")  # today's figures: an order cleared a minute ago
async def test_the_board_arrives_on_connect_with_orders_gateways_and_todays_figures(
    alice, site, other_site, kitchen
):
    await sync_to_async(ActiveOrderFactory)(gateway=kitchen, name="12", location="3")
    hilltop = await sync_to_async(GatewayFactory.create)(site=other_site, name="Hilltop bar")
    await sync_to_async(ActiveOrderFactory)(gateway=hilltop, name="99")
    await sync_to_async(OrderRecordFactory)(
        gateway=kitchen,
        cleared=timezone.now() - timedelta(minutes=1),
        delivery_seconds=240,
    )

    communicator, connected, _ = await open_board(alice)
    assert connected
    board = await first_board(communicator)

    assert abs(datetime.fromisoformat(board["now"]) - timezone.now()) < timedelta(seconds=5)
    [riverside] = board["sites"]
    assert (riverside["id"], riverside["name"]) == (site.pk, "Riverside")
    assert riverside["target_seconds"] == site.target_seconds
    assert riverside["gateways"] == [
        {
            "id": kitchen.pk,
            "name": "Kitchen",
            "label": "Kitchen",
            "status": "offline",
            "status_display": "Offline",
        }
    ]
    [card] = riverside["orders"]
    assert (card["name"], card["table"], card["gateway"], card["site"]) == (
        "12",
        "3",
        kitchen.pk,
        site.pk,
    )
    assert {"uuid", "state", "state_display", "type", "type_display", "created", "paged"} <= set(
        card
    )
    today = riverside["today"]
    assert (today["active"], today["cleared"], today["average_delivery_seconds"]) == (1, 1, 240)
    await communicator.disconnect()


async def test_a_board_of_one_site_shows_only_that_site(alice, site, other_site, kitchen):
    await sync_to_async(ActiveOrderFactory)(gateway=kitchen, name="12")

    communicator, connected, _ = await open_board(alice, f"?site={site.pk}")

    assert connected
    board = await first_board(communicator)
    assert [s["id"] for s in board["sites"]] == [site.pk]
    await communicator.disconnect()


async def test_a_board_of_a_site_one_does_not_belong_to_is_refused(charlie, site):
    _, connected, code = await open_board(charlie, f"?site={site.pk}")

    assert not connected
    assert code == 4403


async def test_a_visitor_who_is_not_signed_in_gets_no_board(site):
    _, connected, code = await open_board()

    assert not connected
    assert code == 4401


async def test_changes_arrive_as_deltas_after_the_board(alice, site, kitchen):
    communicator, _, _ = await open_board(alice)
    await first_board(communicator)

    await sync_to_async(apply_order)(kitchen, an_order(), Change.CREATED)
    created = await communicator.receive_json_from()
    assert (created["type"], created["change"]) == ("order.upserted", "created")
    assert (created["order"]["name"], created["order"]["state"]) == ("12", "started")

    await sync_to_async(apply_order)(kitchen, an_order(state=OrderState.LOCATED), Change.MODIFIED)
    located = await communicator.receive_json_from()
    assert (located["change"], located["order"]["table"]) == ("modified", "4")

    await sync_to_async(remove_order)(kitchen, UUID)
    removed = await communicator.receive_json_from()
    assert removed["type"] == "order.removed"
    assert removed["order"] == {"uuid": UUID, "gateway": kitchen.pk, "site": site.pk, "name": "12"}
    figures = await communicator.receive_json_from()
    assert (figures["type"], figures["site"]) == ("site.today", site.pk)
    assert (figures["today"]["active"], figures["today"]["cleared"]) == (0, 1)
    await communicator.disconnect()


async def test_a_batch_of_clears_sends_the_sites_figures_once_after_its_last_clear(
    alice, site, kitchen
):
    second = "5e1f3c2a-0000-4000-8000-000000000002"
    communicator, _, _ = await open_board(alice)
    await first_board(communicator)
    opened = [an_order("12"), replace(an_order("13"), uuid=second)]
    await sync_to_async(apply_orders)(kitchen, [(o, Change.CREATED) for o in opened])
    for _ in opened:
        assert (await communicator.receive_json_from())["type"] == "order.upserted"

    cleared = [replace(o, state=OrderState.CLEARED, state_changed=timezone.now()) for o in opened]
    await sync_to_async(apply_orders)(kitchen, [(o, Change.CLEARED) for o in cleared])

    removed = [await communicator.receive_json_from() for _ in cleared]
    assert [(m["type"], m["order"]["name"]) for m in removed] == [
        ("order.removed", "12"),
        ("order.removed", "13"),
    ]
    figures = await communicator.receive_json_from()
    assert (figures["type"], figures["site"]) == ("site.today", site.pk)
    assert (figures["today"]["active"], figures["today"]["cleared"]) == (0, 2)
    # One figures message for the batch: the next thing the board hears is the next change.
    third = replace(an_order("14"), uuid="5e1f3c2a-0000-4000-8000-000000000003")
    await sync_to_async(apply_order)(kitchen, third, Change.CREATED)
    assert (await communicator.receive_json_from())["type"] == "order.upserted"
    await communicator.disconnect()


async def test_a_board_hears_nothing_of_another_sites_orders(charlie, site, other_site, kitchen):
    communicator, _, _ = await open_board(charlie)
    board = await first_board(communicator)
    assert [s["id"] for s in board["sites"]] == [other_site.pk]

    await sync_to_async(apply_order)(kitchen, an_order(), Change.CREATED)

    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_board_that_reconnects_gets_what_changed_meanwhile(alice, site, kitchen):
    communicator, _, _ = await open_board(alice)
    assert (await first_board(communicator))["sites"][0]["orders"] == []
    await communicator.disconnect()

    await sync_to_async(apply_order)(kitchen, an_order(), Change.CREATED)

    communicator, _, _ = await open_board(alice)
    [card] = (await first_board(communicator))["sites"][0]["orders"]
    assert card["name"] == "12"
    await communicator.disconnect()


async def test_a_tracker_started_on_the_floor_shows_up_on_open_boards(
    alice, paired_gateway, sim, sim_controls
):
    relay = Relay(MirrorFeed(), RelaySettings(refresh_seconds=0.2, backoff_base=0.1))
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    communicator, _, _ = await open_board(alice)
    try:
        await first_board(communicator)
        # The relay has the gateway's snapshot: the tracker below is news, not part of it.
        await eventually(lambda: paired_gateway.pk in relay.connected)

        await sim_controls.start_tracker("21", "TO_GO")

        while True:
            event = await communicator.receive_json_from(timeout=30)
            if event["type"] == "order.upserted":
                break
        assert (event["change"], event["order"]["name"], event["order"]["type"]) == (
            "created",
            "21",
            "TO_GO",
        )
    finally:
        await communicator.disconnect()
        stop.set()
        await asyncio.wait_for(running, 5)
