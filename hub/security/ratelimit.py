"""A token bucket per API key (or per staff subject), kept in this process.

Each key may make `burst` requests at once and then `rate` per second. With
several server processes each keeps its own buckets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hub.security.errors import RateLimited


@dataclass(frozen=True)
class RateLimit:
    rate: float = 20.0
    """Tokens added per second."""
    burst: int = 40
    """Bucket size: the most requests allowed at once."""

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("A rate limit needs rate > 0 and burst >= 1.")


class RateLimiter:
    def __init__(
        self,
        limit: RateLimit | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, stamp)
        self._lock = threading.Lock()

    def try_acquire(self, key: str, cost: float = 1.0) -> float:
        """0.0 when allowed; otherwise the seconds to wait before retrying."""
        rate, burst = self.limit.rate, float(self.limit.burst)
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - stamp) * rate)
            if tokens >= cost:
                self._store(key, tokens - cost, now)
                return 0.0
            self._store(key, tokens, now)
            return (cost - tokens) / rate

    def check(self, key: str, cost: float = 1.0) -> None:
        wait = self.try_acquire(key, cost)
        if wait > 0:
            raise RateLimited(
                f"Too many requests for this key: retry in {wait:.1f} s, or ask Dinsos"
                " for a higher limit.",
                retry_after=wait,
            )

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self._max_keys:
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: forgetting them changes nothing."""
        rate, burst = self.limit.rate, self.limit.burst
        self._buckets = {
            k: (t, s) for k, (t, s) in self._buckets.items() if t + (now - s) * rate < burst
        }


__all__ = ["RateLimit", "RateLimiter"]
