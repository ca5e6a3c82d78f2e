"""The single box's writers queue in the process (ttportal.sqlite): never a lock left behind.

Each transaction takes the process's writer lock before it begins; whatever way it ends
(commit, rollback, its connection closed, a BEGIN that failed), the next writer must get it.
A lock left behind would stop every write of the box for the database timeout (20 s) and then
fail them: each test below would fail with "database is locked" rather than pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection, transaction
from django.db.backends.sqlite3 import base as django_sqlite

from gateways.models import Site
from tests.portal_fixtures import in_thread
from ttportal.sqlite import base as backend

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the single box's database"),
]


def run_in_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on a thread of its own (its own connection, closed after, as at the end of a
    request) and wait for it; re-raise what it raised."""
    errors: list[BaseException] = []
    thread = in_thread(work, errors)
    thread.join(timeout=60)
    assert not thread.is_alive()
    if errors:
        raise errors[0]


def write(name: str) -> None:
    with transaction.atomic():
        Site.objects.create(name=name)


def test_the_writer_lock_is_held_for_the_transaction_and_freed_by_its_commit() -> None:
    def inside() -> None:
        with transaction.atomic():
            assert backend._WRITER.locked()
            Site.objects.create(name="Committed")
        assert not backend._WRITER.locked()  # its connection still open

    run_in_thread(inside)
    assert not backend._WRITER.locked()
    write("Next")
    assert set(Site.objects.values_list("name", flat=True)) >= {"Committed", "Next"}


def test_a_rolled_back_transaction_frees_the_lock() -> None:
    def rolled_back() -> None:
        with transaction.atomic():
            Site.objects.create(name="Rolled back")
            raise ValueError("the caller's own error")

    def fails() -> None:
        with pytest.raises(ValueError, match="caller's own"):
            rolled_back()
        assert not backend._WRITER.locked()  # its connection still open
        run_in_thread(lambda: write("While the first is still connected"))

    run_in_thread(fails)
    assert not backend._WRITER.locked()
    write("After the rollback")
    assert not Site.objects.filter(name="Rolled back").exists()


def test_a_connection_closed_in_a_transaction_frees_the_lock() -> None:
    def abandoned() -> None:
        atomic = transaction.atomic()
        atomic.__enter__()
        Site.objects.create(name="Abandoned")
        connection.close()  # as a thread that dies with a transaction open would leave it

    run_in_thread(abandoned)
    assert not backend._WRITER.locked()
    write("After the close")
    assert not Site.objects.filter(name="Abandoned").exists()


def test_a_begin_that_fails_frees_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: object) -> None:
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(
        django_sqlite.DatabaseWrapper, "_start_transaction_under_autocommit", refused
    )
    with pytest.raises(OperationalError, match="disk I/O"):
        run_in_thread(lambda: write("Never"))
    monkeypatch.undo()
    assert not backend._WRITER.locked()
    write("After the failed begin")


def test_many_threads_writing_at_once_all_commit() -> None:
    """None is refused as locked, none is lost."""
    errors: list[BaseException] = []
    threads = [in_thread(functools.partial(write, f"W{n}"), errors) for n in range(8)]
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Site.objects.filter(name__startswith="W").count() == 8
