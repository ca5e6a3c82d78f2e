"""The event log: every change becomes one event in its own transaction, and the feed never
skips one, even when two writers race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction

from gateways.models import Gateway, Site
from gateways.services import mark_needs_pairing, set_status
from orders.models import ActiveOrder, Event
from orders.services import events
from orders.services.mirror import (
    Change,
    apply_order,
    apply_orders,
    apply_snapshot,
    remove_order,
)
from tests.factories import GatewayFactory, SiteFactory
from tests.portal_fixtures import in_thread
from ttgateway.client import ActiveOrder as GatewayOrder
from ttgateway.protocol import OrderState, OrderType
from ttgateway.waiting import wait_until

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
UUID_A = "0b7f8c0e-0000-4000-8000-00000000000a"
UUID_B = "0b7f8c0e-0000-4000-8000-00000000000b"


def seen(
    uuid: str = UUID_A,
    name: str = "12",
    state: OrderState = OrderState.STARTED,
    table: str | None = None,
    paged: bool = False,
    order_type: OrderType = OrderType.ON_PREMISES,
) -> GatewayOrder:
    return GatewayOrder(
        name=name,
        uuid=uuid,
        order_type=order_type,
        location=table,
        state=state,
        state_changed=NOON + timedelta(minutes=3) if state is OrderState.LOCATED else NOON,
        created=NOON,
        paged=paged,
        elapsed_time=0,
    )


@pytest.fixture
def kitchen(site: Site) -> Gateway:
    return GatewayFactory.create(site=site, name="Kitchen")


@pytest.fixture
def hilltop_bar(other_site: Site) -> Gateway:
    return GatewayFactory.create(site=other_site, name="Bar")


def types() -> list[str]:
    return list(Event.objects.order_by("id").values_list("type", flat=True))


def test_an_order_s_life_is_told_as_created_located_paged_modified_cleared(kitchen):
    apply_order(kitchen, seen(), Change.CREATED)
    apply_order(kitchen, seen(state=OrderState.LOCATED, table="7"), Change.MODIFIED)
    apply_order(kitchen, seen(state=OrderState.LOCATED, table="7", paged=True), Change.PAGED)
    apply_order(
        kitchen,
        seen(state=OrderState.LOCATED, table="7", paged=True, order_type=OrderType.TO_GO),
        Change.MODIFIED,
    )
    remove_order(kitchen, UUID_A, cleared_at=NOON + timedelta(minutes=9))

    assert types() == [
        "order.created",
        "order.located",
        "order.paged",
        "order.modified",
        "order.cleared",
    ]
    versions = [e.data["version"] for e in Event.objects.order_by("id")]
    assert versions == [1, 2, 3, 4, 5]


def test_an_order_event_carries_the_order_as_it_became(kitchen):
    apply_order(kitchen, seen(state=OrderState.LOCATED, table="7"), Change.CREATED)

    event = Event.objects.get()
    assert (event.site_id, event.gateway_id) == (kitchen.site_id, kitchen.pk)
    assert event.data == {
        "uuid": UUID_A,
        "number": "12",
        "type": "on_premises",
        "table": "7",
        "state": "located",
        "paged": False,
        "started_at": "2026-03-02T12:00:00Z",
        "located_at": "2026-03-02T12:03:00Z",
        "elapsed_seconds": event.data["elapsed_seconds"],
        "gateway": kitchen.pk,
        "site": kitchen.site_id,
        "version": 1,
    }
    assert event.data["elapsed_seconds"] >= 0


def test_a_notification_that_changes_nothing_is_no_event(kitchen):
    apply_order(kitchen, seen(), Change.CREATED)
    apply_order(kitchen, seen(), Change.MODIFIED)
    apply_snapshot(kitchen, [seen()])

    assert types() == ["order.created"]


def test_a_ghost_closed_by_a_snapshot_is_an_order_cleared(kitchen):
    apply_snapshot(kitchen, [seen(UUID_A, "1"), seen(UUID_B, "2")])
    apply_snapshot(kitchen, [seen(UUID_A, "1")])

    last = Event.objects.order_by("id").last()
    assert last is not None
    assert (last.type, last.data["number"], last.data["state"]) == ("order.cleared", "2", "cleared")


def test_a_change_rolled_back_leaves_no_event(kitchen):
    def change_then_fail() -> None:
        with transaction.atomic():
            apply_order(kitchen, seen(), Change.CREATED)
            raise RuntimeError("the caller's transaction fails after the change")

    with pytest.raises(RuntimeError):
        change_then_fail()

    assert types() == []


def test_gateway_status_moves_are_events_and_a_repeat_is_not(kitchen):
    set_status(kitchen, Gateway.Status.ONLINE)
    set_status(kitchen, Gateway.Status.ONLINE)
    set_status(kitchen, Gateway.Status.OFFLINE)
    mark_needs_pairing(kitchen, "token refused")

    assert types() == ["gateway.online", "gateway.offline", "gateway.needs_pairing"]
    last = Event.objects.order_by("id").last()
    assert last is not None
    assert last.data["status"] == "needs_pairing"
    assert "token" not in str(last.data).lower()


def test_events_older_than_thirty_days_are_purged(kitchen):
    apply_order(kitchen, seen(), Change.CREATED)
    apply_order(kitchen, seen(UUID_B, "13"), Change.CREATED)
    Event.objects.filter(data__number="12").update(occurred_at=NOON - timedelta(days=31))

    assert events.purge(now=NOON) == 1
    assert [e.data["number"] for e in Event.objects.all()] == ["13"]


def test_the_feed_pages_by_cursor_and_shows_only_the_sites_asked_for(kitchen, hilltop_bar):
    elsewhere = hilltop_bar
    apply_order(kitchen, seen(UUID_A, "1"), Change.CREATED)
    apply_order(elsewhere, seen(UUID_B, "2"), Change.CREATED)
    apply_order(kitchen, seen(UUID_A, "1", OrderState.LOCATED, "4"), Change.MODIFIED)

    first = events.feed([kitchen.site_id], after=0, limit=1)
    second = events.feed([kitchen.site_id], after=first.cursor, limit=1)
    third = events.feed([kitchen.site_id], after=second.cursor, limit=1)

    assert [e.type for e in first.events + second.events] == ["order.created", "order.located"]
    assert first.has_more
    assert not second.has_more
    assert third.events == []
    assert third.cursor == second.cursor


# Two writers racing: the hazard the writer lock guards against (ttportal.eventlock).


class Writer(threading.Thread):
    """Writes one event in its own transaction; ``hold`` keeps that transaction open."""

    def __init__(self, gateway: Gateway, hold: threading.Event | None = None) -> None:
        super().__init__(daemon=True)
        self.gateway, self.hold = gateway, hold
        self.event_id: int | None = None
        self.backend_pid: int | None = None
        self.locking = threading.Event()  # about to run the statement that waits for the lock
        self.written = threading.Event()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def _watch(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if "pg_advisory_xact_lock" in sql:
            self.locking.set()
        return execute(sql, *args)

    def run(self) -> None:
        try:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.backend_pid = cursor.fetchone()[0]
            if connection.vendor == "sqlite":
                # The begin itself waits, for the process's writer lock (ttportal.sqlite).
                self.locking.set()
            with connection.execute_wrapper(self._watch), transaction.atomic():
                data = {"writer": self.name}
                self.event_id = events.record(Event.Type.GATEWAY_ONLINE, self.gateway, data).pk
                self.written.set()
                if self.hold is not None:
                    self.hold.wait(30)
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            self.done.set()
            connection.close()


def waiting_for_a_lock(writer: Writer | int | None) -> bool:
    """True once the database shows ``writer`` (or that backend) waiting for a lock
    (PostgreSQL only)."""
    pid = writer.backend_pid if isinstance(writer, Writer) else writer
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


@pytest.fixture
def racing_site(transactional_db: None) -> Gateway:
    return GatewayFactory.create(site=SiteFactory.create(name="Racing"), name="Kitchen")


def test_a_reader_never_skips_an_event_committed_after_a_later_one(racing_site):
    """Writer A draws its id and stays open; writer B comes second. Had B drawn a later id and
    committed first, a reader would see B, move past A's id, and never see A. With the writer
    lock B waits for A to finish: the reader, reading between the two, loses nothing."""
    site_ids = [racing_site.site_id]
    release_a = threading.Event()
    a, b = Writer(racing_site, hold=release_a), Writer(racing_site)
    a.start()
    wait_until(lambda: a.written.is_set() or a.done.is_set())
    b.start()
    wait_until(b.locking.is_set)
    if connection.vendor == "postgresql":
        wait_until(lambda: b.done.is_set() or waiting_for_a_lock(b))
    # SQLite: B's transaction waits to begin, for the process's writer lock, which A holds.

    read_while_racing = events.feed(site_ids, after=0, limit=100)
    release_a.set()
    a.join(30)
    b.join(30)
    read_after = events.feed(site_ids, after=read_while_racing.cursor, limit=100)

    assert (a.error, b.error) == (None, None)
    seen_ids = [e.pk for e in read_while_racing.events + read_after.events]
    assert seen_ids == [a.event_id, b.event_id]


def test_many_writers_and_a_polling_reader_agree_on_every_event(racing_site):
    """A reader polling by cursor while four writers write forty events sees all forty, in
    increasing order, each once."""
    site_ids = [racing_site.site_id]
    writers = [Writer(racing_site) for _ in range(40)]
    collected: list[int] = []
    cursor = 0
    for index, writer in enumerate(writers):
        writer.start()
        if index % 4 == 3:
            page = events.feed(site_ids, after=cursor, limit=100)
            collected += [e.pk for e in page.events]
            cursor = page.cursor
    for writer in writers:
        writer.join(30)
    collected += [e.pk for e in events.feed(site_ids, after=cursor, limit=100).events]

    assert all(w.error is None for w in writers)
    assert collected == sorted(w.event_id for w in writers if w.event_id is not None)
    assert len(collected) == 40


# The feed over HTTP: GET /api/v1/events/


def test_a_key_reads_its_sites_events_and_never_another_site_s(
    kitchen, hilltop_bar, riverside, hilltop
):
    apply_order(kitchen, seen(UUID_A, "1"), Change.CREATED)
    apply_order(hilltop_bar, seen(UUID_B, "2"), Change.CREATED)

    mine = riverside.get("/api/v1/events/").json()["results"]
    theirs = hilltop.get("/api/v1/events/").json()["results"]

    assert [(e["type"], e["data"]["number"], e["site"]) for e in mine] == [
        ("order.created", "1", kitchen.site_id)
    ]
    assert [e["data"]["number"] for e in theirs] == ["2"]


def test_the_feed_is_read_page_by_page_through_next(kitchen, riverside):
    for number in range(1, 6):
        apply_order(
            kitchen,
            seen(f"0b7f8c0e-0000-4000-8000-00000000010{number}", str(number)),
            Change.CREATED,
        )

    numbers: list[str] = []
    url = "/api/v1/events/?limit=2"
    pages = 0
    while True:
        page = riverside.get(url).json()
        numbers += [e["data"]["number"] for e in page["results"]]
        url, pages = page["next"], pages + 1
        if not page["has_more"]:
            break

    assert numbers == ["1", "2", "3", "4", "5"]
    assert pages == 3
    assert riverside.get(url).json()["results"] == []
    assert riverside.get(url).json()["next"] == url


def test_a_cursor_that_is_not_a_number_is_a_problem(riverside):
    answer = riverside.get("/api/v1/events/?after=soon")

    assert answer.status_code == 400
    assert answer["Content-Type"] == "application/problem+json"
    assert "after" in answer.json()["errors"]


def test_the_feed_needs_a_key(kitchen, client):
    assert client.get("/api/v1/events/").status_code == 401


def test_the_mirror_s_racing_writers_never_deadlock_and_every_change_is_told(racing_site):
    """A relay snapshot, notifications and a status move race on one gateway (the lock comes
    before any row lock, so no two of them wait on each other)."""
    gateway = racing_site
    errors: list[BaseException] = []

    def run(work: Callable[[], object]) -> threading.Thread:
        return in_thread(lambda: [work() for _ in range(10)], errors)

    both = [seen(UUID_A, "1"), seen(UUID_B, "2")]
    threads = [
        run(lambda: apply_snapshot(gateway, both)),
        run(
            lambda: apply_order(
                gateway, seen(UUID_A, "1", OrderState.LOCATED, "3"), Change.MODIFIED
            )
        ),
        run(lambda: remove_order(gateway, UUID_B)),
        run(
            lambda: (
                set_status(gateway, Gateway.Status.ONLINE)
                or set_status(gateway, Gateway.Status.OFFLINE)
            )
        ),
    ]
    for thread in threads:
        thread.join(60)

    assert errors == []
    ids = list(Event.objects.order_by("id").values_list("id", flat=True))
    assert ids == sorted(set(ids))
    assert Event.objects.filter(type="gateway.offline").exists()


def test_the_relay_s_news_of_an_order_a_command_is_still_writing_updates_that_order(racing_site):
    """A command's answer and the relay's batch both bring a new order. The relay's writer
    waits for the command's transaction, then finds its row; it used to find none, insert a
    second one and break the mirror's unique constraint (seen as a 500 in the admin)."""
    gateway = racing_site
    inserted, release, backend = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []
    relay_pid: list[int] = []

    def command() -> None:
        with transaction.atomic():  # the command's write, kept open while the relay hears
            apply_order(gateway, seen(UUID_A, "1"), Change.CREATED)
            inserted.set()
            release.wait(30)

    def relay() -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                relay_pid.append(cursor.fetchone()[0])
        backend.set()
        located = seen(UUID_A, "1", OrderState.LOCATED, "3")
        apply_orders(gateway, [(seen(UUID_A, "1"), Change.CREATED), (located, Change.MODIFIED)])

    writer = in_thread(command, errors)
    wait_until(lambda: inserted.is_set() or not writer.is_alive())
    reader = in_thread(relay, errors)
    wait_until(lambda: backend.is_set() or not reader.is_alive())
    if connection.vendor == "postgresql":
        wait_until(lambda: not reader.is_alive() or waiting_for_a_lock(relay_pid[0]))
    release.set()
    writer.join(30)
    reader.join(30)

    assert errors == []
    assert list(ActiveOrder.objects.values_list("name", "location", "version")) == [("1", "3", 2)]
    assert types() == ["order.created", "order.located"]
