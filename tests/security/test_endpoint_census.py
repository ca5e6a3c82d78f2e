"""The endpoint census: every URL and every WebSocket route has a permission entry, and each
entry is checked against the real app with the named people.

The people: alice manages site A (Riverside), bob only views site A, charlie manages site B
(Hilltop). Every entry says how to build its URL for site A's objects and what each of these
gets: anonymous, bob (for a POST: bob *acting*), charlie (a manager, but of another site),
alice's session without a CSRF token (for a POST: a forged request), and alice herself where
asking is harmless. A page that charlie may open must not show site A's name.

A new URL without an entry fails :func:`test_every_endpoint_has_a_permission_entry` with its
name. To add one: a line in ``HTTP`` (route name -> :class:`Endpoint`) or in ``SOCKETS``
(route -> :class:`Socket`). Endpoints that authenticate otherwise (the POS API's keys) give
their own :class:`Auth`: it receives the test client, the person and the world, prepares the
client and returns the request headers (e.g. ``Authorization: Api-Key ...`` for a key of the
person's site), so the same roles are checked the same way.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.http.response import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from gateways import crypto
from gateways.models import ApiKey, Gateway, Membership, Site
from orders.event_models import WebhookEndpoint
from orders.models import ActiveOrder
from tests.factories import GatewayFactory, MembershipFactory, SiteFactory, UserFactory
from tests.loopback import free_port
from tests.orders.factories import ActiveOrderFactory, OrderRecordFactory
from ttportal.routing import api_websocket_urlpatterns, websocket_urlpatterns

# The admin's own pages are Django's, guarded by its staff check; only its doors are counted.
ADMIN_DOORS = {"admin:index", "admin:login"}


class Role(enum.StrEnum):
    ANONYMOUS = "anonymous"
    VIEWER = "viewer of the site (bob)"
    OTHER_MANAGER = "manager of another site (charlie)"
    FORGED = "manager's session, no CSRF token"
    MANAGER = "manager of the site (alice)"


@dataclass(frozen=True)
class World:
    """What the URLs are built from: site A with its gateway and order, site B with its own."""

    site: Site
    gateway: Gateway
    order: ActiveOrder
    record: str
    other_site: Site
    other_gateway: Gateway
    people: dict[Role, User | None]
    keys: dict[Role, str]
    webhook: int


Auth = Callable[[Client, "User | None", World], dict[str, str]]


def session(client: Client, person: User | None, world: World) -> dict[str, str]:
    """The portal's pages and sockets: a signed-in session (none for anonymous)."""
    if person is not None:
        client.force_login(person)
    return {}


def api_key(client: Client, person: User | None, world: World) -> dict[str, str]:
    """The POS API: the bearer key of the person's role (a read-only key of site A for bob, a
    write key of site B for charlie, a write key of site A for alice; none for anonymous)."""
    role = next(r for r, p in world.people.items() if p is person and r is not Role.FORGED)
    key = world.keys.get(role)
    return {"Authorization": f"Bearer {key}"} if key else {}


# Statuses, named for what they mean here.
OK = 200
SIGN_IN = 302  # login_required sends anonymous people to the sign-in page
REDIRECT = 302
MOVED = 301  # a permanent redirect
INVALID = 400
FORBIDDEN = 403  # may see, may not change (or: CSRF check failed)
NOT_FOUND = 404  # may not even see
NOT_ALLOWED = 405


@dataclass(frozen=True)
class Endpoint:
    """One HTTP route: how to reach it for site A, and what each role gets.

    ``expect`` maps a role to a status; a role left out is not asked (alice is only asked where
    asking changes nothing). ``hidden`` is text of site A that a 200 to charlie must not show.
    """

    url: Callable[[World], str]
    method: str = "GET"
    expect: dict[Role, int] = field(default_factory=dict)
    data: Callable[[World], dict[str, Any]] = lambda world: {}
    auth: Auth = session
    hidden: Callable[[World], str] | None = None
    content_type: str = "multipart/form-data; boundary=BoUnDaRyStRiNg"


def _site_a_name(world: World) -> str:
    return world.site.name


