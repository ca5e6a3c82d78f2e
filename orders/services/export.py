"""The history as CSV, written row by row as the response streams: never a whole file in memory.

Times are the site's local time with their UTC offset (ISO 8601), as the history page shows
them; durations are whole seconds, for a spreadsheet to compute with.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from orders.models import OrderRecord

HEADER = [
    "site", "gateway", "uuid", "number", "type", "table", "started", "located", "cleared",
    "time_to_sit_seconds", "delivery_seconds", "cleared_by", "confirmed_by_gateway",
]  # fmt: skip
CHUNK = 2000
# A cell starting with one of these is a formula to a spreadsheet; names come from the LAN.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Line:
    """A file-like object whose ``write`` hands the line back, for ``csv.writer`` to stream."""

    def write(self, value: str) -> str:
        return value


COLUMNS = [
    "site__name", "site__time_zone", "gateway__name", "uuid", "name", "order_type", "location",
    "started", "located", "cleared", "time_to_sit_seconds", "delivery_seconds", "cleared_by",
    "confirmed",
]  # fmt: skip


def csv_lines(records: QuerySet[OrderRecord]) -> Iterator[str]:
    """The header, then one line per record, read from the database in chunks of plain rows."""
    writer = csv.writer(_Line())
    yield writer.writerow(HEADER)
    for values in records.values_list(*COLUMNS).iterator(chunk_size=CHUNK):
        yield writer.writerow(row(*values))


def row(
    site: str,
    zone: str,
    gateway: str,
    uuid: object,
    name: str,
    order_type: str,
    table: str,
    started: datetime,
    located: datetime | None,
    cleared: datetime | None,
    to_sit: int | None,
    delivery: int | None,
    cleared_by: str,
    confirmed: bool,
) -> list[str | int | None]:
    """One record as the CSV shows it, from the values of :data:`COLUMNS`."""
    tz = ZoneInfo(zone)  # ZoneInfo keeps one instance per name
    return [
        _text(site),
        _text(gateway),
        str(uuid),
        name,
        order_type,
        table,
        _time(started, tz),
        _time(located, tz),
        _time(cleared, tz),
        to_sit,
        delivery,
        cleared_by,
        "yes" if confirmed else "no",
    ]


def _time(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""


def _text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value
