"""Django's SQLite backend, with the single box's writers queued in the process, not by SQLite.

The single box's connections begin every transaction ``IMMEDIATE`` (settings), so one
transaction at a time holds the database's write lock. A connection that finds it held is made
to wait by SQLite's busy handler, which does not wake when the lock is freed: it sleeps and
tries again, 1, 2, 5, 10... then 100 ms at a time. Under a lunch rush (four API clients, the
relay and the worker all writing) a writer could lose that race again and again, sleeping
hundreds of milliseconds while others went ahead: most of the API's p99 on the single box
(bench/README.md, ``bench.api``).

Here a transaction takes a process-wide lock before it begins and frees it when it ends, so a
waiting writer of this process starts the moment the one before it commits. SQLite still takes
its own lock (another process, a ``manage.py`` command, still waits on it as before), and the
order of the two locks is always this one then SQLite's, so they cannot deadlock each other.
No library offers this for Django's SQLite backend; it is the few overrides below.
"""

from __future__ import annotations

import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# One per process: the single box is one process (web server, relay, worker).
_WRITER = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        # The same patience as SQLite's own (the ``timeout`` option), and the same error.
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        if not _WRITER.acquire(timeout=timeout):
            raise OperationalError("database is locked (another writer of this process)")
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in the stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            _WRITER.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
