"""Delivery figures over the portal's copy of history: pure functions over OrderRecord querysets.

Every figure is counted in the database: per group, the number of orders, the sums and counts
of delivery and time-to-sit seconds, and how many were within or over their site's target
(delivery ≤ target is within, as the gateway counts ``exceededToday``). Averages and shares are
derived from those sums, so groups can be merged (day parts from hours, sites of several time
zones) without averaging averages. Only the median needs the values: PostgreSQL counts it,
SQLite hands one column to Python.

Days and hours are each site's own (see ``periods``); an order counts where it was started.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from gateways.models import Site
from orders.models import ActiveOrder, OrderRecord
from orders.services.periods import Period, sites_by_zone, started_within

AGGREGATES: dict[str, Any] = {
    "orders": Count("pk"),
    "delivered": Count("delivery_seconds"),
    "delivery_total": Sum("delivery_seconds"),
    "seated": Count("time_to_sit_seconds"),
    "sit_total": Sum("time_to_sit_seconds"),
    "within": Count("pk", filter=Q(delivery_seconds__lte=F("site__target_seconds"))),
    "over": Count("pk", filter=Q(delivery_seconds__gt=F("site__target_seconds"))),
}

# (key, label, first hour, hour after the last); "late" runs past midnight.
DAY_PARTS = (
    ("breakfast", "Breakfast (6-11)", 6, 11),
    ("lunch", "Lunch (11-15)", 11, 15),
    ("afternoon", "Afternoon (15-18)", 15, 18),
    ("dinner", "Dinner (18-22)", 18, 22),
    ("late", "Late (22-6)", 22, 6),
)


@dataclass(frozen=True)
class Figures:
    """The counts and sums of one group of orders; averages and shares are derived."""

    orders: int = 0
    delivered: int = 0  # orders with a delivery time (cleared)
    delivery_total: int = 0
    seated: int = 0  # orders that reached a table
    sit_total: int = 0
    within: int = 0  # delivered within the site's target
    over: int = 0  # delivered over it

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Figures:
        """From one row of :data:`AGGREGATES` (sums of nothing arrive as None)."""
        return cls(**{f.name: int(row.get(f.name) or 0) for f in fields(cls)})

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def average_delivery(self) -> float | None:
        return self.delivery_total / self.delivered if self.delivered else None

    @property
    def average_sit(self) -> float | None:
        return self.sit_total / self.seated if self.seated else None

    @property
    def share_within(self) -> float | None:
        """Percent of delivered orders within the target (0-100)."""
        return 100.0 * self.within / self.delivered if self.delivered else None


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: its key (for charts), what a person reads, its figures."""

    key: str
    label: str
    figures: Figures


@dataclass(frozen=True)
class Change:
    """This period against the previous one; None where the previous had nothing to compare."""

    orders_percent: float | None
    average_delivery_seconds: float | None
    share_within_points: float | None


@dataclass(frozen=True)
class Report:
    """Everything the analytics page shows for some sites over one period."""

    period: Period
    first: date
    last: date
    total: Figures
    median_delivery: float | None
    previous: Figures
    previous_median: float | None
    by_day: list[Row]
    by_hour: list[Row]
    by_day_part: list[Row]
    by_table: list[Row]
    by_type: list[Row]

    @property
    def change(self) -> Change:
        return compare(self.total, self.previous)


def report(
    records: QuerySet[OrderRecord], sites: Sequence[Site], period: Period, now: datetime
) -> Report:
    """The figures of ``records`` of ``sites`` started within ``period``, and the period before.

    ``records`` is already scoped to what the person may see; ``sites`` says whose calendar
    each record is read in (and must include every site whose records are to be counted).
    """
    scoped = within(records, sites, period, now)
    earlier = within(records, sites, period.previous(), now)
    hours = by_hour(records, sites, period, now)
    first, last = period.dates(now.astimezone(_zone(sites)).date())
    return Report(
        period=period,
        first=first,
        last=last,
        total=totals(scoped),
        median_delivery=median_delivery(scoped),
        previous=totals(earlier),
        previous_median=median_delivery(earlier),
        by_day=by_day(records, sites, period, now),
        by_hour=hours,
        by_day_part=by_day_part(hours),
        by_table=by_table(scoped),
        by_type=by_type(scoped),
    )


def within(
    records: QuerySet[OrderRecord], sites: Iterable[Site], period: Period, now: datetime
) -> QuerySet[OrderRecord]:
    """The records of these sites started within the period (each site in its own calendar)."""
    return records.filter(started_within(sites, period, now)).order_by()


def totals(records: QuerySet[OrderRecord]) -> Figures:
    return Figures.of(records.aggregate(**AGGREGATES))


