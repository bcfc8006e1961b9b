"""Cek status: a resident checks their request with its public number and the
last digits of their NIK (`domain.service_desk.NIK_SUFFIX_DIGITS`), on the
console's public page, without an account or an API key.

What it shows (`PublicStatus`) is the status, the day each step was reached,
and the sentences of `domain.service_desk` (and, once ended, the reason the
resident reads): no names, no problems, no programs.

It cannot be used to learn whether a number or a NIK exists: an unknown
number and a known one with the wrong digits get the same answer (None)
after the same work (the same one graph query, a digest computed and
compared in constant time, one audit entry of the same shape). The audit
entry keeps the number and whether it was shown, never the digits given.
Rate limiting is the page's (console): key it on the client and on
`normalise_number(number)`. Behind it, `FailedChecks` caps the wrong checks a
number takes in an office day (`status_check_failures_per_day`): past them the
number answers None to every check, right digits too, until the next day, and
an alert is logged. Rotating addresses therefore try at most that many of the
10,000 suffixes a day. The ledger is the serving process's (a restart clears
it); unknown numbers count the same as known ones, so the work stays the same.

The reason shown once a request ended is Dinsos' free text: any NIK, KK or
phone number typed into it is masked (`schema.permissions.mask_text`).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from domain import service_desk as desk
from schema.context import Services
from schema.permissions import POLICIES, mask_text
from schema.services import AuditEntry

log = logging.getLogger(__name__)

#: who the audit log names for a resident's check
PUBLIC: Final = "public"
#: compared against when the number is unknown, so the work is the same
_NO_SALT: Final = "0" * 32
_NO_DIGEST: Final = desk.nik_digest(_NO_SALT, "-" * desk.NIK_SUFFIX_DIGITS)
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


@dataclass
class FailedChecks:
    """Wrong checks per number in the office's day (`domain.service_desk.office_day`)."""

    per_day: int = desk.STATUS_CHECK_FAILURES_PER_DAY
    day: date | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def _today(self) -> dict[str, int]:
        today = desk.office_today()
        if self.day != today:  # a new day: yesterday's count is forgotten
            self.day, self.counts = today, {}
        return self.counts

    def locked(self, number: str) -> bool:
        return self._today().get(number, 0) >= self.per_day

    def failed(self, number: str) -> None:
        counts = self._today()
        counts[number] = counts.get(number, 0) + 1
        if counts[number] == self.per_day:
            log.warning(
                "cek status %s: %d wrong checks today; it answers nothing until tomorrow",
                number,
                self.per_day,
            )


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
    locked = failures is not None and failures.locked(key)
    row = await services.repository.service_request_for_status(key)
    salt = str((row or {}).get("nik_salt") or _NO_SALT)
    expected = str((row or {}).get("nik_check") or _NO_DIGEST)
    given = desk.nik_digest(salt, suffix_of(nik_suffix))
    same = hmac.compare_digest(given.encode(), expected.encode())
    matched = same and row is not None and bool(row.get("nik_check")) and not locked
    if failures is not None and not matched:
        failures.failed(key)
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


__all__ = ["PUBLIC", "FailedChecks", "PublicStatus", "check_status", "suffix_of"]