def _page(url: str, charlie: int = OK) -> Endpoint:
    """A signed-in page about every site the person has: charlie sees his own, not site A."""
    return Endpoint(
        url=lambda world: url,
        expect={
            Role.ANONYMOUS: SIGN_IN,
            Role.VIEWER: OK,
            Role.OTHER_MANAGER: charlie,
            Role.MANAGER: OK,
        },
        hidden=_site_a_name,
    )


def _site_page(build: Callable[[World], str]) -> Endpoint:
    """A signed-in page about site A (or its gateway): 404 for charlie."""
    return Endpoint(
        url=build,
        expect={
            Role.ANONYMOUS: SIGN_IN,
            Role.VIEWER: OK,
            Role.OTHER_MANAGER: NOT_FOUND,
            Role.MANAGER: OK,
        },
    )


def _manager_action(
    build: Callable[[World], str], data: Callable[[World], dict[str, Any]] = lambda w: {}
) -> Endpoint:
    """A POST only site A's managers may make: bob is refused, charlie learns nothing."""
    return Endpoint(
        url=build,
        method="POST",
        data=data,
        expect={
            Role.ANONYMOUS: SIGN_IN,
            Role.VIEWER: FORBIDDEN,
            Role.OTHER_MANAGER: NOT_FOUND,
            Role.FORGED: FORBIDDEN,
        },
    )


def _order_form(world: World) -> dict[str, Any]:
    return {"name": world.order.name, "table": "12", "order_type": "TO_GO", "confirm": "yes"}


def _on_gateway(action: str) -> Callable[[World], str]:
    return lambda world: f"/board/gateways/{world.gateway.pk}/{action}"


def _public(url: str) -> Endpoint:
    return Endpoint(
        url=lambda world: url,
        expect={role: OK for role in (Role.ANONYMOUS, Role.VIEWER, Role.OTHER_MANAGER)},
    )


HTTP: dict[str, Endpoint] = {
    "home": _public("/"),
    "health": _public("/healthz"),
    # The browser's icon: for anyone, a permanent redirect to the static file.
    "favicon.ico": Endpoint(
        url=lambda world: "/favicon.ico",
        expect={role: MOVED for role in (Role.ANONYMOUS, Role.VIEWER, Role.OTHER_MANAGER)},
    ),
    # Without TTPORTAL_METRICS_TOKEN, for superusers only: it names every site and gateway.
    "metrics": Endpoint(
        url=lambda world: "/metrics",
        expect={role: FORBIDDEN for role in (Role.ANONYMOUS, Role.VIEWER, Role.OTHER_MANAGER)},
    ),
    "login": _public("/login/"),
    "logout": Endpoint(
        url=lambda world: "/logout/",
        method="POST",
        expect={
            Role.ANONYMOUS: REDIRECT,
            Role.VIEWER: REDIRECT,
            Role.OTHER_MANAGER: REDIRECT,
            Role.FORGED: FORBIDDEN,
        },
    ),
    "admin:index": Endpoint(
        url=lambda world: "/admin/",
        expect={role: REDIRECT for role in (Role.ANONYMOUS, Role.VIEWER, Role.OTHER_MANAGER)},
    ),
    "admin:login": _public("/admin/login/"),
    # --- gateways ---
    "gateways:list": _page("/gateways/"),
    "gateways:detail": _site_page(lambda world: f"/gateways/{world.gateway.pk}/"),
    "gateways:pair": _manager_action(lambda world: f"/gateways/{world.gateway.pk}/pair"),
    "gateways:discover": _manager_action(lambda world: f"/gateways/sites/{world.site.pk}/discover"),
    "gateways:add": Endpoint(
        url=lambda world: "/gateways/add",
        method="POST",
        data=lambda world: {"site": world.site.pk, "host": "127.0.0.1", "port": 1},
        expect={
            Role.ANONYMOUS: SIGN_IN,
            Role.VIEWER: FORBIDDEN,
            # charlie may add gateways, but only to his site: site A is not a choice for him.
            Role.OTHER_MANAGER: INVALID,
            Role.FORGED: FORBIDDEN,
        },
        hidden=_site_a_name,
    ),
    # --- the board and its actions ---
    "orders:board": _page("/board/"),
    "orders:site_board": _site_page(lambda world: f"/board/{world.site.pk}/"),
    "orders:start": _manager_action(_on_gateway("start"), _order_form),
    "orders:locate": _manager_action(_on_gateway("locate"), _order_form),
    "orders:change_type": _manager_action(_on_gateway("type"), _order_form),
    "orders:page": _manager_action(_on_gateway("page"), _order_form),
    "orders:clear": _manager_action(_on_gateway("clear"), _order_form),
    "orders:clear_all": _manager_action(_on_gateway("clear-all"), _order_form),
    # --- history and analytics ---
    "orders:history": _page("/history/"),
    "orders:history_csv": _page("/history/export.csv"),
    "orders:analytics": _page("/analytics/"),
    "orders:site_analytics": _site_page(lambda world: f"/analytics/{world.site.pk}/"),
}

