"""The simulator's clock: real time plus an offset that tests and demos may move."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SimClock:
    """UTC wall clock with a movable offset.

    Times are whole seconds: the gateway's wire format has no fractions, so figures a client
    computes from the timestamps it receives agree with the figures the gateway computes.
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_seconds)

    def now(self) -> datetime:
        return (datetime.now(UTC) + self.offset).replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self.offset = moment - datetime.now(UTC)
        return self.now()
