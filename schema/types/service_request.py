# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""A resident's request at the one-door front desk (permohonan) and where it
stands; the steps, their SLA and the sentences are `domain.service_desk`'s."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from enum import Enum

import strawberry

from domain import service_desk as desk
from domain.shapes import Row
from schema.permissions import Policy, mask, mask_contact, mask_text
from schema.submission import RecordInput


@strawberry.enum(
    description="Where a request stands: (PENDING_VERIFICATION: from the web form, "
    "until the front desk verifies the applicant) REGISTERED -> ASSIGNED (a social worker by "
    "area) -> ASSESSED -> IN_SERVICE (referred or enrolled) -> ENDED (with an outcome)."
)
class ServiceRequestStep(Enum):
    PENDING_VERIFICATION = desk.PENDING_VERIFICATION
    REGISTERED = desk.REGISTERED
    ASSIGNED = desk.ASSIGNED
    ASSESSED = desk.ASSESSED
    IN_SERVICE = desk.IN_SERVICE
    ENDED = desk.ENDED


@strawberry.enum(
    description="How a request ended; the reason says why, in words the resident reads."
)
class ServiceRequestOutcome(Enum):
    FULFILLED = desk.FULFILLED
    PARTLY_FULFILLED = desk.PARTLY_FULFILLED
    REFUSED = desk.REFUSED


@strawberry.enum(description="Where the request came in: the front desk, or the public web form.")
class ServiceChannel(Enum):
    FRONT_DESK = "FRONT_DESK"
    WEB_FORM = "WEB_FORM"


@strawberry.input(
    description="A resident's request: for a known household (householdId, and the "
    "applicant's personId when known), or for an applicant not found by search "
    "(applicant: linked in real time, to an existing household when they match)."
)
class ServiceRequestInput:
    needs: list[str] = strawberry.field(
        description="What is needed: PPKS codes (PPKS01..PPKS26) or need codes of the "
        "program catalogue (income, food, health_insurance, ...)."
    )
    household_id: strawberry.ID | None = None
    person_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The applicant in the household (the head when left out): the "
        "last digits of their NIK check the request's status.",
    )
    applicant: RecordInput | None = None
    contact_phone: str | None = strawberry.field(
        default=None,
        description="A phone or WhatsApp number (08..., +628...) for a message at each "
        "status change; none is sent without it.",
    )
    channel: ServiceChannel = ServiceChannel.FRONT_DESK
    note: str | None = None


@strawberry.type(
    description="What a web-form applicant typed, unverified: kept on the request alone "
    "until the front desk verifies who they are (verifyServiceRequest), then dropped."
)
class ServiceRequestApplicant:
    full_name: str | None
    nik: str | None
    no_kk: str | None
    birth_date: str | None
    birth_place: str | None
    sex: str | None
    address: str | None
    rt: str | None
    rw: str | None
    kelurahan: str | None
    kecamatan: str | None

    @classmethod
    def from_text(cls, text: object, policy: Policy) -> ServiceRequestApplicant | None:
        if not isinstance(text, str) or not text:
            return None
        typed = json.loads(text)
        shown = {f.name: typed.get(f.name) for f in dataclasses.fields(cls)}
        shown["nik"], shown["no_kk"] = mask(shown["nik"], policy), mask(shown["no_kk"], policy)
        return cls(**{k: None if v is None else str(v) for k, v in shown.items()})


@strawberry.type(description="One step a request reached, and when.")
class ServiceRequestStepDate:
    step: ServiceRequestStep
    at: datetime


