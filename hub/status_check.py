"""Cek status: a resident checks their request with its public number and the
last digits of their NIK (`domain.service_desk.NIK_SUFFIX_DIGITS`), on the
console's public page, without an account or an API key.

What it shows (`PublicStatus`) is the status, the day each step was reached,
and the sentences of `domain.service_desk` (and, once ended, the reason the
resident reads): no names, no problems, no programs.

It cannot be used to learn whether a number or a NIK exists: an unknown
number and a known one with the wrong digits get the same answer (None)
after the same work (the same one graph query, one HMAC digest computed and
compared in constant time, the same read and write of the failure count, one
audit entry of the same shape). The audit entry keeps the number and whether
it was shown, never the digits given. The digest's key is the server's
(`nik_key`, `$HUB_HOME/keys/desk-nik-key`): a copy of the graph alone does not
give the suffixes away (`domain.service_desk.nik_digest`).

Rate limiting is the page's (console): key it on the client and on
`normalise_number(number)`. Behind it, `FailedChecks` caps the wrong checks a
number takes in an office day (`status_check_failures_per_day`): past them the
number answers None to every check, right digits too, until the next day (or
until Dinsos unlocks it, `unlockStatusCheck`), and an alert is logged.
Rotating addresses therefore try at most that many of the 10,000 suffixes a
day. The count is kept in the hub's security database, shared by every server
process and kept across restarts; unknown numbers count the same as known
ones, so the work stays the same.

The reason shown once a request ended is Dinsos' free text: any NIK, KK or
phone number typed into it is masked (`schema.permissions.mask_text`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from domain import service_desk as desk
from hub.security.chain import load_or_create_key, load_shared_key
from hub.security.db import SecurityDB
from hub.settings import Settings
from schema.context import Services
from schema.permissions import POLICIES, mask_text
from schema.services import AuditEntry

log = logging.getLogger(__name__)

#: the file of the NIK digests' key, under `$HUB_HOME/keys/`
NIK_KEY_FILE: Final = "desk-nik-key"
FAILURES_TABLE: Final = """CREATE TABLE IF NOT EXISTS status_check_failures (
    number TEXT NOT NULL,
    day    TEXT NOT NULL,
    count  {bigint} NOT NULL,
    PRIMARY KEY (number, day))"""
#: who the audit log names for a resident's check
PUBLIC: Final = "public"
#: compared against when the number is unknown, so the work is the same (one
#: digest of the current kind, whose value no suffix gives: "-" is no digit)
_NO_SALT: Final = "0" * 32
_NO_DIGEST: Final = f"{desk.NIK_DIGEST_VERSION}:{'0' * 64}"
#: how the public page shows free text: identifiers masked, as for an agency
_MASKED: Final = POLICIES["agency"]


@dataclass(frozen=True)
class PublicStatus:
    number: str
    status: str
    status_text: str
    next_step: str
    steps: tuple[tuple[str, date], ...]
    """Each step reached and the day it was reached, in order."""
    reason: str | None = None
    """Once ended: why, as Dinsos wrote it for the resident."""


class FailedChecks:
    """Wrong checks per number in the office's day (`domain.service_desk.office_day`),
    in the hub's shared security database (table `status_check_failures`), so every
    server process of a home (and every server sharing `HUB_DATABASE_URL`) counts
    against the same lock. Dinsos lifts a lock with `unlockStatusCheck` (audited)."""

    def __init__(self, db: SecurityDB, per_day: int = desk.STATUS_CHECK_FAILURES_PER_DAY) -> None:
        self.db, self.per_day = db, per_day
        db.database.apply([FAILURES_TABLE])

    async def locked(self, number: str) -> bool:
        return await asyncio.to_thread(self._count, number) >= self.per_day

    async def failed(self, number: str) -> None:
        """Count one wrong check (an unknown number's too)."""
        count = await asyncio.to_thread(self._failed, number)
        if count == self.per_day:
            log.warning(
                "cek status %s: %d wrong checks today; it answers nothing until tomorrow",
                number,
                self.per_day,
            )

    async def unlock(self, number: str) -> bool:
        """Forget a number's wrong checks; whether it had any."""
        return await asyncio.to_thread(self._unlock, desk.normalise_number(number))

    def _count(self, number: str) -> int:
        with self.db.read() as con:
            row = con.execute(
                "SELECT count FROM status_check_failures WHERE number = ? AND day = ?",
                (number, _today()),
            ).fetchone()
        return int(row[0]) if row else 0

    def _failed(self, number: str) -> int:
        today = _today()
        with self.db.write() as con:
            con.execute("DELETE FROM status_check_failures WHERE day < ?", (today,))
            row = con.execute(
                "INSERT INTO status_check_failures (number, day, count) VALUES (?, ?, 1)"
                " ON CONFLICT (number, day) DO UPDATE SET count = status_check_failures.count + 1"
                " RETURNING count",
                (number, today),
            ).fetchone()
        return int(row[0])

    def _unlock(self, number: str) -> bool:
        with self.db.write() as con:
            cur = con.execute("DELETE FROM status_check_failures WHERE number = ?", (number,))
        return cur.rowcount > 0


def _today() -> str:
    """The office's day: yesterday's counts are forgotten."""
    return desk.office_today().isoformat()


def nik_key_path(settings: Settings) -> Path:
    return settings.desk_nik_key_file or settings.home / "keys" / NIK_KEY_FILE


def nik_key(settings: Settings) -> bytes:
    """The key of the NIK-suffix digests: 32 random bytes made once (hex, mode
    0600) in `$HUB_HOME/keys/desk-nik-key` (or `desk_nik_key_file`). Back it up
    with the audit key: a lost key leaves every request's Cek status answering
    nothing until the front desk registers it again. With `HUB_DATABASE_URL`
    every server must hold the same one: it is read from `desk_nik_key_file`,
    never made (`SecurityDB.claim_key` checks it against the database's)."""
    if settings.database_url:
        return load_shared_key(settings.desk_nik_key_file, "HUB_DESK_NIK_KEY_FILE")
    key, _ = load_or_create_key(nik_key_path(settings))
    return key


def suffix_of(text: str) -> str:
    """The digits given, when there are exactly `NIK_SUFFIX_DIGITS` of them; else
    a value no digest matches (checked all the same)."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) == desk.NIK_SUFFIX_DIGITS else "-" * desk.NIK_SUFFIX_DIGITS


async def check_status(
    services: Services, number: str, nik_suffix: str, failures: FailedChecks | None = None
) -> PublicStatus | None:
    """The request's public status when the number is known, not locked, and the
    digits are its applicant's NIK's last ones; None otherwise (whichever it was)."""
    key = desk.normalise_number(number)
    locked = failures is not None and await failures.locked(key)
    row = await services.repository.service_request_for_status(key)
    salt = str((row or {}).get("nik_salt") or _NO_SALT)
    expected = str((row or {}).get("nik_check") or _NO_DIGEST)
    same = desk.nik_matches(services.nik_key, salt, suffix_of(nik_suffix), expected)
    matched = same and row is not None and bool(row.get("nik_check")) and not locked
    if failures is not None and not matched:
        await failures.failed(key)
    if services.audit is not None:
        await services.audit.record(
            [
                AuditEntry(
                    subject=PUBLIC,
                    organization=PUBLIC,
                    role=PUBLIC,
                    operation="read:cekStatus",
                    household_ids=(str(row["household_id"]),) if matched and row else (),
                    purpose=f"cek status {key}: {'shown' if matched else 'refused'}",
                )
            ]
        )
    if not matched or row is None:
        return None
    status = str(row.get("status") or desk.REGISTERED)
    outcome = row.get("outcome")
    return PublicStatus(
        number=key,
        status=status,
        status_text=desk.status_sentence(status, outcome),
        next_step=desk.next_step_sentence(status),
        steps=tuple(
            (step, desk.office_day(row[desk.STEP_AT[step]]))
            for step in desk.STEPS
            if row.get(desk.STEP_AT[step]) is not None
        ),
        reason=mask_text(row.get("outcome_reason"), _MASKED) if status == desk.ENDED else None,
    )


__all__ = [
    "FAILURES_TABLE",
    "NIK_KEY_FILE",
    "PUBLIC",
    "FailedChecks",
    "PublicStatus",
    "check_status",
    "nik_key",
    "nik_key_path",
    "suffix_of",
]
