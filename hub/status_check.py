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
`normalise_number(number)`, so one number cannot be tried 10,000 times.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date
from typing import Final

from domain import service_desk as desk
from schema.context import Services
from schema.services import AuditEntry

#: who the audit log names for a resident's check
PUBLIC: Final = "public"
#: compared against when the number is unknown, so the work is the same
_NO_SALT: Final = "0" * 32
_NO_DIGEST: Final = desk.nik_digest(_NO_SALT, "-" * desk.NIK_SUFFIX_DIGITS)


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


def suffix_of(text: str) -> str:
    """The digits given, when there are exactly `NIK_SUFFIX_DIGITS` of them; else
    a value no digest matches (checked all the same)."""
    digits = "".join(ch for ch in text if ch.isdigit())
    return digits if len(digits) == desk.NIK_SUFFIX_DIGITS else "-" * desk.NIK_SUFFIX_DIGITS


async def check_status(services: Services, number: str, nik_suffix: str) -> PublicStatus | None:
    """The request's public status when the number is known and the digits are
    its applicant's NIK's last ones; None otherwise (whichever it was)."""
    key = desk.normalise_number(number)
    row = await services.repository.service_request_for_status(key)
    salt = str((row or {}).get("nik_salt") or _NO_SALT)
    expected = str((row or {}).get("nik_check") or _NO_DIGEST)
    given = desk.nik_digest(salt, suffix_of(nik_suffix))
    same = hmac.compare_digest(given.encode(), expected.encode())
    matched = same and row is not None and bool(row.get("nik_check"))
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
        reason=row.get("outcome_reason") if status == desk.ENDED else None,
    )


__all__ = ["PUBLIC", "PublicStatus", "check_status", "suffix_of"]
