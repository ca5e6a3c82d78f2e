"""Relay leases on a real Redis: relays share gateways and take over from one that dies."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from gateways.leases import RelayLeases
from ttgateway.waiting import wait_until

GATEWAYS = list(range(1, 11))


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    yield connection
    connection.close()


@pytest.fixture
def prefix(client: redis.Redis) -> Iterator[str]:
    name = f"ttportal-test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in client.scan_iter(match=f"{name}:*"):
        client.delete(key)


def relay(client, prefix, name: str, ttl: float = 5.0) -> RelayLeases:
    return RelayLeases(client, ttl, prefix, holder=name)


def lease_keys(prefix: str, gateways: list[int]) -> list[str]:
    return [f"{prefix}:relay:lease:{gateway}" for gateway in gateways]


def test_a_lone_relay_holds_every_gateway(client, prefix):
    assert relay(client, prefix, "a").hold(GATEWAYS) == set(GATEWAYS)


def test_two_relays_end_up_sharing_the_gateways_evenly(client, prefix):
    a, b = relay(client, prefix, "a"), relay(client, prefix, "b")
    a.hold(GATEWAYS)

    for _ in range(2):  # a gives back its excess on one refresh, b claims it on the next
        held_b = b.hold(GATEWAYS)
        held_a = a.hold(GATEWAYS)

    assert len(held_a) == len(held_b) == 5
    assert held_a.isdisjoint(held_b)
    assert held_a | held_b == set(GATEWAYS)


def test_no_gateway_is_ever_held_by_two_relays(client, prefix):
    relays = [relay(client, prefix, name) for name in "abc"]

    for _ in range(4):
        held = [r.hold(GATEWAYS) for r in relays]
        for i, mine in enumerate(held):
            for theirs in held[i + 1 :]:
                assert mine.isdisjoint(theirs)


def test_the_gateways_of_a_relay_that_dies_are_taken_once_its_leases_run_out(client, prefix):
    dying, survivor = relay(client, prefix, "dying", ttl=0.4), relay(client, prefix, "b", ttl=0.4)
    dying.hold(GATEWAYS)
    assert survivor.hold(GATEWAYS) == set()

    # The dying relay renews nothing any more: its leases run out.
    wait_until(lambda: client.exists(*lease_keys(prefix, GATEWAYS)), expect=0)

    assert survivor.hold(GATEWAYS) == set(GATEWAYS)


def test_a_relay_that_stops_cleanly_frees_its_gateways_at_once(client, prefix):
    leaving, staying = relay(client, prefix, "leaving"), relay(client, prefix, "staying")
    leaving.hold(GATEWAYS)

    leaving.release_all()

    assert staying.hold(GATEWAYS) == set(GATEWAYS)


def test_an_expired_lease_taken_by_another_relay_is_not_renewed(client, prefix):
    slow, quick = relay(client, prefix, "slow", ttl=0.2), relay(client, prefix, "quick", ttl=5)
    slow.hold([1])
    wait_until(lambda: client.exists(*lease_keys(prefix, [1])), expect=0)
    assert quick.hold([1]) == {1}

    assert slow.hold([1]) == set()
    assert client.get(f"{prefix}:relay:lease:1") == b"quick"


def test_a_gateway_that_is_no_longer_paired_is_let_go(client, prefix):
    leases = relay(client, prefix, "a")
    leases.hold([1, 2])

    assert leases.hold([1]) == {1}
    assert client.get(f"{prefix}:relay:lease:2") is None
