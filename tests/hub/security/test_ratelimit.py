from __future__ import annotations

import pytest

from hub.security.errors import RateLimited
from hub.security.ratelimit import RateLimit, RateLimiter


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
