"""Change requests: usulan, perbaikan and penonaktifan, and where each stands.

A request is FILED by a writer, VERIFIED by a social worker, APPROVED by
Dinsos and APPLIED by Dinsos, or REJECTED with a reason at any step (who may
take which step: `schema.permissions.CHANGE_REQUEST_STEPS`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, Final

import strawberry

from domain.shapes import Row
from domain.thresholds import is_decile
from schema.errors import InputError
from schema.permissions import Policy, mask_text


@strawberry.enum(
    description="usulan: propose a new beneficiary; perbaikan: correct data; "
    "penonaktifan: deactivate."
)
class ChangeKind(Enum):
    USULAN = "usulan"
    PERBAIKAN = "perbaikan"
    PENONAKTIFAN = "penonaktifan"


@strawberry.enum(
    description="Where a change request stands: FILED -> VERIFIED (a social "
    "worker) -> APPROVED (Dinsos) -> APPLIED (Dinsos), or REJECTED "
    "with a reason at any step."
)
class ChangeRequestStatus(Enum):
    FILED = "FILED"
    VERIFIED = "VERIFIED"
    APPROVED = "APPROVED"
    APPLIED = "APPLIED"
    REJECTED = "REJECTED"


@strawberry.input
class ChangeRequestInput:
    kind: ChangeKind
    household_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = None
    reason: str
    changes: strawberry.scalars.JSON | None = strawberry.field(
        default=None,
        description="A perbaikan's corrected values: on the person birthDate "
        "(YYYY-MM-DD), birthPlace, sex, relationship; on the "
        "household address, rt, rw, welfareDecile. Names, NIK and "
        "KK numbers are corrected at their source (Disdukcapil), "
        "not here.",
    )


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str | int) or not str(value).strip():
        raise InputError(field, "must be a non-empty text.")
    return str(value).strip()


def _date(field: str, value: Any) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InputError(field, "must be a date, YYYY-MM-DD.") from None


def _decile(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not is_decile(value):
        raise InputError(field, "must be a decile, 1 to 10.")
    return value


#: what a perbaikan may correct: input key -> (level, graph property, check)
CORRECTABLE: Final[dict[str, tuple[str, str, Callable[[str, Any], Any]]]] = {
    "birthDate": ("person", "birth_date", _date),
    "birthPlace": ("person", "birth_place", _text),
    "sex": ("person", "sex", _text),
    "relationship": ("person", "relationship", _text),
    "address": ("household", "address", _text),
    "rt": ("household", "rt", lambda f, v: _text(f, v).zfill(3)),
    "rw": ("household", "rw", lambda f, v: _text(f, v).zfill(3)),
    "welfareDecile": ("household", "welfare_decile", _decile),
}


def corrections(
    kind: ChangeKind, changes: Any, household_id: str | None, person_id: str | None
) -> dict[str, dict[str, Any]] | None:
    """A perbaikan's corrections as `{"person": {...}, "household": {...}}`
    (graph property names), or None when it names none (its reason says what
    is wrong); other kinds carry none."""
    if kind is not ChangeKind.PERBAIKAN:
        if changes:
            raise InputError(
                "request.changes", f"only a perbaikan carries changes, not a {kind.value} request."
            )
        return None
    if changes is None:  # described in the reason only: applied, it is noted, nothing set
        return None
    if not isinstance(changes, dict) or not changes:
        raise InputError(
            "request.changes",
            'name what to correct, e.g. {"birthDate": "1957-12-22"}, or leave it out.',
        )
    out: dict[str, dict[str, Any]] = {"person": {}, "household": {}}
    for key, value in changes.items():
        rule = CORRECTABLE.get(key)
        if rule is None:
            raise InputError(
                "request.changes",
                f"{key!r} cannot be corrected here; a perbaikan corrects {', '.join(CORRECTABLE)}.",
            )
        level, name, check = rule
        if level == "person" and person_id is None:
            raise InputError("request.personId", f"name the person whose {key} to correct.")
        if level == "household" and household_id is None:
            raise InputError("request.householdId", f"name the household whose {key} to correct.")
        out[level][name] = check(f"request.changes.{key}", value)
    return out


@strawberry.type(description="A change request and where it stands.")
class ChangeRequest:
    id: strawberry.ID
    kind: str
    household_id: strawberry.ID | None
    person_id: strawberry.ID | None
    reason: str
    status: str
    organization: str
    filed_at: datetime
    filed_by: str | None = None
    changes: strawberry.scalars.JSON | None = None
    history: list[str] = strawberry.field(default_factory=list)
    verified_by: str | None = None
    verified_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    applied_by: str | None = None
    applied_at: datetime | None = None
    effect: str | None = strawberry.field(
        default=None, description="What applying it did to the data."
    )
    rejected_by: str | None = None
    rejected_at: datetime | None = None
    rejection_reason: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> ChangeRequest:
        changes = row.get("changes")
        return cls(
            id=strawberry.ID(row["request_id"]),
            kind=row["kind"],
            household_id=_id(row.get("household_id")),
            person_id=_id(row.get("person_id")),
            reason=row.get("reason") or "",
            status=row.get("status") or "FILED",
            organization=row.get("organization") or "",
            filed_at=row["filed_at"],
            filed_by=row.get("filed_by"),
            changes=json.loads(changes) if isinstance(changes, str) else changes,
            history=list(row.get("history") or []),
            verified_by=row.get("verified_by"),
            verified_at=row.get("verified_at"),
            approved_by=row.get("approved_by"),
            approved_at=row.get("approved_at"),
            applied_by=row.get("applied_by"),
            applied_at=row.get("applied_at"),
            effect=row.get("effect"),
            rejected_by=row.get("rejected_by"),
            rejected_at=row.get("rejected_at"),
            rejection_reason=row.get("rejection_reason"),
        )

    def shown_to(self, policy: Policy) -> ChangeRequest:
        """Identifiers someone typed into the reasons masked for roles that see them masked."""
        return dataclasses.replace(
            self,
            reason=mask_text(self.reason, policy) or "",
            rejection_reason=mask_text(self.rejection_reason, policy),
        )


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


__all__ = [
    "CORRECTABLE",
    "ChangeKind",
    "ChangeRequest",
    "ChangeRequestInput",
    "ChangeRequestStatus",
    "corrections",
]
