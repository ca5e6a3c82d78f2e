"""The simulator's clock: real time plus an offset that tests and demos may move, or hold still."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SimClock:
    """UTC wall clock with a movable offset, which can also be frozen.

    Times are whole seconds: the gateway's wire format has no fractions, so figures a client
    computes from the timestamps it receives agree with the figures the gateway computes.

    A frozen clock stands still until it is advanced or set: a test that freezes it gets exact
    durations however slowly the machine runs it.
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_seconds)
        self._frozen_at: datetime | None = None

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def _exact(self) -> datetime:
        if self._frozen_at is not None:
            return self._frozen_at
        return datetime.now(UTC) + self.offset

    def now(self) -> datetime:
        return self._exact().replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        step = timedelta(seconds=seconds)
        self.offset += step
        if self._frozen_at is not None:
            self._frozen_at += step
        return self.now()

    def set(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self.offset = moment - datetime.now(UTC)
        if self._frozen_at is not None:
            self._frozen_at = moment
        return self.now()

    def freeze(self) -> datetime:
        """Stop the clock where it is; only ``advance`` and ``set`` move it from now on."""
        self._frozen_at = self._exact()
        return self.now()

    def thaw(self) -> datetime:
        """Let the clock run again from where it stands."""
        if self._frozen_at is not None:
            self.offset = self._frozen_at - datetime.now(UTC)
            self._frozen_at = None
        return self.now()

    def offset_seconds(self) -> float:
        """How far the clock stands from real time now (what a restart should keep)."""
        return (self._exact() - datetime.now(UTC)).total_seconds()
