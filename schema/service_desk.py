# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Layanan satu pintu, the one-door front desk: a resident's request
(permohonan) registered once and followed to its end, and complaints
(pengaduan). The rules (steps, SLA, outcomes, complaint kinds, the
sentences a resident reads) are `domain.service_desk`'s.

Dinsos (social workers and administrators) keeps the desk: it registers,
assigns, moves and ends requests, and files, acts on and answers complaints.
An agency or a foundation reads the requests of households referred to it;
an analyst reads only `serviceDeskSummary`. Every write is journaled first
(kinds `service_request.*`, `grievance.*`), then written to the graph, audited,
and, when the resident gave a number, told to them (`services.notifier`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import strawberry

from domain import rows
from domain import service_desk as desk
from domain.shapes import Row
from domain.targeting import finding_record
from journal import kinds
from schema import inputs
from schema.audit import Purpose, personal, read_page, require_purpose, rows_read, wrote
from schema.change_requests import file_request
from schema.context import Context
from schema.eligibility import household_findings, rules
from schema.errors import Forbidden, InputError, NotFound, ServiceError
from schema.journaling import append, claim, fact
from schema.pagination import Connection
from schema.permissions import (
    hidden_grievance_kinds,
    require_casework,
    require_city_aggregates,
    require_eligibility,
    suppress,
)
from schema.services import Notification
from schema.submission import RecordInput, check_record, link_record
from schema.targets import visible_household
from schema.types.assessment import signer
from schema.types.change_request import ChangeKind, ChangeRequestInput
from schema.types.grievance import (
    Grievance,
    GrievanceAction,
    GrievanceInput,
    GrievanceKind,
    GrievanceStatus,
)
from schema.types.reported_finding import ReportedFinding
from schema.types.service_desk_summary import ServiceDeskSummary
from schema.types.service_request import (
    ServiceChannel,
    ServiceRequest,
    ServiceRequestInput,
    ServiceRequestOutcome,
    ServiceRequestStep,
)

Info = strawberry.Info[Context, None]
log = logging.getLogger(__name__)


# --- requests ------------------------------------------------------------------------
async def _needs(info: Info, field: str, needs: Sequence[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(n.strip() for n in needs if n.strip()))
    if not codes:
        raise InputError(field, "name at least one need: a PPKS code or a program's need.")
    unknown = await info.context.repository.unknown_needs(codes)
    if unknown:
        raise InputError(
            field,
            f"{', '.join(unknown)} is not in the catalogue; give PPKS codes (PPKS01..PPKS26) "
            "or a program's need (income, food, health_insurance, ...).",
        )
    return codes


def _phone(field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    number = desk.mobile_number(value)
    if number is None:  # the value is not echoed: errors may be logged
        raise InputError(
            field, "is not a mobile number for SMS or WhatsApp; write it as 0812... or +62812..."
        )
    return number


async def _assign(info: Info, kelurahan: str | None, kecamatan: str | None) -> str | None:
    """The social worker who serves the area and holds the fewest open requests."""
    found = desk.workers_for(info.context.services.worker_areas, kelurahan, kecamatan)
    workers = sorted({a.worker for a in found})
    if len(workers) <= 1:
        return workers[0] if workers else None
    load = await info.context.repository.open_requests_by_worker(workers)
    return min(workers, key=lambda w: (load.get(w, 0), w))


async def _notify(info: Info, row: Row, text: str) -> None:
    notifier = info.context.services.notifier
    if notifier is None or not row.get("phone"):
        return
    message = Notification(
        phone=str(row["phone"]),
        text=text,
        reference=str(row.get("number") or ""),
        status=str(row.get("status") or ""),
    )
    try:
        await notifier.send(message)
    except Exception:  # the write is saved: a message that cannot be queued does not undo it
        log.exception("the message for %s could not be queued", message.reference)


def _told(row: Row) -> str:
    return desk.request_message(str(row.get("number")), str(row.get("status")), row.get("outcome"))


def _applicant_nik(members: list[Row], person_id: str | None) -> str | None:
    """The NIK of the applicant: the person named, else the household's head."""
    if person_id is not None:
        return next((m.get("nik") for m in members if m.get("person_id") == person_id), None)
    heads = [m for m in members if str(m.get("relationship") or "").upper().startswith("KEPALA")]
    for m in [*heads, *members]:
        if m.get("nik"):
            return str(m["nik"])
    return None


async def _household_of(
    info: Info, request: ServiceRequestInput
) -> tuple[Row, str | None, str | None]:
    """The request's household (found, or the applicant's, linked in real time),
    the applicant's person id and NIK."""
    if (request.household_id is None) == (request.applicant is None):
        raise InputError(
            "request.householdId",
            "give either householdId (a household found by search) or applicant "
            "(a resident not found), not both or neither.",
        )
    if request.applicant is not None:
        intake = info.context.services.intake
        if intake is None:
            raise ServiceError("real-time linkage is not configured on this hub.")
        check_record(request.applicant, "request.applicant")
        linked = await link_record(info, intake, request.applicant)
        wrote(info, persons=[linked["person_id"]], households=[linked["household_id"]])
        household = await info.context.loaders.household.load(str(linked["household_id"]))
        if household is None:
            raise ServiceError("the applicant's household was linked but cannot be read back.")
        return household, str(linked["person_id"]), request.applicant.nik
    household = await visible_household(info, "request.householdId", str(request.household_id))
    hid = str(household["household_id"])
    members = await info.context.loaders.members.load(hid)
    pid = str(request.person_id) if request.person_id is not None else None
    if pid is not None and not any(m.get("person_id") == pid for m in members):
        raise InputError("request.personId", f"person {pid!r} is not a member of {hid!r}.")
    return household, pid, _applicant_nik(members, pid)


def _nik_check(info: Info, nik: str | None) -> tuple[str | None, str | None]:
    suffix = desk.nik_suffix(nik)
    if suffix is None:
        return None, None
    salt = secrets.token_hex(16)
    return desk.nik_digest(info.context.services.nik_key, salt, suffix), salt


def _from_web_form(info: Info, request: ServiceRequestInput) -> bool:
    """The public form's requests, and whatever its service identity sends."""
    principal = info.context.principal
    return (
        request.channel is ServiceChannel.WEB_FORM
        or getattr(principal, "auth_method", None) == "service"
    )


async def _receive(
    info: Info, request: ServiceRequestInput, needs: tuple[str, ...], phone: str | None
) -> ServiceRequest:
    """A web-form request, PENDING_VERIFICATION: nobody has checked who typed it, so
    what they typed stays on the request alone (no intake, no household, no
    casework moves, no message) until the front desk verifies them
    (`verifyServiceRequest`). Its receipt reads the same whatever NIK was typed."""
    if request.applicant is None or request.household_id is not None:
        raise InputError(
            "request.applicant",
            "a web-form request gives the applicant as typed, not a household; the front "
            "desk links it when it verifies them.",
        )
    check_record(request.applicant, "request.applicant")
    check, salt = _nik_check(info, request.applicant.nik)
    row = rows.ServiceRequest(
        service_request_id=f"srq-{uuid.uuid4()}",
        number=desk.new_number(desk.REQUEST_PREFIX),
        needs=needs,
        channel=ServiceChannel.WEB_FORM.value,
        note=(request.note or "").strip() or None,
        status=desk.PENDING_VERIFICATION,
        history=(desk.PENDING_VERIFICATION,),
        organization=str(info.context.principal.organization),
        registered_by=signer(info.context.principal),
        received_at=inputs.now(),
        phone=phone,
        nik_check=check,
        nik_salt=salt,
        applicant=json.dumps(dataclasses.asdict(request.applicant), default=str),
    )
    await append(info, [fact(info, kinds.SERVICE_REQUEST_REGISTERED, row)])
    stored = await info.context.repository.register_service_request(row)
    return ServiceRequest.from_row(stored).shown_to(info.context.policy)


async def register(
    info: Info, request: ServiceRequestInput, grievance_id: str | None = None
) -> ServiceRequest:
    """Register a request: its household found or linked, a worker assigned by
    area; one from the web form waits for the front desk (`_receive`)."""
    require_casework(info.context.principal)
    needs = await _needs(info, "request.needs", request.needs)
    phone = _phone("request.contactPhone", request.contact_phone)
    if _from_web_form(info, request):
        return await _receive(info, request, needs, phone)
    household, person_id, nik = await _household_of(info, request)
    hid = str(household["household_id"])
    kelurahan, kecamatan = household.get("kelurahan_code"), household.get("kecamatan_code")
    worker = await _assign(info, kelurahan, kecamatan)
    now = inputs.now()
    check, salt = _nik_check(info, nik)
    row = rows.ServiceRequest(
        service_request_id=f"srq-{uuid.uuid4()}",
        number=desk.new_number(desk.REQUEST_PREFIX),
        household_id=hid,
        person_id=person_id,
        kelurahan_code=kelurahan,
        kecamatan_code=kecamatan or (kelurahan[:6] if kelurahan else None),
        needs=needs,
        channel=str(request.channel.value),
        note=(request.note or "").strip() or None,
        status=desk.ASSIGNED if worker else desk.REGISTERED,
        history=(desk.REGISTERED, desk.ASSIGNED) if worker else (desk.REGISTERED,),
        organization=str(info.context.principal.organization),
        registered_by=signer(info.context.principal),
        registered_at=now,
        assigned_to=worker,
        assigned_at=now if worker else None,
        grievance_id=grievance_id,
        phone=phone,
        nik_check=check,
        nik_salt=salt,
    )
    await append(
        info,
        [
            fact(
                info,
                kinds.SERVICE_REQUEST_REGISTERED,
                row,
                households=[hid],
                persons=[person_id],
            )
        ],
    )
    stored = await info.context.repository.register_service_request(row)
    wrote(info, persons=[person_id], households=[hid])
    await _notify(info, stored, _told(stored))
    return ServiceRequest.from_row(stored).shown_to(info.context.policy)


async def _current(info: Info, request_id: str) -> Row:
    found = (
        await info.context.repository.service_requests_by_id([request_id], info.context.scope)
    )[0]
    if found is None:
        raise NotFound("service request", request_id)
    return found


async def move(info: Info, current: Row, target: str, changes: dict[str, Any], kind: str) -> Row:
    """Move a request from its status to `target` (or keep its status, for a
    re-assignment): journal the move (claimed once per status), then change the
    graph, audit it and tell the resident."""
    status = str(current.get("status") or desk.REGISTERED)
    now = inputs.now()
    update: dict[str, Any] = {}
    if target != status:
        update[desk.STEP_AT[target]] = now
        update["history"] = [*(current.get("history") or [status]), target]
    update.update(changes)
    update["status"] = target
    row = rows.ServiceRequest.from_mapping({**current, **update})
    key = f"{current['service_request_id']}:from:{status}" if target != status else None
    one = fact(
        info,
        kind,
        row,
        households=[row.household_id],
        persons=[row.person_id],
        key=key,
    )
    if key is None:
        await append(info, [one])
    elif not await claim(info, one):
        raise InputError("id", f"the request moved on meanwhile; it is no longer {status}.")
    repository = info.context.repository
    moved = await (
        repository.verify_service_request(row)
        if desk.verifies(status)
        else repository.move_service_request(status, row)
    )
    if moved is None:
        raise InputError("id", f"the request moved on meanwhile; it is no longer {status}.")
    wrote(info, persons=[moved.get("person_id")], households=[moved.get("household_id")])
    if target != status:
        await _notify(info, moved, _told(moved))
    return moved


async def follow_casework(info: Info, household_id: str, work: str) -> None:
    """Casework recorded for a household moves its open requests on
    (`domain.service_desk.CASEWORK_STEP`): an assessment to ASSESSED, a
    referral or an enrolment to IN_SERVICE."""
    target = desk.CASEWORK_STEP[work]
    try:
        found = await info.context.repository.open_service_requests(household_id)
    except Exception:  # the casework is saved: its caller must not see an error
        log.exception("the open requests of %s could not be read to follow %s", household_id, work)
        return
    for current in found:
        if not desk.casework_moves(str(current.get("status")), target):
            continue
        try:
            await move(
                info,
                current,
                target,
                {"step_note": f"{work} recorded"},
                kinds.SERVICE_REQUEST_MOVED,
            )
        except Exception:  # logged for the desk to move it by hand; the casework stands
            log.exception(
                "request %s did not follow the %s recorded", current.get("service_request_id"), work
            )


def _shown(info: Info, row: Row) -> ServiceRequest:
    return ServiceRequest.from_row(row).shown_to(info.context.policy)


# --- complaints ------------------------------------------------------------------------
async def _grievance(info: Info, grievance_id: str) -> Row:
    require_casework(info.context.principal)
    found = (await info.context.repository.grievances_by_id([grievance_id], info.context.scope))[0]
    if found is None or found.get("kind") in hidden_grievance_kinds(info.context.principal):
        raise NotFound("grievance", grievance_id)
    return found


def _grievance_may_move(current: Row, target: str) -> str:
    """The complaint's status, when it may move to `target` (acted on once, answered once)."""
    status = str(current.get("status") or desk.FILED)
    if status == desk.ANSWERED or (target == desk.ACTED and status != desk.FILED):
        raise InputError(
            "id", f"a complaint that is {status} cannot be {target.lower()}; it moved on."
        )
    return status


async def _move_grievance(
    info: Info, current: Row, target: str, changes: dict[str, Any], kind: str
) -> Row:
    status = _grievance_may_move(current, target)
    row = rows.Grievance.from_mapping(
        {
            **current,
            **changes,
            "status": target,
            "history": [*(current.get("history") or [status]), target],
        }
    )
    tags = [current.get("household_id")]
    one = fact(info, kind, row, households=tags, key=f"{current['grievance_id']}:from:{status}")
    if not await claim(info, one):
        raise InputError("id", f"the complaint moved on meanwhile; it is no longer {status}.")
    moved = await info.context.repository.move_grievance(status, row)
    if moved is None:
        raise InputError("id", f"the complaint moved on meanwhile; it is no longer {status}.")
    wrote(info, households=[moved.get("household_id")])
    await _notify(info, moved, desk.grievance_message(str(moved.get("number")), target))
    return moved


async def _targeting_check(info: Info, complaint: Row) -> rows.ReportedFinding:
    """The household's targeting check as the complaint reports it: its findings
    over `domain.service_desk.finding_check_period` up to today, by the rules
    `targetingFindings` uses, as a row to record (not yet journaled)."""
    book = rules(info)  # before anything moves: no rules, no check, nothing acted on
    hid = str(complaint["household_id"])
    start, end = desk.finding_check_period(desk.office_today())
    found = await household_findings(info, info.context.scope, hid, start, end)
    return rows.ReportedFinding(
        reported_finding_id=f"rpf-{uuid.uuid4()}",
        grievance_id=str(complaint["grievance_id"]),
        grievance_number=complaint.get("number"),
        grievance_kind=complaint.get("kind"),
        household_id=hid,
        period_start=start,
        period_end=end,
        findings=json.dumps([finding_record(f) for f in found], default=str),
        rules_version=book.version,
        organization=str(info.context.principal.organization),
        reported_by=signer(info.context.principal),
        reported_at=inputs.now(),
    )


async def _record_finding(info: Info, row: rows.ReportedFinding) -> str:
    """Journal the complaint's finding with its household (erasure forgets it with
    the household), then write it to the graph; its id."""
    hid = row.household_id
    await append(info, [fact(info, kinds.REPORTED_FINDING_RECORDED, row, households=[hid])])
    stored = await info.context.repository.record_reported_finding(row)
    wrote(info, households=[hid])
    return str(stored["reported_finding_id"])


@strawberry.type
class ServiceDeskMutations:
    @strawberry.mutation(
        description="Register a resident's request at the front desk (social workers, "
        "Dinsos): for a household found by search, or for an applicant linked in real "
        "time. A social worker is assigned by area; the request has a random public "
        "number the resident checks its status with."
    )
    async def register_service_request(
        self, info: Info, request: ServiceRequestInput
    ) -> ServiceRequest:
        return await register(info, request)

    @strawberry.mutation(
        description="Move a request on by hand to a later step (not ENDED: see "
        "endServiceRequest). Casework moves it too: an assessment of its household "
        "to ASSESSED, a referral or an enrolment to IN_SERVICE."
    )
    async def advance_service_request(
        self,
        info: Info,
        id: strawberry.ID,
        step: ServiceRequestStep,
        note: str | None = None,
    ) -> ServiceRequest:
        require_casework(info.context.principal)
        current = await _current(info, id)
        status, target = str(current.get("status")), str(step.value)
        if not desk.may_advance(status, target):
            raise InputError(
                "step",
                f"a request that is {status} moves on to a later step than {status}, "
                "not ENDED (endServiceRequest ends it, with an outcome and a reason).",
            )
        changes: dict[str, Any] = {"step_note": (note or "").strip() or None}
        if target == desk.ASSIGNED and not current.get("assigned_to"):
            worker = await _assign(
                info, current.get("kelurahan_code"), current.get("kecamatan_code")
            )
            if worker is None:
                raise InputError(
                    "step", "no social worker serves this area; assign one (assignServiceRequest)."
                )
            changes["assigned_to"] = worker
        return _shown(info, await move(info, current, target, changes, kinds.SERVICE_REQUEST_MOVED))

    @strawberry.mutation(
        description="End a request: FULFILLED, PARTLY_FULFILLED or REFUSED, with a reason "
        "in words the resident reads (it is shown on their Cek status page)."
    )
    async def end_service_request(
        self,
        info: Info,
        id: strawberry.ID,
        outcome: ServiceRequestOutcome,
        reason: str,
    ) -> ServiceRequest:
        require_casework(info.context.principal)
        text = inputs.required_text("reason", reason) if desk.END_NEEDS_REASON else reason
        current = await _current(info, id)
        if not desk.may_end(str(current.get("status"))):
            raise InputError("id", "the request has ended already.")
        changes = {"outcome": str(outcome.value), "outcome_reason": text, "step_note": None}
        return _shown(
            info, await move(info, current, desk.ENDED, changes, kinds.SERVICE_REQUEST_ENDED)
        )

    @strawberry.mutation(
        description="Assign (or re-assign) a request to a social worker (the subject "
        "they sign in as, one of the worker areas: worker_areas_file); a REGISTERED "
        "request becomes ASSIGNED."
    )
    async def assign_service_request(
        self, info: Info, id: strawberry.ID, worker: str
    ) -> ServiceRequest:
        require_casework(info.context.principal)
        who = inputs.required_text("worker", worker)
        current = await _current(info, id)
        areas = info.context.services.worker_areas
        if not desk.known_worker(areas, who):
            serving = desk.workers_for(
                areas, current.get("kelurahan_code"), current.get("kecamatan_code")
            )
            hint = f" ({', '.join(sorted({a.worker for a in serving}))} serve its area)"
            raise InputError(
                "worker",
                f"{who!r} is not a social worker of the worker areas (worker_areas_file); "
                f"give the login of one listed there{hint if serving else ''}.",
            )
        status = str(current.get("status"))
        if not desk.may_assign(status):
            raise InputError(
                "id",
                "verify the applicant first (verifyServiceRequest)."
                if desk.verifies(status)
                else "the request has ended; it is assigned to no one any more.",
            )
        target = desk.ASSIGNED if status == desk.REGISTERED else status
        return _shown(
            info,
            await move(info, current, target, {"assigned_to": who}, kinds.SERVICE_REQUEST_MOVED),
        )

    @strawberry.mutation(
        description="Verify a web-form request (PENDING_VERIFICATION) once the front desk "
        "has checked who the applicant is (KTP, KK): link it to the household found by "
        "search (householdId, and personId) or to the applicant as checked (applicant: "
        "linked in real time, as at the front desk). It is then REGISTERED, assigned by "
        "area, and the resident is told; what they typed is dropped from the request."
    )
    async def verify_service_request(
        self,
        info: Info,
        id: strawberry.ID,
        household_id: strawberry.ID | None = None,
        person_id: strawberry.ID | None = None,
        applicant: RecordInput | None = None,
        note: str | None = None,
    ) -> ServiceRequest:
        require_casework(info.context.principal)
        if getattr(info.context.principal, "auth_method", None) == "service":
            raise Forbidden("a service identity cannot verify who a resident is.")
        current = await _current(info, id)
        status = str(current.get("status"))
        if not desk.verifies(status):
            raise InputError(
                "id", f"only a request {desk.PENDING_VERIFICATION} is verified; it is {status}."
            )
        household, pid, nik = await _household_of(
            info,
            ServiceRequestInput(
                needs=[], household_id=household_id, person_id=person_id, applicant=applicant
            ),
        )
        kelurahan, kecamatan = household.get("kelurahan_code"), household.get("kecamatan_code")
        worker = await _assign(info, kelurahan, kecamatan)
        now = inputs.now()
        check, salt = _nik_check(info, nik)
        steps = (desk.REGISTERED, desk.ASSIGNED) if worker else (desk.REGISTERED,)
        changes: dict[str, Any] = {
            "household_id": str(household["household_id"]),
            "person_id": pid,
            "kelurahan_code": kelurahan,
            "kecamatan_code": kecamatan or (kelurahan[:6] if kelurahan else None),
            "registered_at": now,
            "assigned_to": worker,
            "assigned_at": now if worker else None,
            "history": [*(current.get("history") or [status]), *steps],
            "step_note": (note or "").strip() or None,
            "nik_check": check,
            "nik_salt": salt,
            "applicant": None,
        }
        return _shown(
            info, await move(info, current, steps[-1], changes, kinds.SERVICE_REQUEST_MOVED)
        )

    @strawberry.mutation(
        description="File a complaint (pengaduan): wrong data, aid not received, aid to "
        "someone not eligible, or how a service treated someone (SERVICE_CONDUCT may be "
        "anonymous: no household). It is answered within its kind's SLA, or escalates."
    )
    async def file_grievance(self, info: Info, grievance: GrievanceInput) -> Grievance:
        require_casework(info.context.principal)
        kind = desk.GRIEVANCE_KINDS[str(grievance.kind.value)]
        if grievance.anonymous and not kind.anonymous_allowed:
            raise InputError(
                "grievance.anonymous",
                f"only a complaint about how a service treated someone may be anonymous, "
                f"not {kind.code}.",
            )
        if grievance.anonymous and grievance.household_id is not None:
            raise InputError("grievance.householdId", "an anonymous complaint names no household.")
        hid = None
        if grievance.household_id is not None:
            found = await visible_household(info, "grievance.householdId", grievance.household_id)
            hid = str(found["household_id"])
        row = rows.Grievance(
            grievance_id=f"grv-{uuid.uuid4()}",
            number=desk.new_number(desk.GRIEVANCE_PREFIX),
            kind=kind.code,
            household_id=hid,
            anonymous=grievance.anonymous,
            text=inputs.required_text("grievance.text", grievance.text),
            status=desk.FILED,
            history=(desk.FILED,),
            organization=str(info.context.principal.organization),
            filed_by=signer(info.context.principal),
            filed_at=inputs.now(),
            phone=_phone("grievance.contactPhone", grievance.contact_phone),
        )
        # tagged with its household so erasure forgets it; the feed shows complaints
        # to Dinsos only (schema.feed), so it never reaches an organization
        await append(info, [fact(info, kinds.GRIEVANCE_FILED, row, households=[hid])])
        stored = await info.context.repository.file_grievance(row)
        wrote(info, households=[hid])
        await _notify(info, stored, desk.grievance_message(str(row.number), desk.FILED))
        return Grievance.from_row(stored).shown_to(info.context.policy)

    @strawberry.mutation(
        description="Act on a complaint: CHANGE_REQUEST files the change request given "
        "(perbaikan or penonaktifan) and links it; TARGETING_FINDING runs the household's "
        "targeting check now (inclusion and exclusion errors and duplicated aid over the "
        "year up to today, as targetingFindings) and links the ReportedFinding it records "
        "(reportedFinding on the complaint; none found: to be checked in the field); CASE "
        "opens a service request for the household (needs given), assigned by area."
    )
    async def act_on_grievance(
        self,
        info: Info,
        id: strawberry.ID,
        action: GrievanceAction,
        change_request: ChangeRequestInput | None = None,
        needs: list[str] | None = None,
        note: str | None = None,
    ) -> Grievance:
        current = await _grievance(info, id)
        _grievance_may_move(current, desk.ACTED)
        chosen = str(action.value)
        hid = current.get("household_id")
        if chosen == "CHANGE_REQUEST":
            if change_request is None or change_request.kind not in (
                ChangeKind.PERBAIKAN,
                ChangeKind.PENONAKTIFAN,
            ):
                raise InputError(
                    "changeRequest",
                    "give the change request to file: a PERBAIKAN or a PENONAKTIFAN.",
                )
            # checked before the complaint moves: it is acted on once, with its request
            inputs.required_text("changeRequest.reason", change_request.reason)
        elif hid is None:
            raise InputError("action", f"{chosen} needs a complaint about a household.")
        elif chosen == "CASE":
            await _needs(info, "needs", needs or [])
        checked = await _targeting_check(info, current) if chosen == "TARGETING_FINDING" else None
        changes = {
            "action": chosen,
            "acted_by": signer(info.context.principal),
            "acted_at": inputs.now(),
        }
        # claimed first: two hands acting at once make one change request or case
        moved = await _move_grievance(info, current, desk.ACTED, changes, kinds.GRIEVANCE_ACTED)
        linked: str | None = None
        if chosen == "CHANGE_REQUEST" and change_request is not None:
            linked = str((await file_request(info, change_request)).id)
        elif chosen == "CASE":
            opened = await register(
                info,
                # not the complainant's phone: they may be a neighbour of the household
                ServiceRequestInput(
                    needs=needs or [], household_id=strawberry.ID(str(hid)), note=note
                ),
                grievance_id=str(current["grievance_id"]),
            )
            linked = str(opened.id)
        elif checked is not None:
            linked = await _record_finding(info, checked)
        if linked is not None:
            row = rows.Grievance.from_mapping({**moved, "linked_id": linked})
            await append(info, [fact(info, kinds.GRIEVANCE_ACTED, row, households=[hid])])
            moved = await info.context.repository.move_grievance(desk.ACTED, row) or moved
        return Grievance.from_row(moved).shown_to(info.context.policy)

    @strawberry.mutation(
        description="Answer a complaint and close it; the answer is what the resident reads."
    )
    async def answer_grievance(self, info: Info, id: strawberry.ID, answer: str) -> Grievance:
        current = await _grievance(info, id)
        changes = {
            "answer": inputs.required_text("answer", answer),
            "answered_by": signer(info.context.principal),
            "answered_at": inputs.now(),
        }
        moved = await _move_grievance(
            info, current, desk.ANSWERED, changes, kinds.GRIEVANCE_ANSWERED
        )
        return Grievance.from_row(moved).shown_to(info.context.policy)


@strawberry.type
class ServiceDeskQueries:
    @strawberry.field(
        description='One request by its id or its public number (as typed: "sp 7k3q-x9m2" '
        "finds SP-7K3QX9M2): Dinsos roles any, an agency or foundation one whose household "
        "is referred to it."
    )
    async def service_request(
        self, info: Info, id: strawberry.ID, purpose: Purpose = None
    ) -> ServiceRequest:
        personal(info, purpose)
        key = str(id).strip()
        if not key.startswith("srq-"):
            key = desk.normalise_number(key)
        row = await _current(info, key)
        rows_read(info, [row])
        return _shown(info, row)

    @strawberry.field(
        description="Requests, newest first, by status, social worker, kelurahan, "
        "household and whether they are overdue (past their step's SLA)."
    )
    async def service_requests(
        self,
        info: Info,
        status: ServiceRequestStep | None = None,
        assigned_to: str | None = None,
        kelurahan_code: str | None = None,
        overdue: bool | None = None,
        household: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the requests of this household."),
        ] = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[ServiceRequest]:
        policy = personal(info, purpose)
        return await read_page(
            info,
            first,
            after,
            lambda offset, limit: info.context.repository.service_requests(
                info.context.scope,
                statuses=[str(status.value)] if status else [],
                assigned_to=assigned_to,
                kelurahan_code=kelurahan_code,
                household=household,
                overdue=overdue,
                today=desk.office_today(),
                offset=offset,
                limit=limit,
            ),
            lambda r: ServiceRequest.from_row(r).shown_to(policy),
        )

    @strawberry.field(description="One complaint by its id or number (social workers, Dinsos).")
    async def grievance(self, info: Info, id: strawberry.ID, purpose: Purpose = None) -> Grievance:
        require_casework(info.context.principal)
        require_purpose(info, purpose)
        row = await _grievance(info, id)
        rows_read(info, [row])
        return Grievance.from_row(row).shown_to(info.context.policy)

    @strawberry.field(
        description="Complaints, newest first, by status and kind (social workers, Dinsos)."
    )
    async def grievances(
        self,
        info: Info,
        status: GrievanceStatus | None = None,
        kind: GrievanceKind | None = None,
        household: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[Grievance]:
        policy = require_casework(info.context.principal)
        require_purpose(info, purpose)
        return await read_page(
            info,
            first,
            after,
            lambda offset, limit: info.context.repository.grievances(
                info.context.scope,
                statuses=[str(status.value)] if status else [],
                kinds=[str(kind.value)] if kind else [],
                hidden_kinds=hidden_grievance_kinds(info.context.principal),
                household=household,
                offset=offset,
                limit=limit,
            ),
            lambda r: Grievance.from_row(r).shown_to(policy),
        )

    @strawberry.field(
        description="Targeting findings complaints reported (actOnGrievance "
        "TARGETING_FINDING), newest first; of one household when given. Social workers "
        "and Dinsos only, as targetingFindings."
    )
    async def reported_findings(
        self,
        info: Info,
        household: strawberry.ID | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[ReportedFinding]:
        require_eligibility(info.context.principal)
        personal(info, purpose)
        return await read_page(
            info,
            first,
            after,
            lambda offset, limit: info.context.repository.reported_findings(
                info.context.scope,
                household=household,
                hidden_kinds=hidden_grievance_kinds(info.context.principal),
                offset=offset,
                limit=limit,
            ),
            ReportedFinding.from_row,
        )

    @strawberry.field(
        description="The front desk's figures for the head of Dinsos over the requests "
        "registered and complaints filed from `from` to `to` (inclusive): requests by "
        "need, kecamatan and status, median days to a first answer and to an end, the "
        "share ended within the SLA, complaints by kind. Analysts and Dinsos; small "
        "cells suppressed for analysts."
    )
    async def service_desk_summary(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> ServiceDeskSummary:
        policy = require_city_aggregates(info.context.principal)
        if to < from_:
            raise InputError("to", "is before from.")
        # the office's days (WIB), not UTC's
        start = desk.office_midnight(from_)
        end = desk.office_midnight(date.fromordinal(to.toordinal() + 1))
        repo = info.context.repository
        facts = await repo.service_desk_facts(start, end)
        requests = facts["requests"]
        if not policy.sees_special_category:  # not even counted: a need is a person's problem
            every = await repo.problems({**info.context.scope, "special_category": True})
            shown = {r["code"] for r in await repo.problems(info.context.scope)}
            hidden = {r["code"] for r in every} - shown
            requests = [
                {**r, "needs": [n for n in r.get("needs") or [] if n not in hidden]}
                for r in requests
            ]
        found = desk.figures(requests, facts["grievances"], desk.office_today())
        return ServiceDeskSummary.of(found, from_, to, lambda n: suppress(n, policy))


__all__ = [
    "ServiceDeskMutations",
    "ServiceDeskQueries",
    "follow_casework",
    "move",
    "register",
]