UNAUTHENTICATED_API = 401


def _api(
    build: Callable[[World], str],
    method: str = "GET",
    other: int = NOT_FOUND,
    viewer: int = OK,
    hidden: Callable[[World], str] | None = None,
    data: Callable[[World], dict[str, Any]] = lambda world: {},
) -> Endpoint:
    """A POS API endpoint, by key: 401 without one, bob's read-only key may only read."""
    expect = {Role.ANONYMOUS: UNAUTHENTICATED_API, Role.VIEWER: viewer, Role.OTHER_MANAGER: other}
    if method == "GET":
        expect[Role.MANAGER] = OK
    return Endpoint(
        url=build,
        method=method,
        expect=expect,
        auth=api_key,
        hidden=hidden,
        data=data,
        content_type="application/json",
    )


def _api_list(url: str, hidden: Callable[[World], str] | None = _site_a_name) -> Endpoint:
    """A list: charlie's key gets his own sites' items only."""
    return _api(lambda world: url, other=OK, hidden=hidden)


def _gateway_name(world: World) -> str:
    return world.gateway.name


HTTP.update(
    {
        "api-sites": _api_list("/api/v1/sites/"),
        "api-site": _api(lambda world: f"/api/v1/sites/{world.site.pk}/"),
        "api-gateways": _api_list("/api/v1/gateways/", hidden=_gateway_name),
        "api-gateway": _api(lambda world: f"/api/v1/gateways/{world.gateway.pk}/"),
        "api-orders": _api(lambda world: f"/api/v1/gateways/{world.gateway.pk}/orders/"),
        "api-order": _api(
            lambda world: f"/api/v1/gateways/{world.gateway.pk}/orders/{world.order.name}/"
        ),
        "api-order-page": _api(
            lambda world: f"/api/v1/gateways/{world.gateway.pk}/orders/{world.order.name}/page/",
            method="POST",
            viewer=FORBIDDEN,
        ),
        "api-history": _api_list("/api/v1/history/", hidden=lambda world: world.record),
        "api-statistics": _api_list("/api/v1/statistics/", hidden=None),
        "api-events": _api_list("/api/v1/events/", hidden=None),
        "api-webhook-list": _api_list("/api/v1/webhooks/", hidden=lambda world: "/hook-a"),
        # A webhook belongs to the key that made it (alice's): any other key gets 404.
        "api-webhook-detail": _api(
            lambda world: f"/api/v1/webhooks/{world.webhook}/", viewer=NOT_FOUND
        ),
        "api-schema": _public("/api/v1/schema/"),
        "api-docs": _public("/api/v1/docs/"),
        # Anything else under /api/v1/ is a problem document: 404 for everyone.
        ".*$": Endpoint(
            url=lambda world: "/api/v1/no-such-thing/",
            expect={role: NOT_FOUND for role in (Role.ANONYMOUS, Role.VIEWER)},
        ),
    }
)

# The confirmation step of "clear all" is a GET: it shows the count, so it is guarded too.
EXTRA_HTTP: dict[str, Endpoint] = {
    "api-orders (start one)": _api(
        lambda world: f"/api/v1/gateways/{world.gateway.pk}/orders/",
        method="POST",
        viewer=FORBIDDEN,
        data=lambda world: {"number": "77", "type": "to_go"},
    ),
    "orders:clear_all (confirmation page)": Endpoint(
        url=_on_gateway("clear-all"),
        expect={
            Role.ANONYMOUS: SIGN_IN,
            Role.VIEWER: FORBIDDEN,
            Role.OTHER_MANAGER: NOT_FOUND,
            Role.MANAGER: OK,
        },
    ),
}

