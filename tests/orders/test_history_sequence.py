"""History records are numbered in commit order, so a sync by ``sequence`` never skips one."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from orders.models import OrderRecord
from tests.orders.factories import OrderRecordFactory

BLOCKED_SECONDS = 1.0  # how long the second writer is given to (wrongly) get ahead


@pytest.mark.django_db(transaction=True)
def test_a_writer_that_starts_second_commits_second(gateway):
    first_numbered, release_first = threading.Event(), threading.Event()
    second_started, second_done = threading.Event(), threading.Event()
    committed: list[str] = []

    def write(name: str, numbered: threading.Event | None, hold: threading.Event | None) -> None:
        try:
            with transaction.atomic():
                OrderRecordFactory.create(gateway=gateway, name=name)
                transaction.on_commit(lambda: committed.append(name))
                if numbered is not None:
                    numbered.set()
                if hold is not None:
                    hold.wait(10)
        finally:
            connection.close()

    def second() -> None:
        second_started.set()
        write("2", None, None)
        second_done.set()

    first_thread = threading.Thread(target=write, args=("1", first_numbered, release_first))
    first_thread.start()
    assert first_numbered.wait(10)
    second_thread = threading.Thread(target=second)
    second_thread.start()
    assert second_started.wait(10)

    # While the first is open, the second cannot finish: it waits for the counter.
    overtook = second_done.wait(BLOCKED_SECONDS)
    release_first.set()
    first_thread.join(10)
    second_thread.join(10)

    assert not overtook
    assert committed == ["1", "2"]
    by_sequence = list(OrderRecord.objects.order_by("sequence").values_list("name", flat=True))
    assert by_sequence == ["1", "2"]


@pytest.mark.django_db
def test_every_write_of_a_record_takes_a_higher_number(gateway):
    record = OrderRecordFactory.create(gateway=gateway)
    before = record.sequence

    record.paged = True
    record.save(update_fields=["paged"])
    record.refresh_from_db()

    assert record.sequence > before
