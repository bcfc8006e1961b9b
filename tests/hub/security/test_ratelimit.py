from __future__ import annotations

from collections.abc import Iterator

import pytest
from storetest import another

from hub.security.errors import RateLimited
from hub.security.ratelimit import LEASE_TTL_S, RateLimit, RateLimiter, SharedBuckets
from store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(rate=2.0, burst=3), clock=clock)
    assert [limiter.try_acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.try_acquire("k") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.try_acquire("k") == 0.0
    assert limiter.try_acquire("k") > 0
    clock.now += 100
    assert [limiter.try_acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]  # capped at burst
    assert limiter.try_acquire("k") > 0


def test_keys_are_independent_and_check_raises_429() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(rate=1.0, burst=1), clock=clock)
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(RateLimited) as caught:
        limiter.check("a")
    assert caught.value.status_code == 429
    assert caught.value.retry_after == pytest.approx(1.0)


def test_full_buckets_are_forgotten_when_there_are_too_many() -> None:
    clock = Clock()
    limiter = RateLimiter(RateLimit(rate=1.0, burst=1), clock=clock, max_keys=2)
    limiter.check("a")
    clock.now += 10
    limiter.check("b")
    limiter.check("c")  # a has refilled: forgetting it is harmless
    with pytest.raises(RateLimited):
        limiter.check("c")
    limiter.check("a")


def test_invalid_limits() -> None:
    with pytest.raises(ValueError):
        RateLimit(rate=0, burst=1)
    with pytest.raises(ValueError):
        RateLimit(rate=1, burst=0)


def _two_processes(store: Store, limit: RateLimit, clock: Clock) -> Iterator[RateLimiter]:
    """Two limiters on the store's buckets, each with connections of its own."""
    for opened in (store, another(store)):
        yield RateLimiter(
            limit, clock=clock, shared=SharedBuckets(opened.database("ratelimit"), clock=clock)
        )


def test_processes_sharing_the_store_share_one_bucket(store_backend: Store) -> None:
    clock = Clock()
    limit = RateLimit(rate=10.0, burst=40)  # leases of one token (rate / 10)
    one, two = _two_processes(store_backend, limit, clock)
    allowed = [(one if i % 2 else two).try_acquire("k") == 0.0 for i in range(60)]
    assert allowed.count(True) == 40
    assert one.try_acquire("other") == 0.0  # another key has its own bucket
    clock.now += 1.0  # ten tokens come back, for either process
    assert [two.try_acquire("k") == 0.0 for _ in range(12)].count(True) == 10


def test_an_unspent_lease_lapses_for_the_others(store_backend: Store) -> None:
    clock = Clock()
    limit = RateLimit(rate=100.0, burst=200)  # leases of ten tokens
    one, two = _two_processes(store_backend, limit, clock)
    assert one.try_acquire("k") == 0.0  # one leased ten and spent one
    clock.now += LEASE_TTL_S + 0.5
    # its nine left lapse: it takes a fresh lease, and the bucket has refilled for two
    assert one.try_acquire("k") == 0.0
    assert sum(two.try_acquire("k") == 0.0 for _ in range(300)) == 200 - 10
