# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""A complaint (pengaduan) and where it stands; its kinds, SLA and escalation
are `domain.service_desk`'s."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from domain import service_desk as desk
from domain.shapes import Row
from schema.permissions import Policy, mask_contact, mask_text, require_eligibility

if TYPE_CHECKING:
    from schema.types.reported_finding import ReportedFinding


@strawberry.enum(
    description="WRONG_DATA: data about the family is wrong; AID_NOT_RECEIVED; "
    "AID_TO_INELIGIBLE: aid goes to someone who should not get it; SERVICE_CONDUCT: "
    "how a service or an officer treated someone (may be anonymous)."
)
class GrievanceKind(Enum):
    WRONG_DATA = desk.WRONG_DATA
    AID_NOT_RECEIVED = desk.AID_NOT_RECEIVED
    AID_TO_INELIGIBLE = desk.AID_TO_INELIGIBLE
    SERVICE_CONDUCT = desk.SERVICE_CONDUCT


@strawberry.enum(
    description="FILED -> ACTED (it became a change request, a targeting finding "
    "or a case) -> ANSWERED (the answer is what the resident reads)."
)
class GrievanceStatus(Enum):
    FILED = desk.FILED
    ACTED = desk.ACTED
    ANSWERED = desk.ANSWERED


@strawberry.enum(
    description="CHANGE_REQUEST: files a change request (perbaikan or penonaktifan) "
    "and links it; TARGETING_FINDING: runs the household's targeting check (duplicated "
    "aid, inclusion and exclusion errors) and links the ReportedFinding it makes; CASE: "
    "opens a service request assigned by area."
)
class GrievanceAction(Enum):
    CHANGE_REQUEST = "CHANGE_REQUEST"
    TARGETING_FINDING = "TARGETING_FINDING"
    CASE = "CASE"


@strawberry.input
class GrievanceInput:
    kind: GrievanceKind
    text: str
    household_id: strawberry.ID | None = None
    anonymous: bool = strawberry.field(
        default=False,
        description="Filed without a name or a household: only SERVICE_CONDUCT.",
    )
    contact_phone: str | None = None


@strawberry.type(description="A complaint (pengaduan) and where it stands.")
class Grievance:
    id: strawberry.ID
    number: str
    kind: GrievanceKind
    household_id: strawberry.ID | None
    anonymous: bool
    text: str
    status: GrievanceStatus
    history: list[str]
    organization: str | None
    filed_by: str | None
    filed_at: datetime | None
    action: GrievanceAction | None
    linked_id: strawberry.ID | None = strawberry.field(
        description="The change request, service request or reported finding it became."
    )
    acted_by: str | None
    acted_at: datetime | None
    answer: str | None = strawberry.field(description="What the resident reads.")
    answered_by: str | None
    answered_at: datetime | None
    contact_phone: str | None

    @strawberry.field(description="The day by which it is answered (its kind's SLA).")
    def due_on(self) -> date | None:
        return desk.grievance_due(self._kind, self.filed_at)

    @strawberry.field(
        description="0 within its SLA or answered; 1 past it (kepala bidang); 2 past it "
        "by domain.service_desk.ESCALATION_DAYS more (kepala dinas)."
    )
    def escalation(self) -> int:
        return desk.escalation_level(
            self._kind, str(self.status.value), self.filed_at, desk.office_today()
        )

    @strawberry.field(description="Who it is escalated to, when it is.")
    def escalated_to(self) -> str | None:
        return desk.ESCALATED_TO[self.escalation()] or None

    @strawberry.field(
        description="The targeting finding it reported (action TARGETING_FINDING), with "
        "what the household's targeting check found. Social workers and Dinsos."
    )
    async def reported_finding(
        self, info: strawberry.Info[Any, None]
    ) -> Annotated[ReportedFinding, strawberry.lazy("schema.types.reported_finding")] | None:
        from schema.types.reported_finding import ReportedFinding

        if self.action is not GrievanceAction.TARGETING_FINDING or self.linked_id is None:
            return None
        require_eligibility(info.context.principal)
        found = await info.context.repository.reported_findings_by_id(
            [str(self.linked_id)], info.context.scope
        )
        return None if found[0] is None else ReportedFinding.from_row(found[0])

    @property
    def _kind(self) -> str:
        return str(self.kind.value)

    @classmethod
    def from_row(cls, row: Row) -> Grievance:
        """An anonymous complaint names neither who filed it nor its contact, to anyone."""
        action = row.get("action")
        anonymous = bool(row.get("anonymous"))
        return cls(
            id=strawberry.ID(row["grievance_id"]),
            number=row.get("number") or "",
            kind=GrievanceKind(row["kind"]),
            household_id=_id(row.get("household_id")),
            anonymous=anonymous,
            text=row.get("text") or "",
            status=GrievanceStatus(row.get("status") or desk.FILED),
            history=list(row.get("history") or []),
            organization=row.get("organization"),
            filed_by=None if anonymous else row.get("filed_by"),
            filed_at=row.get("filed_at"),
            action=GrievanceAction(action) if action else None,
            linked_id=_id(row.get("linked_id")),
            acted_by=row.get("acted_by"),
            acted_at=row.get("acted_at"),
            answer=row.get("answer"),
            answered_by=row.get("answered_by"),
            answered_at=row.get("answered_at"),
            contact_phone=None if anonymous else row.get("phone"),
        )

    def shown_to(self, policy: Policy) -> Grievance:
        return dataclasses.replace(
            self,
            text=mask_text(self.text, policy) or "",
            answer=mask_text(self.answer, policy),
            contact_phone=mask_contact(self.contact_phone, policy),
        )


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


__all__ = ["Grievance", "GrievanceAction", "GrievanceInput", "GrievanceKind", "GrievanceStatus"]
