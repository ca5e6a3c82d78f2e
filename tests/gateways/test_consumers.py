"""The live-update socket, on the real ASGI app: session auth, origin check, site scoping."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.testing import WebsocketCommunicator

from gateways import services
from gateways.consumers import SiteEventsConsumer
from tests.portal_fixtures import session_cookie
from ttportal.asgi import application
from ttportal.realtime import apublish, message, site_group

pytestmark = pytest.mark.django_db(transaction=True)


async def open_socket(user=None, query: str = "", origin: bytes = b"http://127.0.0.1"):
    headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/sites/{query}", headers=headers)
    connected, code = await communicator.connect()
    return communicator, connected, code


async def test_a_visitor_who_is_not_signed_in_is_refused(site):
    _, connected, code = await open_socket()

    assert not connected
    assert code == 4401


async def test_a_page_from_another_origin_is_refused(alice):
    _, connected, _ = await open_socket(alice, origin=b"http://evil.example")

    assert not connected


async def test_a_person_hears_about_their_sites_and_nothing_else(alice, site, other_site):
    communicator, connected, _ = await open_socket(alice)
    assert connected
    assert await communicator.receive_json_from() == {"type": "hello", "sites": [site.pk]}

    await apublish(site_group(other_site.pk), {"type": "gateway.status", "gateway": {"id": 9}})
    assert await communicator.receive_nothing(timeout=0.2)
    await apublish(site_group(site.pk), {"type": "gateway.status", "gateway": {"id": 1}})
    assert (await communicator.receive_json_from())["gateway"] == {"id": 1}
    await communicator.disconnect()


async def test_asking_for_a_site_one_does_not_belong_to_is_refused(charlie, site):
    _, connected, code = await open_socket(charlie, query=f"?site={site.pk}")

    assert not connected
    assert code == 4403


async def test_a_gateway_going_offline_is_pushed_to_open_pages(alice, paired_gateway, sim):
    communicator, connected, _ = await open_socket(alice, query=f"?site={paired_gateway.site_id}")
    assert connected
    await communicator.receive_json_from()  # hello

    sim.stop()
    await sync_to_async(services.check_gateways)([paired_gateway])

    event = await communicator.receive_json_from(timeout=5)
    assert event["type"] == "gateway.status"
    assert event["gateway"]["id"] == paired_gateway.pk
    assert event["gateway"]["status"] == "offline"
    assert "token" not in str(event).lower()
    await communicator.disconnect()


async def test_pairing_progress_is_pushed_to_open_pages(alice, gateway, sim):
    communicator, connected, _ = await open_socket(alice)
    assert connected
    await communicator.receive_json_from()  # hello

    attempt = await sync_to_async(services.start_pairing)(gateway, None)
    await sync_to_async(services.run_pairing)(attempt.pk)

    outcomes = []
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == "gateway.pairing":
            outcomes.append(event["pairing"]["outcome"])
            if event["pairing"]["outcome"] != "waiting":
                break
    assert outcomes[0] == "waiting"
    assert outcomes[-1] == "missed"
    await communicator.disconnect()


async def test_a_message_for_a_browser_that_has_just_left_is_dropped_quietly():
    """Daphne raises ``Disconnected`` for a send to a socket the browser closed while messages
    for it were queued; the consumer must not end with an error (and a logged traceback)."""

    async def gone(_message: object) -> None:
        raise Disconnected("Attempt to send on a closed protocol")

    consumer = SiteEventsConsumer()
    consumer.base_send = gone
    consumer.revoked = False

    await consumer.portal_event(message({"type": "order.upserted"}))  # raises without the fix