class Median(Aggregate):
    """PostgreSQL's median (``percentile_cont`` interpolates as ``statistics.median`` does)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def median_delivery(records: QuerySet[OrderRecord]) -> float | None:
    """The median delivery time: counted by PostgreSQL, else over the one column in Python."""
    if connections[records.db].vendor == "postgresql":
        median = records.aggregate(median=Median("delivery_seconds"))["median"]
        return None if median is None else float(median)
    values = [
        v
        for v in records.filter(delivery_seconds__isnull=False)
        .order_by()
        .values_list("delivery_seconds", flat=True)
        if v is not None
    ]
    return float(statistics.median(values)) if values else None


def by_day(
    records: QuerySet[OrderRecord], sites: Sequence[Site], period: Period, now: datetime
) -> list[Row]:
    """One row per calendar day of the period, days without orders included."""
    found: dict[date, Figures] = {}
    days: set[date] = set()
    for zone, ids in sites_by_zone(sites).items():
        tz = ZoneInfo(zone)
        first, last = period.dates(now.astimezone(tz).date())
        days.update(first + timedelta(days=n) for n in range((last - first).days + 1))
        start, end = period.bounds(tz, now)
        rows = (
            records.filter(site_id__in=ids, started__gte=start, started__lt=end)
            .annotate(day=TruncDate("started", tzinfo=tz))
            .order_by()
            .values("day")
            .annotate(**AGGREGATES)
        )
        for row in rows:
            found[row["day"]] = found.get(row["day"], Figures()) + Figures.of(row)
    return [
        Row(day.isoformat(), f"{day:%a %d %b}", found.get(day, Figures())) for day in sorted(days)
    ]


def by_hour(
    records: QuerySet[OrderRecord], sites: Sequence[Site], period: Period, now: datetime
) -> list[Row]:
    """One row per hour of the day (0-23, the site's local hour the order was started in)."""
    found: dict[int, Figures] = {}
    for zone, ids in sites_by_zone(sites).items():
        tz = ZoneInfo(zone)
        start, end = period.bounds(tz, now)
        rows = (
            records.filter(site_id__in=ids, started__gte=start, started__lt=end)
            .annotate(hour=ExtractHour("started", tzinfo=tz))
            .order_by()
            .values("hour")
            .annotate(**AGGREGATES)
        )
        for row in rows:
            found[row["hour"]] = found.get(row["hour"], Figures()) + Figures.of(row)
    return [Row(str(h), f"{h:02d}:00", found.get(h, Figures())) for h in range(24)]


def day_part(hour: int) -> str:
    """The key of the part of the day an hour (0-23) belongs to."""
    for key, _, first, after in DAY_PARTS:
        if first <= hour < after or (after < first and (hour >= first or hour < after)):
            return key
    raise ValueError(f"{hour} is not an hour of the day")


def by_day_part(hours: Iterable[Row]) -> list[Row]:
    """Breakfast, lunch, afternoon, dinner and late, merged from the hourly rows."""
    merged = {key: Figures() for key, *_ in DAY_PARTS}
    for row in hours:
        key = day_part(int(row.key))
        merged[key] = merged[key] + row.figures
    return [Row(key, label, merged[key]) for key, label, *_ in DAY_PARTS]


def by_table(records: QuerySet[OrderRecord]) -> list[Row]:
    """One row per table that had orders (orders never seated have no table), in table order."""
    rows = records.exclude(location="").order_by().values("location").annotate(**AGGREGATES)
    found = [(row["location"], Figures.of(row)) for row in rows]
    found.sort(key=lambda item: (len(item[0]), item[0]))  # tables are numbers: 2 before 10
    return [Row(table, f"Table {table}", figures) for table, figures in found]


def by_type(records: QuerySet[OrderRecord]) -> list[Row]:
    """Eat in and to go."""
    found = {
        row["order_type"]: Figures.of(row)
        for row in records.order_by().values("order_type").annotate(**AGGREGATES)
    }
    return [
        Row(str(value), str(label), found.get(value, Figures()))
        for value, label in ActiveOrder.Type.choices
    ]


def by_site(
    records: QuerySet[OrderRecord], sites: Sequence[Site], period: Period, now: datetime
) -> list[Row]:
    """One row per site, in the order given (sites without orders included)."""
    found = {
        row["site"]: Figures.of(row)
        for row in within(records, sites, period, now).values("site").annotate(**AGGREGATES)
    }
    return [Row(str(site.pk), site.name, found.get(site.pk, Figures())) for site in sites]


def compare(now: Figures, before: Figures) -> Change:
    """How this period moved against the one before."""

    def minus(a: float | None, b: float | None) -> float | None:
        return a - b if a is not None and b is not None else None

    return Change(
        orders_percent=100.0 * (now.orders - before.orders) / before.orders
        if before.orders
        else None,
        average_delivery_seconds=minus(now.average_delivery, before.average_delivery),
        share_within_points=minus(now.share_within, before.share_within),
    )


def _zone(sites: Sequence[Site]) -> tzinfo:
    """The calendar the page heading is told in: the sites' own when they share one."""
    zones = {site.time_zone for site in sites}
    return ZoneInfo(zones.pop()) if len(zones) == 1 else timezone.get_default_timezone()
