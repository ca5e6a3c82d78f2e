"""One event writer at a time, so that event ids are handed out in commit order.

The event feed (``GET /api/v1/events/?after=<id>``) is read by cursor: a reader that has seen
id 41 asks for what comes after 41. Ids come from a database sequence, and a sequence hands
numbers out in the order transactions *ask*, not the order they *commit*: writer A takes 40,
writer B takes 41 and commits first, a reader sees 41 and moves its cursor past 40, and A's
event, committed a moment later, is never read. A webhook would not save that reader (pushes
are a convenience), so the feed itself must never skip.

The guard chosen here is a writer lock, the simplest of the three usual ones:

- a *settle horizon* (serve only events older than a few seconds) is a bet on how long a
  transaction lasts, and a slow one still loses an event;
- *transaction watermarks* (PostgreSQL's ``pg_snapshot_xmin``) are exact but order the feed by
  transaction id, not by the event id the contract promises;
- a *writer lock* taken before an event id is drawn and held to the end of the transaction
  makes id order and commit order the same thing: a writer cannot draw 41 until the one that
  drew 40 has committed or rolled back. A reader that sees 41 has therefore already been able
  to see 40. One lock for all sites, not one per site: a key reads several sites through one
  cursor, and ids from one sequence would still interleave across per-site locks.

PostgreSQL: a transaction-scoped advisory lock (released by COMMIT or ROLLBACK, never leaked).
SQLite: the database itself is the lock. The portal's connections begin ``IMMEDIATE``
(settings), so a writing transaction holds the one database write lock from BEGIN to COMMIT
and two writers are never open at once (within the single box's process they queue for a lock
of the process first, ``ttportal.sqlite``; the order is the same).

Callers take the lock *first*, before any row lock: a transaction holding a row lock while it
waits for this lock, beside one holding this lock while it waits for that row, would deadlock.
The hold lasts only the mirror's short transactions (the gateway is called before, not during).
"""

from __future__ import annotations

from django.db import transaction

# Any constant works: advisory lock keys are the application's own namespace.
EVENT_WRITER_LOCK_KEY = 0x7470_6576  # "tpev"


def hold_event_writer_lock(using: str | None = None) -> None:
    """Wait for (or keep) the event writer lock until the current transaction ends."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise RuntimeError("the event writer lock is held to the end of a transaction: open one")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Re-entrant within a session: taking it again in the same transaction is a no-op.
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_WRITER_LOCK_KEY])
