"""An audit-log event, as the auditor reads it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.shapes import Row
from schema.permissions import Policy, mask_text


@strawberry.type(
    description="One read or write of personal data: who, as what, when, "
    "which people and households, and why. Hash-chained."
)
class AuditEvent:
    seq: int
    at: datetime
    subject: str = strawberry.field(
        description="`key:<id>` for API keys, the staff token's subject for JWTs."
    )
    organization: str
    role: str
    operation: str = strawberry.field(description="`read:<field path>` or `write:<mutation>`.")
    person_ids: list[strawberry.ID]
    household_ids: list[strawberry.ID]
    purpose: str | None
    hash: str

    @classmethod
    def from_row(cls, row: Row, policy: Policy) -> AuditEvent:
        return cls(
            seq=int(row["seq"]),
            at=row["ts"],
            subject=row["subject"],
            organization=row["organization"],
            role=row["role"],
            operation=row["operation"],
            person_ids=[strawberry.ID(p) for p in row["person_ids"]],
            household_ids=[strawberry.ID(h) for h in row["household_ids"]],
            purpose=mask_text(row.get("purpose"), policy),
            hash=row["hash"],
        )
