"""A token bucket per API key (or per staff subject), shared by every server
process.

Each key may make `burst` requests at once and then `rate` per second, in
all of `hub serve --workers N`'s processes together, and of every server
sharing `HUB_DATABASE_URL`: the buckets live in the store's "ratelimit"
database (`$HUB_HOME/ratelimit.sqlite`, or the PostgreSQL schema); each take
is a read-modify-write in one write transaction (the file's lock, or an
advisory lock per key), so two processes never spend the same token. To keep a
request cheap, a process takes a small lease of tokens at a time (a tenth of
a second's worth, at most a twentieth of the burst) and spends it locally;
a lease left unspent for a second lapses, so idle processes do not sit on
tokens another needs. Without a shared store (`shared=None`) the buckets
are this process's own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hub.security.errors import RateLimited
from store import Database
from store.sqlite import SqliteDatabase

#: seconds an unspent lease stays usable
LEASE_TTL_S: Final = 1.0
#: shared writes between two sweeps of refilled buckets
_SWEEP_EVERY: Final = 1000


@dataclass(frozen=True)
class RateLimit:
    rate: float = 20.0
    """Tokens added per second."""
    burst: int = 40
    """Bucket size: the most requests allowed at once."""

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError("A rate limit needs rate > 0 and burst >= 1.")

    @property
    def lease(self) -> float:
        """Tokens a process takes from the shared bucket at a time."""
        return max(1.0, min(self.rate / 10, self.burst / 20))


def ratelimit_path(home: Path) -> Path:
    return home / "ratelimit.sqlite"


BUCKETS: Final = """CREATE TABLE IF NOT EXISTS buckets (
    key   TEXT PRIMARY KEY,
    tokens {real} NOT NULL,
    stamp  {real} NOT NULL)"""


class SharedBuckets:
    """The buckets of every process: the store's "ratelimit" database (its own
    SQLite file, or the shared PostgreSQL schema); a path opens that file."""

    def __init__(self, where: Path | Database, clock: Callable[[], float] = time.time) -> None:
        self._own = isinstance(where, Path)
        self._db: Database = (
            SqliteDatabase(where, name="ratelimit", timeout_s=10.0, synchronous="OFF")
            if isinstance(where, Path)
            else where
        )
        self._db.apply([BUCKETS])
        self._clock = clock
        self._writes = 0

    def take(self, key: str, want: float, cost: float, limit: RateLimit) -> tuple[float, float]:
        """Take up to `want` tokens (at least `cost`) from the key's bucket:
        (tokens taken, 0.0), or (0.0, seconds until `cost` tokens are there)."""
        rate, burst = limit.rate, float(limit.burst)
        with self._db.write(lock=f"ratelimit:{key}") as con:  # read-modify-write
            now = self._clock()
            row = con.execute("SELECT tokens, stamp FROM buckets WHERE key = ?", [key]).fetchone()
            tokens = burst if row is None else min(burst, row[0] + max(0.0, now - row[1]) * rate)
            taken = min(tokens, max(want, cost)) if tokens >= cost else 0.0
            con.execute(
                "INSERT INTO buckets (key, tokens, stamp) VALUES (?, ?, ?) ON CONFLICT (key)"
                " DO UPDATE SET tokens = excluded.tokens, stamp = excluded.stamp",
                [key, tokens - taken, now],
            )
            self._writes += 1
            if self._writes % _SWEEP_EVERY == 0:  # refilled buckets say nothing
                con.execute(
                    "DELETE FROM buckets WHERE tokens + (? - stamp) * ? >= ?",
                    [now, rate, burst],
                )
        return (taken, 0.0) if taken else (0.0, (cost - tokens) / rate)

    def close(self) -> None:
        if self._own:
            self._db.close()


class RateLimiter:
    def __init__(
        self,
        limit: RateLimit | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
        shared: SharedBuckets | None = None,
    ) -> None:
        self.limit = limit or RateLimit()
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, stamp)
        self._lock = threading.Lock()
        self.shared = shared
        self._refused: dict[str, float] = {}  # key -> when the shared bucket has tokens again

    def try_acquire(self, key: str, cost: float = 1.0) -> float:
        """0.0 when allowed; otherwise the seconds to wait before retrying."""
        if self.shared is not None:
            return self._leased(key, cost, self.shared)
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

    def _leased(self, key: str, cost: float, shared: SharedBuckets) -> float:
        """Spend from this process's lease; take a new one when it runs out or lapses."""
        now = self._clock()
        with self._lock:
            blocked = self._refused.get(key)
            if blocked is not None:
                if now < blocked:  # told to wait: do not ask the shared store again
                    return blocked - now
                del self._refused[key]
            tokens, leased_at = self._buckets.get(key, (0.0, now))
            if now - leased_at > LEASE_TTL_S:
                tokens = 0.0
            if tokens >= cost:
                self._buckets[key] = (tokens - cost, leased_at)
                return 0.0
            taken, wait = shared.take(key, self.limit.lease, cost, self.limit)
            if not taken:
                if len(self._refused) > self._max_keys:
                    self._refused = {k: t for k, t in self._refused.items() if t > now}
                self._refused[key] = now + wait
                return wait
            self._store(key, tokens + taken - cost, now)
            return 0.0

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
        """Drop buckets that have refilled (or leases that lapsed): forgetting
        them changes nothing."""
        rate, burst = self.limit.rate, self.limit.burst
        if self.shared is not None:
            self._buckets = {
                k: (t, s) for k, (t, s) in self._buckets.items() if now - s <= LEASE_TTL_S
            }
            return
        self._buckets = {
            k: (t, s) for k, (t, s) in self._buckets.items() if t + (now - s) * rate < burst
        }


__all__ = ["BUCKETS", "LEASE_TTL_S", "RateLimit", "RateLimiter", "SharedBuckets", "ratelimit_path"]
