"""The watch on `submitRecord`: a budget per organization and pattern alerts.

A submission answers whether a NIK, name and birth date belong to someone the
hub knows, so a key could be used to probe the registry. Each organization
therefore has its own token bucket for submissions (lower than the general
request limit), and every linked submission is noted (organization, person,
household, whether a NIK was given, whether it matched someone). Within a
sliding window, three patterns raise an alert:

    UNSERVED_NIKS  many distinct NIKs submitted, none of whose households then
                   got a service from the organization
    MANY_MISSES    many submissions that matched no one
    MANY_MATCHES   many submissions that matched existing people

An alert is kept in the security database (`submission_alerts`), raised
at most once per organization and kind within a window, and the request that
raised it writes `alert:<KIND>` to the audit log. Dinsos and the auditor read
alerts with `submissionAlerts` in GraphQL or `hub alerts list`.

The thresholds are settings (`[submissions]` in hub.toml), defined here once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.shapes import Page, Row
from hub.errors import ConfigError
from hub.security.db import SecurityDB
from hub.security.grants import utc_stamp
from hub.security.ratelimit import RateLimit, RateLimiter
from hub.settings import Settings

UNSERVED_NIKS = "UNSERVED_NIKS"
MANY_MISSES = "MANY_MISSES"
MANY_MATCHES = "MANY_MATCHES"

TABLES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS submission_events (
        organization TEXT NOT NULL,
        at           TEXT NOT NULL,
        kind         TEXT NOT NULL,
        person_id    TEXT,
        household_id TEXT,
        nik_given    INTEGER NOT NULL DEFAULT 0,
        matched      INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX IF NOT EXISTS submission_events_by_org ON submission_events (organization, at)",
    """CREATE TABLE IF NOT EXISTS submission_alerts (
        {rowid}
        alert_id     TEXT PRIMARY KEY,
        organization TEXT NOT NULL,
        kind         TEXT NOT NULL,
        count        INTEGER NOT NULL,
        threshold    INTEGER NOT NULL,
        window_hours {real} NOT NULL,
        raised_at    TEXT NOT NULL,
        detail       TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS submission_alerts_by_org ON submission_alerts "
    "(organization, kind, raised_at)",
)


@dataclass(frozen=True)
class SubmissionLimits:
    """`[submissions]` in hub.toml (keys as the fields), with these defaults."""

    rate_per_minute: float = 30.0
    """Submissions an organization may make per minute, sustained."""
    burst: int = 60
    """Submissions it may make at once."""
    window_hours: float = 24.0
    """The sliding window the alert counts cover."""
    unserved_niks: int = 30
    """Distinct NIKs submitted in the window without a service to their household."""
    misses: int = 50
    """Submissions in the window that matched no one."""
    matches: int = 50
    """Submissions in the window that matched an existing person."""

    @classmethod
    def from_settings(cls, settings: Settings) -> SubmissionLimits:
        given = {
            k.removeprefix("submissions_"): v
            for k, v in settings.extra.items()
            if k.startswith("submissions_")
        }
        fields = cls.__dataclass_fields__
        unknown = sorted(set(given) - set(fields))
        if unknown:
            raise ConfigError(
                f"[submissions] {', '.join(unknown)}: unknown; the settings are "
                f"{', '.join(fields)}."
            )
        try:
            values: dict[str, Any] = {
                k: (int(v) if fields[k].type in ("int", int) else float(v))
                for k, v in given.items()
            }
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[submissions]: {exc}; the limits are numbers.") from exc
        limits = cls(**values)
        if (
            min(
                limits.rate_per_minute,
                limits.burst,
                limits.window_hours,
                limits.unserved_niks,
                limits.misses,
                limits.matches,
            )
            <= 0
        ):
            raise ConfigError("[submissions]: every limit and threshold must be above 0.")
        return limits

    def thresholds(self) -> dict[str, int]:
        return {
            UNSERVED_NIKS: self.unserved_niks,
            MANY_MISSES: self.misses,
            MANY_MATCHES: self.matches,
        }


#: How each pattern is counted over the window's events (parameters: org, since).
_COUNTS: dict[str, str] = {
    UNSERVED_NIKS: """
        SELECT count(DISTINCT s.person_id) FROM submission_events s
        WHERE s.organization = ? AND s.at >= ? AND s.kind = 'submitted' AND s.nik_given <> 0
          AND NOT EXISTS (SELECT 1 FROM submission_events v WHERE v.kind = 'served'
                          AND v.organization = s.organization
                          AND v.household_id = s.household_id)""",
    MANY_MISSES: """
        SELECT count(*) FROM submission_events WHERE organization = ? AND at >= ?
          AND kind = 'submitted' AND matched = 0""",
    MANY_MATCHES: """
        SELECT count(*) FROM submission_events WHERE organization = ? AND at >= ?
          AND kind = 'submitted' AND matched <> 0""",
}

_ALERT = (
    "alert_id",
    "organization",
    "kind",
    "count",
    "threshold",
    "window_hours",
    "raised_at",
    "detail",
)

