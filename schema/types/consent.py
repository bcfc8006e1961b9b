"""Consent receipts, link confirmations and submission alerts, as read back."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import strawberry

from domain.shapes import Row
from schema.permissions import ConsentCategory, Policy, mask_text

strawberry.enum(
    ConsentCategory,
    description=(
        "What a consent covers: IDENTITY (the person's name and identifiers), HOUSEHOLD (other "
        "members, address), PROBLEMS (PPKS), PROGRAMS (enrolments), SERVICES (service history). "
        "The household opens only with HOUSEHOLD, PROBLEMS, PROGRAMS and SERVICES together."
    ),
)


@strawberry.type(
    description="A consent receipt (ISO/IEC TS 27560 in spirit): the person "
    "agreed that an organization may see these categories of "
    "their data for this purpose, until `validUntil`."
)
class ConsentReceipt:
    id: strawberry.ID
    person_id: strawberry.ID = strawberry.field(description="Who gave consent.")
    organization: str = strawberry.field(description="To whom.")
    categories: list[str]
    purpose: str
    legal_basis: str = strawberry.field(description="e.g. `consent (UU PDP art. 20(2)a)`.")
    method: str = strawberry.field(
        description="How it was collected: `signed form`, `verbal, witnessed`, ..."
    )
    recorded_by: str
    recorded_at: datetime
    valid_from: datetime
    valid_until: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    note: str | None
    in_force: bool = strawberry.field(
        description="Not withdrawn and within its validity, as of this read."
    )

    @classmethod
    def from_row(cls, row: Row, now: datetime) -> ConsentReceipt:
        in_force = row["withdrawn_at"] is None and row["valid_from"] <= now < row["valid_until"]
        return cls(
            id=strawberry.ID(row["receipt_id"]),
            person_id=strawberry.ID(row["person_id"]),
            organization=row["organization"],
            categories=list(row["categories"]),
            purpose=row["purpose"],
            legal_basis=row["legal_basis"],
            method=row["method"],
            recorded_by=row["recorded_by"],
            recorded_at=row["recorded_at"],
            valid_from=row["valid_from"],
            valid_until=row["valid_until"],
            withdrawn_at=row["withdrawn_at"],
            withdrawn_by=row["withdrawn_by"],
            withdrawal_reason=row["withdrawal_reason"],
            note=row["note"],
            in_force=in_force,
        )

    def shown_to(self, policy: Policy) -> ConsentReceipt:
        """As the role may read it: identifiers written into the free text masked."""
        return dataclasses.replace(
            self,
            purpose=mask_text(self.purpose, policy) or "",
            note=mask_text(self.note, policy),
            withdrawal_reason=mask_text(self.withdrawal_reason, policy),
        )


@strawberry.type(
    description="Dinsos confirmed that an organization serves this person: "
    "their household opens to it until the link is revoked."
)
class LinkConfirmation:
    id: strawberry.ID
    person_id: strawberry.ID
    organization: str
    confirmed_by: str
    confirmed_at: datetime
    basis: str = strawberry.field(description="What was checked, e.g. `home visit`.")
    note: str | None
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def from_row(cls, row: Row) -> LinkConfirmation:
        return cls(
            id=strawberry.ID(row["link_id"]),
            person_id=strawberry.ID(row["person_id"]),
            organization=row["organization"],
            confirmed_by=row["confirmed_by"],
            confirmed_at=row["confirmed_at"],
            basis=row["basis"],
            note=row["note"],
            revoked_at=row["revoked_at"],
            revoked_by=row["revoked_by"],
        )

    def shown_to(self, policy: Policy) -> LinkConfirmation:
        """As the role may read it: identifiers written into the free text masked."""
        return dataclasses.replace(
            self, basis=mask_text(self.basis, policy) or "", note=mask_text(self.note, policy)
        )


@strawberry.type(description="An unusual pattern of submissions by one organization.")
class SubmissionAlert:
    id: strawberry.ID
    organization: str
    kind: str = strawberry.field(description="UNSERVED_NIKS, MANY_MISSES or MANY_MATCHES.")
    count: int
    threshold: int
    window_hours: float
    raised_at: datetime
    detail: str

    @classmethod
    def from_row(cls, row: Row) -> SubmissionAlert:
        return cls(
            id=strawberry.ID(row["alert_id"]),
            organization=row["organization"],
            kind=row["kind"],
            count=int(row["count"]),
            threshold=int(row["threshold"]),
            window_hours=float(row["window_hours"]),
            raised_at=row["raised_at"],
            detail=row["detail"],
        )


__all__ = ["ConsentCategory", "ConsentReceipt", "LinkConfirmation", "SubmissionAlert"]
