from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum

import strawberry

from domain.shapes import Row
from schema.permissions import Policy, mask_text


@strawberry.enum(description="Where a referral stands.")
class ReferralStatus(Enum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    IN_SERVICE = "IN_SERVICE"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"


#: status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "OPEN": frozenset({"ACCEPTED", "DECLINED", "CANCELLED"}),
    "ACCEPTED": frozenset({"IN_SERVICE", "COMPLETED", "CANCELLED"}),
    "IN_SERVICE": frozenset({"COMPLETED", "CANCELLED"}),
    "COMPLETED": frozenset(),
    "DECLINED": frozenset(),
    "CANCELLED": frozenset(),
}


@strawberry.type(description="A referral of a household from one organization to another.")
class Referral:
    id: strawberry.ID
    household_id: strawberry.ID
    from_organization: str | None
    to_organization: str | None
    program: str | None
    status: str
    note: str | None
    created_at: datetime | None
    updated_at: datetime | None
    history: list[str]

    @classmethod
    def from_row(cls, row: Row) -> Referral:
        return cls(
            id=strawberry.ID(row["referral_id"]),
            household_id=strawberry.ID(row["household_id"]),
            from_organization=row.get("from_org"),
            to_organization=row.get("to_org"),
            program=row.get("program"),
            status=row.get("status") or "OPEN",
            note=row.get("note"),
            created_at=_dt(row.get("created_at")),
            updated_at=_dt(row.get("updated_at")),
            history=list(row.get("history") or []),
        )

    def shown_to(self, policy: Policy) -> Referral:
        """As the role may read it: identifiers someone wrote into the note masked."""
        return dataclasses.replace(self, note=mask_text(self.note, policy))


def _dt(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None