@strawberry.type(description="A resident's request at the front desk and where it stands.")
class ServiceRequest:
    id: strawberry.ID
    number: str = strawberry.field(
        description="The public number the resident checks the status with (random)."
    )
    household_id: strawberry.ID | None
    person_id: strawberry.ID | None
    kelurahan_code: str | None
    kecamatan_code: str | None
    needs: list[str]
    channel: str | None
    note: str | None
    status: ServiceRequestStep
    history: list[str]
    organization: str | None
    registered_by: str | None
    received_at: datetime | None = strawberry.field(
        description="When a web-form request came in (before it was verified)."
    )
    registered_at: datetime | None
    assigned_to: str | None
    assigned_at: datetime | None
    assessed_at: datetime | None
    in_service_at: datetime | None
    ended_at: datetime | None
    step_note: str | None = strawberry.field(description="The note of the last move.")
    outcome: ServiceRequestOutcome | None
    outcome_reason: str | None = strawberry.field(
        description="Why it ended so, in words the resident reads."
    )
    grievance_id: strawberry.ID | None = strawberry.field(
        description="The complaint it was opened for, if any."
    )
    contact_phone: str | None
    applicant_text: strawberry.Private[str | None] = None
    policy: strawberry.Private[Policy | None] = None

    @strawberry.field(description="What a web-form applicant typed, until verified.")
    def applicant(self) -> ServiceRequestApplicant | None:
        if self.policy is None:
            return None
        return ServiceRequestApplicant.from_text(self.applicant_text, self.policy)

    @strawberry.field(
        description="The day by which it should move on from its step (the step's SLA "
        "in days, domain.service_desk.STEP_SLA_DAYS); null when ended."
    )
    def due_on(self) -> date | None:
        return desk.request_due(self._step, self._since)

    @strawberry.field(description="Past its step's SLA and not ended.")
    def overdue(self) -> bool:
        return desk.request_overdue(self._step, self._since, desk.office_today())

    @strawberry.field(
        description="The steps the caller may move it to by hand now (advanceServiceRequest): "
        "later steps but ENDED, once verified; none for a role without casework."
    )
    def allowed_steps(self) -> list[ServiceRequestStep]:
        if not self._moves:
            return []
        return [ServiceRequestStep(s) for s in desk.STEPS if desk.may_advance(self._step, s)]

    @strawberry.field(description="Whether the caller may assign it now (assignServiceRequest).")
    def may_assign(self) -> bool:
        return self._moves and desk.may_assign(self._step)

    @strawberry.field(description="Whether the caller may verify it now (verifyServiceRequest).")
    def may_verify(self) -> bool:
        return self._moves and desk.verifies(self._step)

    @strawberry.field(description="Whether the caller may end it now (endServiceRequest).")
    def may_end(self) -> bool:
        return self._moves and desk.may_end(self._step)

    @strawberry.field(
        description="Whether ending it needs a reason (words the resident reads); false "
        "when the caller may not end it."
    )
    def reason_required(self) -> bool:
        return self.may_end() and desk.END_NEEDS_REASON

    @property
    def _moves(self) -> bool:
        """Whether the caller's role moves requests (casework: Dinsos)."""
        return self.policy is not None and self.policy.casework

    @strawberry.field(description="Where it stands, as the resident reads it.")
    def status_text(self) -> str:
        return desk.status_sentence(self._step, self._outcome)

    @strawberry.field(description="What comes next, as the resident reads it.")
    def next_step(self) -> str:
        return desk.next_step_sentence(self._step)

    @strawberry.field(description="Each step reached, in order, with its time.")
    def steps(self) -> list[ServiceRequestStepDate]:
        return [
            ServiceRequestStepDate(step=ServiceRequestStep(s), at=at)
            for s, at in step_dates(
                {desk.STEP_AT[s]: getattr(self, desk.STEP_AT[s]) for s in desk.STEPS}
            ).items()
        ]

    @property
    def _step(self) -> str:
        return str(self.status.value)

    @property
    def _outcome(self) -> str | None:
        return None if self.outcome is None else str(self.outcome.value)

    @property
    def _since(self) -> datetime | None:
        at: datetime | None = getattr(self, desk.STEP_AT[self._step])
        return at

    @classmethod
    def from_row(cls, row: Row) -> ServiceRequest:
        outcome = row.get("outcome")
        return cls(
            id=strawberry.ID(row["service_request_id"]),
            number=row.get("number") or "",
            household_id=_id(row.get("household_id")),
            person_id=_id(row.get("person_id")),
            kelurahan_code=row.get("kelurahan_code"),
            kecamatan_code=row.get("kecamatan_code"),
            needs=list(row.get("needs") or []),
            channel=row.get("channel"),
            note=row.get("note"),
            status=ServiceRequestStep(row.get("status") or desk.REGISTERED),
            history=list(row.get("history") or []),
            organization=row.get("organization"),
            registered_by=row.get("registered_by"),
            received_at=row.get("received_at"),
            registered_at=row.get("registered_at"),
            assigned_to=row.get("assigned_to"),
            assigned_at=row.get("assigned_at"),
            assessed_at=row.get("assessed_at"),
            in_service_at=row.get("in_service_at"),
            ended_at=row.get("ended_at"),
            step_note=row.get("step_note"),
            outcome=ServiceRequestOutcome(outcome) if outcome else None,
            outcome_reason=row.get("outcome_reason"),
            grievance_id=_id(row.get("grievance_id")),
            contact_phone=row.get("phone"),
            applicant_text=row.get("applicant"),
        )

    def shown_to(self, policy: Policy) -> ServiceRequest:
        """Identifiers typed into the notes and the contact masked for roles that see them so."""
        return dataclasses.replace(
            self,
            note=mask_text(self.note, policy),
            step_note=mask_text(self.step_note, policy),
            outcome_reason=mask_text(self.outcome_reason, policy),
            contact_phone=mask_contact(self.contact_phone, policy),
            policy=policy,
        )


def step_dates(row: Row) -> dict[str, datetime]:
    """Each step the request reached, with its time, in the steps' order."""
    out: dict[str, datetime] = {}
    for step in desk.STEPS:
        at = row.get(desk.STEP_AT[step])
        if isinstance(at, datetime):
            out[step] = at
    return out


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


__all__ = [
    "ServiceChannel",
    "ServiceRequest",
    "ServiceRequestApplicant",
    "ServiceRequestInput",
    "ServiceRequestOutcome",
    "ServiceRequestStep",
    "ServiceRequestStepDate",
    "step_dates",
]