# --- WebSockets -------------------------------------------------------------------------------

ACCEPTED = 0
UNAUTHENTICATED = 4401
NOT_HIS_SITE = 4403


@dataclass(frozen=True)
class Socket:
    """One WebSocket route, asked for site A: accepted (0) or the close code each role gets."""

    url: Callable[[World], str]
    expect: dict[Role, int]
    auth: Auth = session
    ready: str = "hello"
    """The type of the first message of an accepted socket; it lists the sites it serves."""


def _site_socket(route: str) -> Socket:
    return Socket(
        url=lambda world: f"/{route}?site={world.site.pk}",
        expect={
            Role.ANONYMOUS: UNAUTHENTICATED,
            Role.VIEWER: ACCEPTED,
            Role.OTHER_MANAGER: NOT_HIS_SITE,
            Role.MANAGER: ACCEPTED,
        },
    )


ONLY_OTHER_SITES = 1  # accepted, serving the person's own sites and not site A

SOCKETS: dict[str, Socket] = {
    "ws/sites/": _site_socket("ws/sites/"),
    "ws/board/": _site_socket("ws/board/"),
    # The POS API's event stream serves the key's sites; without a key it closes (4401).
    "api/v1/stream": Socket(
        url=lambda world: "/api/v1/stream",
        expect={
            Role.ANONYMOUS: UNAUTHENTICATED,
            Role.VIEWER: ACCEPTED,
            Role.OTHER_MANAGER: ONLY_OTHER_SITES,
            Role.MANAGER: ACCEPTED,
        },
        auth=api_key,
        ready="stream.ready",
    ),
}


# --- the walk -----------------------------------------------------------------------------------


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.app_name == "admin":
                yield from (name for name in ADMIN_DOORS if name.startswith(inner))
                continue
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            # Unnamed: by its pattern, as Django joins it into the route (no leading "^").
            name = entry.name or str(entry.pattern).lstrip("^")
            yield f"{namespace}{name}"


def http_routes() -> set[str]:
    """Every route name of ``ttportal.urls`` (unnamed ones by their pattern)."""
    return set(_walk(get_resolver().url_patterns))


def socket_routes() -> set[str]:
    return {str(entry.pattern) for entry in [*websocket_urlpatterns, *api_websocket_urlpatterns]}


def test_every_endpoint_has_a_permission_entry() -> None:
    missing = sorted(http_routes() - set(HTTP)) + sorted(socket_routes() - set(SOCKETS))
    assert not missing, (
        f"endpoints with no permission entry in {__name__}: {missing}. "
        "Add each to HTTP or SOCKETS with what anonymous, a viewer and another site's "
        "manager get."
    )


def test_every_permission_entry_names_an_endpoint_that_exists() -> None:
    stale = sorted(set(HTTP) - http_routes()) + sorted(set(SOCKETS) - socket_routes())
    assert not stale, f"entries for endpoints that no longer exist: {stale}"


# --- the checks -----------------------------------------------------------------------------------


