"""Quoted table and column names of models, for the few statements written out by hand.

Django compiles a queryset anew on every call; for the handful of statements the relay runs
on every change (``webhooks.endpoints_for``, ``board.today_figures``, ``HistoryCounter.take``)
compiling cost more than running (bench/README.md). Those are written as SQL once, and their
names come from here, from the models, so a renamed table or column cannot be missed.
"""

from __future__ import annotations

from typing import Any

from django.db import connections
from django.db.models import Model


class Names:
    """Names quoted for one database connection (``alias``)."""

    def __init__(self, alias: str) -> None:
        self.quote = connections[alias].ops.quote_name

    def table(self, model: type[Model]) -> str:
        return self.quote(model._meta.db_table)

    def column(self, model: type[Model], field: str) -> str:
        found: Any = model._meta.get_field(field)  # a concrete field: it has a column
        return self.quote(found.column)

    def pk(self, model: type[Model]) -> str:
        return self.quote(model._meta.pk.column)