_DETAIL = {
    UNSERVED_NIKS: "{count} distinct NIKs submitted in {hours:g} h with no service recorded "
    "for their households: check that this organization is not looking "
    "people up.",
    MANY_MISSES: "{count} submissions in {hours:g} h matched no one: check for guessed or "
    "made-up identities.",
    MANY_MATCHES: "{count} submissions in {hours:g} h matched people the hub already knows: "
    "check that they are this organization's beneficiaries.",
}


class SubmissionWatch:
    """The schema's `SubmissionGuard` over the security database."""

    def __init__(
        self, db: SecurityDB, limits: SubmissionLimits, clock: Callable[[], float] | None = None
    ) -> None:
        self._db = db
        self.limits = limits
        bucket = RateLimit(rate=limits.rate_per_minute / 60.0, burst=limits.burst)
        self._limiter = RateLimiter(bucket, clock=clock) if clock else RateLimiter(bucket)
        self._lock = asyncio.Lock()
        db.database.apply(TABLES)

    @classmethod
    def from_settings(cls, db: SecurityDB, settings: Settings) -> SubmissionWatch:
        return cls(db, SubmissionLimits.from_settings(settings))

    def admit(self, organization: str) -> float:
        return self._limiter.try_acquire(organization)

    async def submitted(
        self,
        organization: str,
        *,
        person_id: str,
        household_id: str,
        nik_given: bool,
        matched: bool,
        at: datetime,
    ) -> list[Row]:
        async with self._lock:  # one check per organization at a time: no double alerts
            return await asyncio.to_thread(
                self._submitted, organization, person_id, household_id, nik_given, matched, at
            )

    async def served(self, organization: str, household_id: str, at: datetime) -> None:
        await asyncio.to_thread(
            self._note, organization, "served", None, household_id, False, False, at
        )

    async def alerts(self, *, organization: str | None, offset: int, limit: int) -> Page:
        def read() -> Page:
            where = "CAST(? AS TEXT) IS NULL OR organization = ?"
            with self._db.read() as con:
                total = con.execute(
                    f"SELECT count(*) FROM submission_alerts WHERE {where}",
                    (organization, organization),
                ).fetchone()
                found = con.execute(
                    f"SELECT {', '.join(_ALERT)} FROM submission_alerts WHERE {where} "
                    "ORDER BY raised_at DESC, rowid DESC LIMIT ? OFFSET ?",
                    (organization, organization, limit, offset),
                ).fetchall()
            return {"rows": [_alert(r) for r in found], "total": int(total[0]) if total else 0}

        return await asyncio.to_thread(read)

    # --- in a worker thread -------------------------------------------------------
    def _note(
        self,
        organization: str,
        kind: str,
        person_id: str | None,
        household_id: str | None,
        nik_given: bool,
        matched: bool,
        at: datetime,
    ) -> None:
        with self._db.write() as con:
            con.execute(
                "INSERT INTO submission_events (organization, at, kind, person_id, "
                "household_id, nik_given, matched) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    organization,
                    utc_stamp(at),
                    kind,
                    person_id,
                    household_id,
                    int(nik_given),
                    int(matched),
                ),
            )

    def _submitted(
        self,
        organization: str,
        person_id: str,
        household_id: str,
        nik_given: bool,
        matched: bool,
        at: datetime,
    ) -> list[Row]:
        self._note(organization, "submitted", person_id, household_id, nik_given, matched, at)
        since = utc_stamp(at - timedelta(hours=self.limits.window_hours))
        raised: list[Row] = []
        # counted then raised once: one check per organization at a time, in every server
        with self._db.write(lock=f"submission-alerts:{organization}") as con:
            for kind, threshold in self.limits.thresholds().items():
                found = con.execute(_COUNTS[kind], (organization, since)).fetchone()
                count = int(found[0]) if found else 0
                if count < threshold:
                    continue
                already = con.execute(
                    "SELECT 1 FROM submission_alerts WHERE organization = ? AND kind = ? "
                    "AND raised_at >= ?",
                    (organization, kind, since),
                ).fetchone()
                if already:
                    continue
                row = (
                    f"alert-{uuid.uuid4()}",
                    organization,
                    kind,
                    count,
                    threshold,
                    self.limits.window_hours,
                    utc_stamp(at),
                    _DETAIL[kind].format(count=count, hours=self.limits.window_hours),
                )
                con.execute(
                    f"INSERT INTO submission_alerts ({', '.join(_ALERT)}) VALUES "
                    f"({', '.join('?' for _ in _ALERT)})",
                    row,
                )
                raised.append(_alert(row))
            # events older than any window still asked about are no longer needed
            con.execute(
                "DELETE FROM submission_events WHERE organization = ? AND at < ?",
                (organization, utc_stamp(at - timedelta(hours=2 * self.limits.window_hours))),
            )
        return raised


def _alert(values: Any) -> Row:
    row = dict(zip(_ALERT, values, strict=True))
    row["raised_at"] = datetime.fromisoformat(row["raised_at"])
    return row


__all__ = ["MANY_MATCHES", "MANY_MISSES", "UNSERVED_NIKS", "SubmissionLimits", "SubmissionWatch"]