@pytest.fixture
def world(db: None, settings: Any) -> World:
    # The gateways point at closed ports (free_port): no check here may reach any gateway.
    # Three people per check: the default hasher's deliberate slowness is all the setup time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    site = SiteFactory.create(name="Riverside")
    other_site = SiteFactory.create(name="Hilltop")
    alice = MembershipFactory.create(user=UserFactory.create(username="alice"), site=site).user
    bob = MembershipFactory.create(
        user=UserFactory.create(username="bob"), site=site, role=Membership.Role.VIEWER
    ).user
    charlie = MembershipFactory.create(
        user=UserFactory.create(username="charlie"), site=other_site
    ).user
    gateway = GatewayFactory.create(site=site, name="Kitchen", port=free_port())
    other_gateway = GatewayFactory.create(site=other_site, name="Bar", port=free_port())
    order = ActiveOrderFactory.create(gateway=gateway, name="41")
    record = OrderRecordFactory.create(gateway=gateway, name="42")
    keys = {
        Role.VIEWER: ApiKey.objects.issue("bob's", [site], ApiKey.Access.READ)[1],
        Role.OTHER_MANAGER: ApiKey.objects.issue("charlie's", [other_site])[1],
    }
    alice_key, keys[Role.MANAGER] = ApiKey.objects.issue("alice's", [site])
    webhook = WebhookEndpoint.objects.create(
        api_key=alice_key, url="http://127.0.0.1:9/hook-a", secret_sealed=crypto.seal("s")
    )
    return World(
        site=site,
        gateway=gateway,
        order=order,
        record=str(record.uuid),
        other_site=other_site,
        other_gateway=other_gateway,
        keys=keys,
        webhook=webhook.pk,
        people={
            Role.ANONYMOUS: None,
            Role.VIEWER: bob,
            Role.OTHER_MANAGER: charlie,
            Role.FORGED: alice,
            Role.MANAGER: alice,
        },
    )


def _body(response: HttpResponseBase) -> str:
    if isinstance(response, StreamingHttpResponse):
        return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    assert isinstance(response, HttpResponse)
    return response.content.decode()


def _ask(endpoint: Endpoint, role: Role, world: World) -> HttpResponseBase:
    client = Client(enforce_csrf_checks=role is Role.FORGED)
    headers = endpoint.auth(client, world.people[role], world)
    url = endpoint.url(world)
    if endpoint.method == "POST":
        return client.post(
            url, endpoint.data(world), content_type=endpoint.content_type, headers=headers
        )
    return client.get(url, headers=headers)


CHECKS = [
    pytest.param(name, role, id=f"{name} / {role.name.lower()}")
    for name, endpoint in {**HTTP, **EXTRA_HTTP}.items()
    for role in endpoint.expect
]


@pytest.mark.parametrize(("name", "role"), CHECKS)
def test_each_person_gets_what_the_census_says(name: str, role: Role, world: World) -> None:
    endpoint = {**HTTP, **EXTRA_HTTP}[name]
    route = name.split(" ")[0]
    match = resolve(endpoint.url(world).split("?")[0])
    assert (match.view_name if match.url_name else match.route).endswith(route), "wrong URL"

    response = _ask(endpoint, role, world)

    assert response.status_code == endpoint.expect[role], (
        f"{endpoint.method} {endpoint.url(world)} as {role}: {response.status_code}"
    )
    if role is Role.OTHER_MANAGER and endpoint.hidden is not None:
        assert endpoint.hidden(world) not in _body(response), "site A shown to charlie"


async def _connect(entry: Socket, role: Role, world: World) -> int:
    """Opens the socket as ``role``: ACCEPTED when it serves site A, ONLY_OTHER_SITES when it
    serves others only, else the close code."""
    client = Client()
    given = await sync_to_async(entry.auth)(client, world.people[role], world)
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    headers += [(name.lower().encode(), value.encode()) for name, value in given.items()]
    if "sessionid" in client.cookies:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    from ttportal.asgi import application

    communicator = WebsocketCommunicator(application, entry.url(world), headers=headers)
    connected, code = await communicator.connect()
    if not connected:
        return int(code)
    first = await communicator.receive_json_from(timeout=5)
    if first.get("type") != entry.ready:
        closed = await communicator.receive_output(timeout=5)
        assert closed["type"] == "websocket.close", closed
        return int(closed["code"])
    await communicator.disconnect()
    return ACCEPTED if world.site.pk in first["sites"] else ONLY_OTHER_SITES


SOCKET_CHECKS = [
    pytest.param(route, role, id=f"{route} / {role.name.lower()}")
    for route, entry in SOCKETS.items()
    for role in entry.expect
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("route", "role"), SOCKET_CHECKS)
async def test_each_person_opens_only_the_sockets_the_census_says(
    route: str, role: Role, world: World, settings: Any
) -> None:
    settings.TTPORTAL_STREAM_AUTH_SECONDS = 0.2  # a socket waiting for a key gives up soon
    entry = SOCKETS[route]

    code = await _connect(entry, role, world)

    assert code == entry.expect[role], f"{entry.url(world)} as {role}: {code}"
