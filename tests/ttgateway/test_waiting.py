"""The one polling rule: it returns what it waited for, or says what it waited for and saw."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from ttgateway.waiting import NeverHappened, answers, eventually, wait_until


def test_waiting_returns_the_first_truthy_value():
    answers_given = iter([None, 0, "", "here"])

    assert wait_until(lambda: next(answers_given)) == "here"


def test_waiting_for_an_expected_value_compares_with_it():
    counter = itertools.count()

    assert wait_until(lambda: next(counter), expect=3) == 3


def test_a_wait_that_runs_out_says_what_it_awaited_and_the_last_value_seen():
    with pytest.raises(NeverHappened) as never:
        wait_until(lambda: "offline", expect="online", what="the gateway to come back", within=0.1)

    assert str(never.value) == (
        "waited 0.1 s for the gateway to come back; the last value seen was 'offline' "
        "(expected 'online')"
    )
    assert never.value.last == "offline"


def test_a_wait_with_no_description_names_its_probe_by_its_source():
    with pytest.raises(NeverHappened, match=r"lambda: \[\] \* 2"):
        wait_until(lambda: [] * 2, within=0.1)


def test_a_wait_that_runs_out_fails_the_test_rather_than_erroring_it():
    assert issubclass(NeverHappened, AssertionError)


def test_errors_of_the_ignored_kinds_count_as_not_yet():
    tries = itertools.count()

    def starting_server() -> str:
        if next(tries) < 3:
            raise ConnectionRefusedError("not listening yet")
        return "up"

    assert wait_until(starting_server, ignoring=(OSError,)) == "up"


def test_the_last_ignored_error_is_reported_when_time_runs_out():
    def never_listening() -> bool:
        raise ConnectionRefusedError("not listening")

    with pytest.raises(NeverHappened, match="ConnectionRefusedError"):
        wait_until(never_listening, ignoring=(OSError,), within=0.1)


def test_any_other_error_ends_the_wait_at_once():
    def broken() -> bool:
        raise KeyError("typo")

    with pytest.raises(KeyError):
        wait_until(broken, ignoring=(OSError,))


async def test_eventually_awaits_a_coroutine_probe():
    counter = itertools.count()

    async def probe() -> int:
        return next(counter)

    assert await eventually(probe, expect=2) == 2


async def test_eventually_takes_a_plain_probe_too():
    counter = itertools.count()

    assert await eventually(lambda: next(counter) >= 2) is True


async def test_eventually_says_what_it_awaited():
    with pytest.raises(NeverHappened, match=r"waited 0\.1 s for the relay to connect"):
        await eventually(lambda: set(), what="the relay to connect", within=0.1)


async def test_a_server_answers_once_it_listens(simulator):
    # From another thread: the simulator answers on this test's loop.
    assert await asyncio.to_thread(answers, simulator.url + "/api/v2")


def test_nothing_answers_on_a_closed_port(closed_port):
    assert not answers(f"http://127.0.0.1:{closed_port}/")
