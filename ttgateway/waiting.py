"""Waiting for something another thread, task or process does: one polling rule, sync and async.

Tests, benchmarks and the demo wait on what they can observe (a row, a counter, a server that
answers) instead of sleeping and hoping. When the wait fails it says what was awaited and the
last value seen, so a slow machine and a real bug tell themselves apart::

    wait_until(lambda: Gateway.objects.get().status, expect="offline", what="the gateway to drop")
    order = await eventually(lambda: mirror.get("7"), within=5)
"""

from __future__ import annotations

import asyncio
import inspect
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar, cast, overload

T = TypeVar("T")

DEFAULT_SECONDS: Final = 10.0
POLL_SECONDS: Final = 0.05


class _Truthy:
    def __repr__(self) -> str:
        return "anything truthy"


TRUTHY: Final[Any] = _Truthy()


class NeverHappened(AssertionError):
    """The awaited condition did not hold in time (an AssertionError, so tests fail, not error)."""

    def __init__(self, what: str, within: float, last: object, expect: object) -> None:
        self.what = what
        self.last = last
        wanted = "" if expect is TRUTHY else f" (expected {expect!r})"
        super().__init__(
            f"waited {within:g} s for {what}; the last value seen was {last!r}{wanted}"
        )


def describe(probe: Callable[..., object]) -> str:
    """The probe's own source line (a lambda reads as what it waits for), or its name."""
    try:
        source = " ".join(inspect.getsource(probe).split())
    except (OSError, TypeError):
        return getattr(probe, "__qualname__", repr(probe))
    return source if len(source) <= 200 else source[:197] + "..."


class _Watch:
    """One wait: its deadline and what to say if it runs out."""

    def __init__(
        self, probe: Callable[..., object], expect: object, what: str | None, within: float
    ) -> None:
        self.probe, self.expect, self.what, self.within = probe, expect, what, within
        self.deadline = time.monotonic() + within

    def settled(self, value: object, *, failed: bool = False) -> bool:
        """True if ``value`` is what was awaited; raises once time is up."""
        if not failed and (bool(value) if self.expect is TRUTHY else value == self.expect):
            return True
        if time.monotonic() >= self.deadline:
            what = self.what or describe(self.probe)
            raise NeverHappened(what, self.within, value, self.expect)
        return False


def wait_until(
    probe: Callable[[], T | None],
    *,
    expect: object = TRUTHY,
    what: str | None = None,
    within: float = DEFAULT_SECONDS,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``probe`` until its value is truthy (or equals ``expect``) and return that value.

    Exceptions of the ``ignoring`` types count as "not yet" (a server still starting); the last
    one is the value reported if time runs out. Any other exception ends the wait at once.
    """
    watch = _Watch(probe, expect, what, within)
    while True:
        try:
            value = probe()
        except ignoring as error:
            watch.settled(error, failed=True)
        else:
            if watch.settled(value):
                return cast(T, value)  # truthy or as expected: a None was what was awaited
        time.sleep(POLL_SECONDS)


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    expect: object = ...,
    what: str | None = ...,
    within: float = ...,
    ignoring: tuple[type[BaseException], ...] = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], T | None],
    *,
    expect: object = ...,
    what: str | None = ...,
    within: float = ...,
    ignoring: tuple[type[BaseException], ...] = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], Any],
    *,
    expect: object = TRUTHY,
    what: str | None = None,
    within: float = DEFAULT_SECONDS,
    ignoring: tuple[type[BaseException], ...] = (),
) -> Any:
    """:func:`wait_until` for async code: ``probe`` may be a coroutine function, and the loop
    runs on between tries. (A probe that needs Django's ORM: wrap it in ``sync_to_async``.)"""
    watch = _Watch(probe, expect, what, within)
    while True:
        try:
            answer = probe()
            value = await answer if inspect.isawaitable(answer) else answer
        except ignoring as error:
            watch.settled(error, failed=True)
        else:
            if watch.settled(value):
                return value
        await asyncio.sleep(POLL_SECONDS)


def answers(url: str, timeout: float = 1.0) -> bool:
    """A probe: True once an HTTP server answers ``url`` (below 500), False while none does.

    Only for loopback URLs a caller built (a server it started): ``urlopen`` follows any scheme.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 - see above
            return True
    except urllib.error.HTTPError as error:
        return error.code < 500
    except OSError:
        return False
