"""The periods a manager picks: today, the last 7 or 30 days, or from one date to another.

A period is a run of calendar days, and each site reads it in its own time zone: "today" in
Paris starts six hours before "today" in New York. An order belongs to the day it was started
(when the guest ordered), so an order started at 23:30 is the evening's, whenever it cleared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.db.models import Q

from gateways.models import Site

# A custom period longer than this is refused: a page of analytics, not an archive export.
MAX_DAYS = 731
# The dates a person may pick. Far beyond these, a period's day before or day after does not
# exist (year 1 or 9999) and the arithmetic overflows; no restaurant has orders there anyway.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def date_problem(day: date) -> str | None:
    """Why a date cannot bound a period, in a manager's words, or None when it can."""
    if day < EARLIEST or day > LATEST:
        return f"Pick a date between {EARLIEST:%d %b %Y} and {LATEST:%d %b %Y}."
    return None


@dataclass(frozen=True)
class Period:
    """``days`` calendar days ending on ``end``, or, when ``end`` is None, on each site's today.

    ``back`` shifts a rolling period into the past (the previous period of "last 7 days" is the
    7 days before them).
    """

    days: int
    end: date | None = None
    back: int = 0
    key: str = "7d"

    def dates(self, today: date) -> tuple[date, date]:
        """First and last day (inclusive), given the site's today."""
        last = self.end if self.end is not None else today - timedelta(days=self.back)
        return last - timedelta(days=self.days - 1), last

    def bounds(self, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
        """The period as a half-open range of aware datetimes, in the time zone ``tz``."""
        first, last = self.dates(now.astimezone(tz).date())
        return (
            datetime.combine(first, time(), tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time(), tzinfo=tz),
        )

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        if self.end is not None:
            return replace(self, end=self.end - timedelta(days=self.days))
        return replace(self, back=self.back + self.days)

    @property
    def label(self) -> str:
        if self.end is not None:
            first = self.end - timedelta(days=self.days - 1)
            return (
                f"{first:%d %b %Y} to {self.end:%d %b %Y}" if self.days > 1 else f"{first:%d %b %Y}"
            )
        if self.back:
            return f"the {self.days} days before"
        return "Today" if self.days == 1 else f"Last {self.days} days"


PRESETS = {
    "today": Period(1, key="today"),
    "7d": Period(7, key="7d"),
    "30d": Period(30, key="30d"),
}


def custom(first: date, last: date) -> Period:
    """From ``first`` to ``last``, both included."""
    return Period((last - first).days + 1, end=last, key="custom")


def sites_by_zone(sites: Iterable[Site]) -> dict[str, list[int]]:
    """Site ids grouped by time zone: each group shares its calendar."""
    groups: dict[str, list[int]] = defaultdict(list)
    for site in sites:
        groups[site.time_zone].append(site.pk)
    return dict(groups)


def started_within(sites: Iterable[Site], period: Period, now: datetime) -> Q:
    """Records of these sites started within the period, each site's in its own time zone."""
    parts = []
    for zone, ids in sites_by_zone(sites).items():
        start, end = period.bounds(ZoneInfo(zone), now)
        parts.append(Q(site_id__in=ids, started__gte=start, started__lt=end))
    return reduce(or_, parts) if parts else Q(pk__in=[])
