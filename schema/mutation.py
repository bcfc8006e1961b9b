# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Mutations: submissions, services, assessments, referrals, enrolment,
review decisions and change requests. Each publishes what it changed."""

from __future__ import annotations

import uuid
from datetime import date
from enum import Enum

import strawberry

from domain import rows
from domain.decile_alerts import ENROLMENT_MARKS
from domain.shapes import Row
from journal import kinds
from schema import inputs
from schema.audit import wrote
from schema.budgets import BudgetMutations
from schema.change_requests import ChangeRequestMutations
from schema.context import Context
from schema.cycles import ProgramCycleDistribution, ProgramCycleMutations
from schema.decile_alerts import DecileAlertMutations, raise_at_enrolment
from schema.eligibility import household_eligibility
from schema.errors import Forbidden, InputError, NotFound, RateLimited, ServiceError
from schema.grants import GrantMutations
from schema.journaling import claim, fact, journaled_write
from schema.permissions import (
    Policy,
    provenance_for,
    require_casework,
    require_write,
    sees_eligibility,
)
from schema.referrals import (
    ReferralMutations,
    check_note,
    check_step,
    may_move,
    moved_on,
    referral_by_id,
    step_key,
)
from schema.service_desk import ServiceDeskMutations, follow_casework
from schema.status_checks import StatusCheckMutations
from schema.submission import RecordInput, check_record, link_record
from schema.targets import resolve, visible_household
from schema.types.assessment import Assessment, signer
from schema.types.program import Enrolment
from schema.types.referral import Referral, ReferralStatus
from schema.types.service import Service

Info = strawberry.Info[Context, None]


@strawberry.type
class SubmitResult:
    record_key: strawberry.ID
    person_id: strawberry.ID
    household_id: strawberry.ID | None = strawberry.field(
        description="The household, when it is open to you (one you registered, serve, were "
        "referred or hold consent or a confirmed link for); otherwise null."
    )
    match_probability: float | None
    new_person: bool
    new_household: bool | None = strawberry.field(
        description="Whether the record made a new household; null unless the household "
        "is open to you (else it would tell whether a KK number, address or "
        "phone is registered)."
    )


@strawberry.input
class ServiceInput:
    household_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The household; leave it out for a person you submitted "
        "whose household is not open to you (give personId).",
    )
    person_id: strawberry.ID | None = None
    program: str
    service_date: date
    amount: float | None = None
    funder: str | None = None


@strawberry.input(
    description="An assessment and its intervention plan: `plan` in words, its "
    "`goals`, the `programs` (catalogue codes) matched to the problems, and "
    "when to follow up."
)
class AssessmentInput:
    household_id: strawberry.ID
    person_id: strawberry.ID | None = None
    assessed_on: date
    ppks: list[str]
    plan: str
    notes: str | None = None
    goals: list[str] = strawberry.field(default_factory=list)
    programs: list[str] = strawberry.field(default_factory=list)
    follow_up_on: date | None = None


@strawberry.input
class ReferralInput:
    household_id: strawberry.ID
    to_organization: str
    program: str | None = None
    note: str | None = None


@strawberry.input
class EnrolmentInput:
    household_id: strawberry.ID
    program: str
    since: date
    until: date | None = None
    override_reason: str | None = strawberry.field(
        default=None,
        description="Why to enrol a household the program's rule finds not eligible on "
        "`since` (a social worker's or Dinsos' decision, kept on the enrolment); without "
        "it such an enrolment is refused.",
    )


async def check_enrolment(info: Info, enrolment: EnrolmentInput, policy: Policy) -> str | None:
    """The override reason to keep, when the program's rule finds the household
    not eligible on `since` and a social worker or Dinsos overrides it; raises
    InputError when it is not eligible and not overridden. A program without a
    rule (a foundation's), or a hub without rules, checks nothing. The refusal
    names the failed conditions only to those who may see them (they name
    disabilities)."""
    if info.context.services.rules is None:
        return None
    if not sees_eligibility(policy):
        # the rule reads special-category facts (disabilities, health): its answer
        # to an agency or foundation would tell them by trying. Their enrolments go
        # unchecked; the targeting findings show Dinsos any that break the rule.
        return None
    reason = (enrolment.override_reason or "").strip() or None
    found = await household_eligibility(
        info, str(enrolment.household_id), enrolment.since, enrolment.program
    )
    if not found or found[0].eligible:
        return None
    e = found[0]
    if reason is not None and policy.casework:
        return reason
    why = " ".join(c.explanation for c in e.failed)
    then = (
        "Give overrideReason to enrol it anyway, with your reason."
        if policy.casework
        else "Ask a social worker or Dinsos to check the household's eligibility."
    )
    raise InputError(
        "enrolment.program",
        f"the household is not eligible for {e.program} on {enrolment.since} by rule "
        f"{e.rule_version}. {why + ' ' if why else ''}{then}",
    )


@strawberry.enum
class ReviewDecision(Enum):
    SAME = "SAME"
    NOT_SAME = "NOT_SAME"


@strawberry.type
class ReviewResult:
    record_key_l: strawberry.ID
    record_key_r: strawberry.ID
    decision: ReviewDecision
    reviewer: str


async def _pending(info: Info, household_id: str) -> bool:
    """Whether a delivery to a household the caller sees stays pending: it sees
    it only because the household is made of records it submitted through the
    API. Its delivery must open nothing (no SERVES), or a later re-link merging
    that household into the real one would carry the access there."""
    if info.context.scope["organization"] is None:
        return False
    return not (await info.context.repository.granted([household_id], info.context.scope))[0]


async def _served_household(info: Info, service: ServiceInput) -> tuple[str, bool]:
    """The household a delivery goes to, and whether its link is pending. A
    household the caller sees on some basis of its own (it serves it, was
    referred it, holds consent or a confirmed link, its files hold a member):
    the delivery counts. One it sees only as made of its own API submissions,
    or a person it only submitted a record about (named by personId, with no
    householdId, which it is not told): the delivery is kept for that
    household but opens nothing (pending until Dinsos confirms the link, the
    person consents or it is referred). A householdId it may not see is
    refused whatever the person, so the answer never tells where someone lives."""
    if service.household_id is not None:
        if await info.context.loaders.household.load(service.household_id) is None:
            raise InputError(
                "service.householdId",
                f"no household {service.household_id!r} "
                "that you may see; for a person you submitted, give only "
                "service.personId.",
            )
        await resolve(info, "service", service)  # a merged id: its survivor
        return str(service.household_id), await _pending(info, str(service.household_id))
    person = (
        await info.context.loaders.person.load(service.person_id)
        if service.person_id is not None
        else None
    )
    if person is None:
        raise InputError(
            "service.personId",
            "give service.householdId, or the personId of someone you may see or submitted.",
        )
    if person.get("person_id"):
        service.person_id = strawberry.ID(person["person_id"])  # a merged id: its survivor
    if person.get("submitted_only") and person.get("linked_household_id"):
        return str(person["linked_household_id"]), True
    if person.get("household_id"):
        return str(person["household_id"]), await _pending(info, str(person["household_id"]))
    raise InputError(
        "service.personId",
        f"person {service.person_id!r} belongs to no household yet; give service.householdId.",
    )


async def _record_assessment(
    info: Info, assessment: AssessmentInput, revises: Row | None
) -> Assessment:
    """Write an assessment (a new version of `revises`, when given) and its plan."""
    principal = info.context.principal
    programs = [inputs.required_text("assessment.programs", p) for p in assessment.programs]
    known = await info.context.repository.program_funders(programs)
    unknown = sorted(set(programs) - set(known))
    if unknown:
        raise InputError(
            "assessment.programs",
            f"no program {', '.join(unknown)} in the catalogue; pick programs from it.",
        )
    if assessment.follow_up_on is not None and assessment.follow_up_on < assessment.assessed_on:
        raise InputError("assessment.followUpOn", "is before assessment.assessedOn.")
    row = rows.Assessment(
        assessment_id=f"asm-{uuid.uuid4()}",
        household_id=assessment.household_id,
        person_id=assessment.person_id,
        assessed_on=assessment.assessed_on,
        social_worker=signer(principal),
        organization=str(principal.organization),
        plan=inputs.required_text("assessment.plan", assessment.plan),
        notes=assessment.notes,
        ppks=tuple(assessment.ppks),
        goals=tuple(g.strip() for g in assessment.goals if g.strip()),
        programs=tuple(dict.fromkeys(programs)),
        follow_up_on=assessment.follow_up_on,
        version=int(revises.get("version") or 1) + 1 if revises else 1,
        revises=str(revises["assessment_id"]) if revises else None,
    )
    await journaled_write(
        info,
        kinds.ASSESSMENT_RECORDED,
        row,
        households=[assessment.household_id],
        persons=[assessment.person_id],
    )
    wrote(info, persons=[assessment.person_id], households=[assessment.household_id])
    shown = Assessment.from_row(row.as_dict())
    if revises is not None:
        history = [revises, *(revises.get("history") or [])]
        shown.previous_versions = [Assessment.from_row(r) for r in history]
    return shown


@strawberry.type
class Mutation(
    GrantMutations,
    ChangeRequestMutations,
    DecileAlertMutations,
    ProgramCycleMutations,
    ProgramCycleDistribution,
    BudgetMutations,
    ServiceDeskMutations,
    StatusCheckMutations,
    ReferralMutations,
):
    @strawberry.mutation(
        description="Submit a beneficiary record; it is linked in real time. "
        "You see the record and the person as you sent them; "
        "the rest of a known person's household opens only "
        "when Dinsos confirms the link, the person consents, "
        "or it is referred to you. Submissions have their own "
        "budget per organization."
    )
    async def submit_record(self, info: Info, record: RecordInput) -> SubmitResult:
        require_write(info.context.principal)
        intake = info.context.services.intake
        if intake is None:
            raise ServiceError("real-time linkage is not configured on this hub.")
        org = str(info.context.principal.organization)
        watch = info.context.services.submissions
        check_record(record)
        wait = watch.admit(org) if watch is not None else 0.0
        if wait > 0:
            raise RateLimited("submissions", wait)
        linked = await link_record(info, intake, record)
        pid, hid = str(linked["person_id"]), str(linked["household_id"])
        key = str(linked["record_key"])
        wrote(info, persons=[pid], households=[hid])
        if watch is not None:
            for alert in await watch.submitted(
                org,
                person_id=pid,
                household_id=hid,
                nik_given=record.nik is not None,
                matched=not linked.get("new_person"),
                at=inputs.now(),
            ):
                info.context.audit.touch(
                    "alert:" + str(alert["kind"]), "submitRecord", persons=[pid]
                )
        shown = await info.context.loaders.household.load(hid) is not None
        return SubmitResult(
            record_key=strawberry.ID(key),
            person_id=strawberry.ID(pid),
            household_id=strawberry.ID(hid) if shown else None,
            match_probability=linked.get("match_probability"),
            new_person=bool(linked.get("new_person")),
            new_household=bool(linked.get("new_household")) if shown else None,
        )

    @strawberry.mutation(description="Record a service or benefit delivered by your organization.")
    async def record_service(self, info: Info, service: ServiceInput) -> Service:
        policy = require_write(info.context.principal)
        org = str(info.context.principal.organization)
        if policy.own_funding_only and service.funder not in (None, org):
            raise Forbidden(
                f"a foundation records only services it funds itself: leave "
                f"service.funder empty or set it to {org!r}."
            )
        household_id, pending = await _served_household(info, service)
        if service.amount is not None and service.amount < 0:
            raise InputError("service.amount", "must not be negative.")
        program = inputs.required_text("service.program", service.program)
        funder = service.funder
        if funder is None and not policy.own_funding_only:
            # a public program is paid by its budget (PKH by APBN), not by the
            # office that hands it out; an organization's own program by itself
            funder = (await info.context.repository.program_funders([program])).get(program)
        row = rows.Service(
            service_id=f"svc-{uuid.uuid4()}",
            household_id=household_id,
            person_id=service.person_id,
            program=program,
            service_date=service.service_date,
            amount=service.amount,
            funder=funder or org,
            organization=org,
            source=org,
            record_key=None,
            link_pending=pending,
        )
        await journaled_write(
            info,
            kinds.SERVICE_RECORDED,
            row,
            households=[household_id],
            persons=[service.person_id],
        )
        # a pending delivery opens nothing, so it does not count as serving the
        # NIKs submitted (UNSERVED_NIKS would be silenced by it)
        if info.context.services.submissions is not None and not pending:
            await info.context.services.submissions.served(org, household_id, inputs.now())
        wrote(info, persons=[service.person_id], households=[household_id])
        return Service.from_row(row.as_dict(), provenance_for(info.context.principal))

    @strawberry.mutation(description="Record a social worker's assessment.")
    async def record_assessment(self, info: Info, assessment: AssessmentInput) -> Assessment:
        require_casework(info.context.principal)
        await resolve(info, "assessment", assessment)
        recorded = await _record_assessment(info, assessment, None)
        await follow_casework(info, str(assessment.household_id), "assessment")
        return recorded

    @strawberry.mutation(
        description="Edit an assessment: the edit is recorded as a new version of it, "
        "and the version it replaces is kept (see Assessment.previousVersions)."
    )
    async def revise_assessment(
        self, info: Info, id: strawberry.ID, assessment: AssessmentInput
    ) -> Assessment:
        require_casework(info.context.principal)
        await resolve(info, "assessment", assessment)
        current = await info.context.loaders.assessments.load(assessment.household_id)
        found = next((r for r in current if r["assessment_id"] == id), None)
        if found is None:
            raise NotFound("assessment", id)
        return await _record_assessment(info, assessment, found)

    @strawberry.mutation(description="Refer a household to another organization.")
    async def create_referral(self, info: Info, referral: ReferralInput) -> Referral:
        policy = require_write(info.context.principal)
        from_org = str(info.context.principal.organization)
        to_org = inputs.required_text("referral.toOrganization", referral.to_organization)
        # a scoped organization referring to itself would open the household to
        # itself (Dinsos sees everything, so its units may refer among themselves)
        if policy.relationship_scoped and to_org == from_org:
            raise InputError(
                "referral.toOrganization", "a referral goes to another organization, not your own."
            )
        referral.household_id = strawberry.ID(
            (await visible_household(info, "referral.householdId", referral.household_id))[
                "household_id"
            ]
        )
        now = inputs.now()
        row = rows.Referral(
            referral_id=f"ref-{uuid.uuid4()}",
            household_id=referral.household_id,
            from_org=from_org,
            to_org=to_org,
            program=referral.program,
            status="OPEN",
            created_at=now,
            updated_at=now,
            note=referral.note,
            history=("OPEN",),
            # a scoped maker's referral opens nothing once its household is merged
            from_scoped=policy.relationship_scoped,
        )
        await journaled_write(info, kinds.REFERRAL_CREATED, row, households=[referral.household_id])
        result = Referral.from_row(row.as_dict())
        wrote(info, households=[referral.household_id])
        await follow_casework(info, str(referral.household_id), "referral")
        return result.shown_to(policy)

    @strawberry.mutation(
        description="Move a referral to its next status (one of its `nextStatuses`). "
        "REFERRED_ONWARD is `referOnward`'s, which makes the onward referral with it. "
        "Of two moves racing out of one status, one wins and the other is refused."
    )
    async def advance_referral(
        self, info: Info, id: strawberry.ID, status: ReferralStatus, note: str | None = None
    ) -> Referral:
        policy = require_write(info.context.principal)
        current = await referral_by_id(info, id)
        check_step(current, status.value)
        if status is ReferralStatus.REFERRED_ONWARD:
            raise InputError(
                "status",
                "refer a referral onward with referOnward: it sends the household to the "
                "next organization and closes this referral together.",
            )
        may_move(policy, str(info.context.principal.organization), current, status.value)
        check_note(status.value, note)
        moved = rows.ReferralMove(
            referral_id=current["referral_id"],
            household_id=current["household_id"],
            from_org=current.get("from_org"),
            to_org=current.get("to_org"),
            program=current.get("program"),
            status=status.value,
            updated_at=inputs.now(),
            note=note if note is not None else current.get("note"),
            history=(*(current.get("history") or []), status.value),
        )
        hid = current["household_id"]
        step = fact(info, kinds.REFERRAL_MOVED, moved, households=[hid], key=step_key(current))
        if not await claim(info, step):
            raise moved_on(current)
        row = await info.context.repository.advance_referral(
            moved, info.context.scope, str(current.get("status") or "OPEN")
        )
        if row is None:
            raise moved_on(current)
        result = Referral.from_row(row)
        wrote(info, households=[row["household_id"]])
        return result.shown_to(policy)

    @strawberry.mutation(
        description="Enrol a household in a program. A program with an eligibility rule "
        "valid on `since` must find the household eligible; if it does not, the enrolment "
        "is refused with the conditions that failed, unless a social worker or Dinsos "
        "gives `overrideReason`. An enrolment no one checked (an agency's or foundation's) "
        "of a household already over the program's decile threshold raises a decile alert "
        "and is PAUSED for a field check."
    )
    async def enrol_household(self, info: Info, enrolment: EnrolmentInput) -> Enrolment:
        policy = require_write(info.context.principal)
        enrolment.household_id = strawberry.ID(
            (await visible_household(info, "enrolment.householdId", enrolment.household_id))[
                "household_id"
            ]
        )
        if enrolment.until is not None and enrolment.until < enrolment.since:
            raise InputError("enrolment.until", "is before enrolment.since.")
        override = await check_enrolment(info, enrolment, policy)
        org = str(info.context.principal.organization)
        active = enrolment.until is None or enrolment.until >= date.today()
        row = rows.Enrolment(
            household_id=enrolment.household_id,
            program=inputs.required_text("enrolment.program", enrolment.program),
            since=enrolment.since,
            until=enrolment.until,
            active=active,
            organization=org,
            override_reason=override,
        )
        await journaled_write(
            info, kinds.ENROLMENT_RECORDED, row, households=[enrolment.household_id]
        )
        wrote(info, households=[enrolment.household_id])
        await follow_casework(info, str(enrolment.household_id), "enrolment")
        # over the program's decile threshold already: paused for a field check, unless
        # a social worker or Dinsos overrode the rule (that is the field decision)
        paused = (
            None
            if override or not active
            else await raise_at_enrolment(
                info, str(enrolment.household_id), row.program, enrolment.since
            )
        )
        return Enrolment(
            program_code=enrolment.program,
            program_name=None,
            benefit_kind=None,
            need=None,
            funder=None,
            organization=org,
            since=enrolment.since,
            until=enrolment.until,
            active=active,
            status=(paused and ENROLMENT_MARKS[paused.status.value]) or "ACTIVE",
            decile_alert=paused.id if paused else None,
        )

    @strawberry.mutation(
        description="Decide an uncertain pair from the review queue; the "
        "decision sticks across later linkage runs."
    )
    async def decide_review_pair(
        self,
        info: Info,
        record_key_l: strawberry.ID,
        record_key_r: strawberry.ID,
        decision: ReviewDecision,
        note: str | None = None,
    ) -> ReviewResult:
        require_casework(info.context.principal)
        review = info.context.services.review
        if review is None:
            raise ServiceError("the review queue is not configured on this hub.")
        if record_key_l == record_key_r:
            raise InputError("recordKeyR", "a record cannot be paired with itself.")
        principal = info.context.principal
        reviewer = str(getattr(principal, "subject", None) or principal.organization)
        await review.decide(
            record_key_l, record_key_r, decision is ReviewDecision.SAME, reviewer, note
        )
        wrote(info)
        return ReviewResult(
            record_key_l=record_key_l,
            record_key_r=record_key_r,
            decision=decision,
            reviewer=reviewer,
        )
