"""A live socket does not outlive the access it was opened with, on the real ASGI app and the
configured channel layer (in memory, or Redis in the scaled pass)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.models import Session
from django.test import Client

from gateways.consumers import CLOSE_ACCESS_CHANGED, CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from gateways.models import Membership
from tests.factories import MembershipFactory
from ttportal.asgi import application
from ttportal.realtime import apublish, site_group

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 5.0


class Browser:
    """One signed-in browser: its session (to sign out with) and its live socket."""

    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.client.force_login(user)
        self.session_key = self.client.session.session_key

    async def open(self, query: str = "") -> WebsocketCommunicator:
        cookie = f"sessionid={self.session_key}".encode()
        headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
        socket = WebsocketCommunicator(application, f"/ws/sites/{query}", headers=headers)
        connected, code = await socket.connect()
        assert connected, code
        assert (await socket.receive_json_from())["type"] == "hello"
        return socket


async def browser(user: Any) -> Browser:
    return await sync_to_async(Browser)(user)


async def close_code(socket: WebsocketCommunicator) -> int:
    """The code the portal closes the socket with (any events before it are passed over)."""
    while True:
        message = await socket.receive_output(timeout=WAIT)
        if message["type"] == "websocket.close":
            return int(message["code"])


async def test_a_viewer_removed_from_the_site_is_cut_off(bob, site):
    socket = await (await browser(bob)).open(f"?site={site.pk}")

    await sync_to_async(Membership.objects.filter(user=bob).delete)()

    assert await close_code(socket) == CLOSE_FORBIDDEN


async def test_an_all_sites_socket_that_loses_a_site_reconnects_to_the_sites_left(
    bob, site, other_site
):
    await sync_to_async(MembershipFactory.create)(user=bob, site=other_site)
    viewer = await browser(bob)
    socket = await viewer.open()

    await sync_to_async(Membership.objects.filter(user=bob, site=site).delete)()

    assert await close_code(socket) == CLOSE_ACCESS_CHANGED
    again = WebsocketCommunicator(
        application,
        "/ws/sites/",
        headers=[
            (b"origin", b"http://127.0.0.1"),
            (b"host", b"127.0.0.1"),
            (b"cookie", f"sessionid={viewer.session_key}".encode()),
        ],
    )
    assert (await again.connect())[0]
    assert await again.receive_json_from() == {"type": "hello", "sites": [other_site.pk]}
    await again.disconnect()


async def test_a_membership_moved_to_another_site_cuts_off_the_old_one(bob, site, other_site):
    socket = await (await browser(bob)).open(f"?site={site.pk}")

    membership = await sync_to_async(Membership.objects.get)(user=bob)
    membership.site = other_site
    await sync_to_async(membership.save)()

    assert await close_code(socket) == CLOSE_FORBIDDEN


async def test_a_deactivated_person_is_cut_off(bob, site):
    socket = await (await browser(bob)).open()

    bob.is_active = False
    await sync_to_async(bob.save)()

    assert await close_code(socket) == CLOSE_UNAUTHENTICATED


async def test_a_deleted_person_is_cut_off(bob, site):
    socket = await (await browser(bob)).open()

    await sync_to_async(bob.delete)()

    assert await close_code(socket) == CLOSE_UNAUTHENTICATED


async def test_signing_out_closes_the_sockets_of_that_sign_in_only(bob, site):
    signing_out = await browser(bob)
    socket = await signing_out.open()
    elsewhere = await (await browser(bob)).open()

    await sync_to_async(signing_out.client.post)("/logout/")

    assert await close_code(socket) == CLOSE_UNAUTHENTICATED
    await apublish(site_group(site.pk), {"type": "gateway.status", "gateway": {"id": 1}})
    assert (await elsewhere.receive_json_from(timeout=WAIT))["gateway"] == {"id": 1}
    await elsewhere.disconnect()


async def test_a_session_deleted_in_the_database_closes_its_sockets(bob, site):
    viewer = await browser(bob)
    socket = await viewer.open()

    await sync_to_async(Session.objects.filter(session_key=viewer.session_key).delete)()

    assert await close_code(socket) == CLOSE_UNAUTHENTICATED


async def test_a_new_password_closes_the_sockets_of_older_sign_ins(bob, site):
    socket = await (await browser(bob)).open()

    bob.set_password("a brand new password")
    await sync_to_async(bob.save)()

    assert await close_code(socket) == CLOSE_UNAUTHENTICATED


async def test_someone_elses_lost_access_leaves_a_socket_alone(alice, bob, site):
    socket = await (await browser(alice)).open()

    await sync_to_async(Membership.objects.filter(user=bob).delete)()

    await apublish(site_group(site.pk), {"type": "gateway.status", "gateway": {"id": 2}})
    assert (await socket.receive_json_from(timeout=WAIT))["gateway"] == {"id": 2}
    await socket.disconnect()


async def test_a_change_that_keeps_access_leaves_the_socket_open(bob, site):
    socket = await (await browser(bob)).open()

    bob.first_name = "Bob"
    await sync_to_async(bob.save)()
    await sync_to_async(Membership.objects.filter(user=bob).update)(role="manager")

    await apublish(site_group(site.pk), {"type": "gateway.status", "gateway": {"id": 3}})
    assert (await socket.receive_json_from(timeout=WAIT))["gateway"] == {"id": 3}
    await socket.disconnect()


async def test_a_session_that_ended_cannot_open_a_socket(bob, site):
    viewer = await browser(bob)
    await sync_to_async(Session.objects.filter(session_key=viewer.session_key).delete)()
    cookie = f"sessionid={viewer.session_key}".encode()
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)]

    connected, code = await WebsocketCommunicator(application, "/ws/sites/", headers).connect()

    assert not connected
    assert code == CLOSE_UNAUTHENTICATED


async def test_a_superuser_made_an_ordinary_person_keeps_only_their_own_sites(
    django_user_model, site, other_site
):
    root = await sync_to_async(django_user_model.objects.create_superuser)("root", "", "pw")
    await sync_to_async(MembershipFactory.create)(user=root, site=site)
    socket = await (await browser(root)).open(f"?site={other_site.pk}")
    own_site = await (await browser(root)).open(f"?site={site.pk}")

    root.is_superuser = False
    await sync_to_async(root.save)()

    assert await close_code(socket) == CLOSE_FORBIDDEN
    await apublish(site_group(site.pk), {"type": "gateway.status", "gateway": {"id": 4}})
    assert (await own_site.receive_json_from(timeout=WAIT))["gateway"] == {"id": 4}
    await own_site.disconnect()
