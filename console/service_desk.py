"""Layanan satu pintu in the console: the front desk (Loket) registers a
resident's request once, the request list and page (Permohonan) follow it to
its end, and the complaint pages (Pengaduan) file, act on and answer
grievances.

A permohonan (service request) is what a resident asks of Dinsos: who asks,
for which household, which PPKS or needs, and a number to reach them. A
pengaduan (grievance) is a complaint: wrong data, aid not received, aid to
someone who should not get it, or how a service treated someone.

The pages hold no rule of their own: the steps, their SLA, whether a request
is overdue, which moves the signed-in role may make now (allowedSteps,
mayAssign, mayVerify, mayEnd, reasonRequired) and the sentences a resident
reads are the API's answers (domain/service_desk.py behind it); what a move
lacks (a reason, a need) is the API's refusal.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Concatenate, Final, ParamSpec

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.app import PREFIX, Console, _get, search_query
from console.casework import _refused, _say
from console.i18n import Labels
from console.session import Session
from domain import service_desk as desk

#: the task whose purpose covers the front desk, requests and complaints
DESK_TASK: Final = "loket"
#: what a complaint's change request may be (issue 8's kinds a complaint leads to)
CHANGE_KINDS: Final = ("PERBAIKAN", "PENONAKTIFAN")
#: the new resident's fields on the front desk form (RecordInput's, as form names)
APPLICANT_FIELDS: Final[dict[str, str]] = {
    "full_name": "fullName",
    "nik": "nik",
    "birth_date": "birthDate",
    "address": "address",
    "rt": "rt",
    "rw": "rw",
    "kelurahan": "kelurahan",
}


def request_input(
    values: Mapping[str, str], needs: list[str], channel: str, labels: Labels
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The ServiceRequestInput a form makes (the front desk's or the public
    one's), or what the person must fix first: a household picked, or a new
    resident's name; at least one need."""
    problems = []
    household = values.get("household", "").strip()
    applicant = {
        api: values.get(form, "").strip() or None for form, api in APPLICANT_FIELDS.items()
    }
    if not household and not applicant["fullName"]:
        problems.append(_say(labels["desk_need_who"]))
    if not needs:
        problems.append(_say(labels["desk_need_needs"]))
    phone = values.get("phone", "").strip() or None
    made: dict[str, Any] = {
        "channel": channel,
        "needs": needs,
        "contactPhone": phone,
        "note": values.get("note", "").strip() or None,
    }
    if household:
        made["householdId"] = household
    else:
        # the record's id at its source (the desk's channel), new for each registration
        source_id = f"{channel.lower().replace('_', '-')}-{secrets.token_hex(8)}"
        made["applicant"] = {**applicant, "phone": phone, "sourceRecordId": source_id}
    return problems, made


def verify_input(
    values: Mapping[str, str], labels: Labels
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What verifying a web-form request links it to: the household the desk found
    (its id), else the applicant as on their KTP (linked in real time)."""
    household = values.get("household", "").strip()
    if household:
        return [], {"householdId": household}
    applicant = {
        api: values.get(form, "").strip() or None for form, api in APPLICANT_FIELDS.items()
    }
    if not applicant["fullName"]:
        return [_say(labels["desk_need_who"])], {}
    source_id = f"front-desk-{secrets.token_hex(8)}"
    return [], {"applicant": {**applicant, "sourceRecordId": source_id}}


P = ParamSpec("P")
DeskPage = Callable[Concatenate["ServiceDesk", Request, Session, P], Awaitable[Response]]


def asks_purpose(page: DeskPage[P]) -> DeskPage[P]:
    """A desk page asks its task's purpose first (once a session: `DESK_TASK`)."""

    async def asked(
        pages: ServiceDesk, request: Request, session: Session, /, *args: P.args, **kwargs: P.kwargs
    ) -> Response:
        if session.purpose(DESK_TASK) is None:
            return pages.core.ask_purpose(request, DESK_TASK)
        return await page(pages, request, session, *args, **kwargs)

    return asked


class ServiceDesk:
    def __init__(self, core: Console) -> None:
        self.core = core

    def _labels(self, request: Request, session: Session) -> Labels:
        return self.core.labels(request, session)

    def _render(
        self, request: Request, template: str, status: int, session: Session, **values: Any
    ) -> Response:
        """A desk page, with its task and the purpose the session gave it."""
        return self.core.render(
            request,
            template,
            status,
            session,
            purpose=session.purpose(DESK_TASK),
            task=DESK_TASK,
            **values,
        )

    # -- Loket ---------------------------------------------------------------

    @asks_purpose
    async def desk(self, request: Request, session: Session) -> Response:
        """Find the household with the console's search, or enter a new resident;
        pick the needs and a number; register once."""
        labels = self._labels(request, session)
        q = search_query(request)
        values: dict[str, str] = {}
        needs: list[str] = []
        errors: list[dict[str, Any]] = []
        status = 200
        if request.method == "POST":
            form = await self.core.form_lists(request, session)
            needs = [n for n in form.get("needs", []) if n.strip()]
            values = {k: v[0] for k, v in form.items() if k != "needs"}
            errors, made = request_input(values, needs, "FRONT_DESK", labels)
            if not errors:
                out = await self.core.run(
                    session, "RegisterServiceRequest", DESK_TASK, request=made
                )
                registered = (out.data or {}).get("registerServiceRequest")
                if out.ok and registered:
                    return self.core.redirect(
                        f"{PREFIX}/permohonan/{registered['id']}/tanda-terima"
                    )
                errors = _refused(out.errors)
            status = 400
        searched = any(q.values())
        found = await self.core.find(session, q, DESK_TASK) if searched else None
        return self._render(
            request,
            "desk.html",
            status,
            session,
            q=q,
            searched=searched,
            found=found,
            chosen=values.get("household") or request.query_params.get("keluarga", ""),
            needs=needs,
            values=values,
            catalogue=await self.core.ppks_categories(session),
            errors=errors + (found.errors if found else []),
        )

    @asks_purpose
    async def receipt(self, request: Request, session: Session) -> Response:
        """Tanda terima: the request's number and how the resident checks it."""
        made, errors = await self._request(request, session)
        if made is None:
            return self._missing(request, session, errors, "desk_request")
        return self.core.render(request, "receipt.html", session=session, made=made)

    # -- Permohonan ----------------------------------------------------------

    @asks_purpose
    async def requests(self, request: Request, session: Session) -> Response:
        q = request.query_params
        filters = {
            # one step (the API's filter takes one), or none for every step
            "status": q.get("status", "") if q.get("status", "") in desk.STEPS else "",
            "mine": q.get("saya") == "1",
            "kelurahan": q.get("kelurahan", "").strip()[:80],
            "overdue": q.get("terlambat") == "1",
        }
        out = await self.core.run(
            session,
            "ServiceRequests",
            DESK_TASK,
            status=filters["status"] or None,
            assignedTo=session.payload.get("sub") if filters["mine"] else None,
            kelurahanCode=filters["kelurahan"] or None,
            overdue=True if filters["overdue"] else None,
        )
        found = [e["node"] for e in _get(out.data, "serviceRequests", "edges")]
        return self._render(
            request,
            "requests.html",
            200,
            session,
            # overdue first, each group as the API ordered it
            found=sorted(found, key=lambda r: not r.get("overdue")),
            filters=filters,
            steps=desk.STEPS,
            errors=out.errors,
        )

    async def _request(
        self, request: Request, session: Session
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        rid = request.path_params["request_id"]
        out = await self.core.run(session, "ServiceRequest", DESK_TASK, id=rid)
        return (out.data or {}).get("serviceRequest"), out.errors

    def _missing(
        self, request: Request, session: Session, errors: list[Any], title: str
    ) -> Response:
        labels = self._labels(request, session)
        forbidden = any(e.get("code") == "FORBIDDEN" for e in errors)
        return self.core.render(
            request,
            "message.html",
            403 if forbidden else 404,
            session,
            title=labels[title],
            text=labels["desk_not_found"],
        )

    @asks_purpose
    async def request_page(
        self,
        request: Request,
        session: Session,
        errors: list[dict[str, Any]] | None = None,
        status: int = 200,
    ) -> Response:
        made, found_errors = await self._request(request, session)
        if made is None:
            return self._missing(request, session, found_errors, "desk_request")
        return self._render(
            request,
            "request.html",
            status,
            session,
            made=made,
            errors=(errors or []) + found_errors,
            outcomes=desk.OUTCOMES,
            # what a web-form applicant typed, in the applicant fields' names
            typed={
                form: (made.get("applicant") or {}).get(api)
                for form, api in APPLICANT_FIELDS.items()
            },
            sla=desk.STEP_SLA_DAYS,
        )

    async def act(self, request: Request, session: Session) -> Response:
        """Assign, advance or end a request; the API says which the role may."""
        rid = request.path_params["request_id"]
        form = await self.core.form(request, session)
        labels = self._labels(request, session)
        action = form.get("action", "")
        note = form.get("note", "").strip()
        if action == "assign":
            out = await self.core.run(
                session,
                "AssignServiceRequest",
                DESK_TASK,
                id=rid,
                worker=form.get("worker", "").strip() or str(session.payload.get("sub", "")),
            )
        elif action == "advance":
            out = await self.core.run(
                session,
                "AdvanceServiceRequest",
                DESK_TASK,
                id=rid,
                step=form.get("step", ""),
                note=note or None,
            )
        elif action == "verify":
            problems, found = verify_input(form, labels)
            if problems:
                return await self.request_page(request, session, problems, 400)
            out = await self.core.run(session, "VerifyServiceRequest", DESK_TASK, id=rid, **found)
        elif action == "end":  # the API refuses an end without a reason
            out = await self.core.run(
                session,
                "EndServiceRequest",
                DESK_TASK,
                id=rid,
                outcome=form.get("outcome", ""),
                reason=note,
            )
        elif action == "unlock":  # Cek status' lock on the number (dinsos_admin; audited)
            made, errors = await self._request(request, session)
            if made is None:
                return self._missing(request, session, errors, "desk_request")
            out = await self.core.run(
                session, "UnlockStatusCheck", DESK_TASK, number=str(made["number"])
            )
        else:
            return await self.request_page(
                request, session, [_say(labels["desk_unknown_action"])], 400
            )
        if not out.ok:
            return await self.request_page(request, session, _refused(out.errors), 400)
        return self.core.redirect(f"{PREFIX}/permohonan/{rid}")

    # -- Pengaduan -----------------------------------------------------------

    @asks_purpose
    async def grievances(self, request: Request, session: Session) -> Response:
        values: dict[str, str] = {}
        errors: list[dict[str, Any]] = []
        status = 200
        if request.method == "POST":
            labels = self._labels(request, session)
            values = await self.core.form(request, session)
            errors, filed = grievance_input(values, labels)
            if not errors:
                out = await self.core.run(session, "FileGrievance", DESK_TASK, grievance=filed)
                made = (out.data or {}).get("fileGrievance")
                if out.ok and made:
                    return self.core.redirect(f"{PREFIX}/pengaduan/{made['id']}")
                errors = _refused(out.errors)
            status = 400
        q = request.query_params
        out = await self.core.run(
            session,
            "Grievances",
            DESK_TASK,
            kind=q.get("jenis") or None,
            status=q.get("status") or None,
        )
        found = [e["node"] for e in _get(out.data, "grievances", "edges")]
        return self._render(
            request,
            "grievances.html",
            status,
            session,
            found=sorted(found, key=lambda g: -int(g.get("escalation") or 0)),
            values=values,
            kinds=list(desk.GRIEVANCE_KINDS),
            kind=q.get("jenis", ""),
            status_filter=q.get("status", ""),
            statuses=desk.GRIEVANCE_STATUSES,
            errors=errors + out.errors,
        )

    @asks_purpose
    async def grievance(
        self,
        request: Request,
        session: Session,
        errors: list[dict[str, Any]] | None = None,
        status: int = 200,
    ) -> Response:
        gid = request.path_params["grievance_id"]
        out = await self.core.run(session, "Grievance", DESK_TASK, id=gid)
        found = (out.data or {}).get("grievance")
        if found is None:
            return self._missing(request, session, out.errors, "desk_grievance")
        return self._render(
            request,
            "grievance.html",
            status,
            session,
            g=found,
            actions=desk.GRIEVANCE_ACTIONS,
            change_kinds=CHANGE_KINDS,
            catalogue=await self.core.ppks_categories(session),
            needs=[],
            errors=(errors or []) + out.errors,
        )

    async def grievance_act(self, request: Request, session: Session) -> Response:
        """Turn a complaint into a change request, a finding or a case; or answer it."""
        gid = request.path_params["grievance_id"]
        lists = await self.core.form_lists(request, session)
        form = {k: v[0] for k, v in lists.items()}
        labels = self._labels(request, session)
        text = form.get("text", "").strip()
        action = form.get("action", "")
        if action == "answer":
            if not text:
                return await self.grievance(
                    request, session, [_say(labels["desk_need_answer"])], 400
                )
            out = await self.core.run(session, "AnswerGrievance", DESK_TASK, id=gid, answer=text)
        else:  # the API says what an action lacks (a change request's reason, a case's needs)
            out = await self.core.run(
                session,
                "ActOnGrievance",
                DESK_TASK,
                id=gid,
                action=action,
                note=text or None,
                needs=[n for n in lists.get("needs", []) if n.strip()] or None,
                changeRequest=grievance_change(form, text) if action == "CHANGE_REQUEST" else None,
            )
        if not out.ok:
            return await self.grievance(request, session, _refused(out.errors), 400)
        return self.core.redirect(f"{PREFIX}/pengaduan/{gid}")

    def routes(self) -> list[BaseRoute]:
        page = self.core.page
        return [
            Route("/loket", page(self.desk), methods=["GET", "POST"]),
            Route("/permohonan", page(self.requests)),
            Route("/permohonan/{request_id}", page(self.request_page)),
            Route("/permohonan/{request_id}/tanda-terima", page(self.receipt)),
            Route("/permohonan/{request_id}/aksi", page(self.act), methods=["POST"]),
            Route("/pengaduan", page(self.grievances), methods=["GET", "POST"]),
            Route("/pengaduan/{grievance_id}", page(self.grievance)),
            Route("/pengaduan/{grievance_id}/aksi", page(self.grievance_act), methods=["POST"]),
        ]


def grievance_input(
    values: Mapping[str, str], labels: Labels
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The GrievanceInput the complaint form makes, or what to fix first. Whether
    a kind may be anonymous is the API's rule: its refusal says so."""
    problems = []
    text = values.get("text", "").strip()
    if not values.get("kind"):
        problems.append(_say(labels["desk_need_kind"]))
    if not text:
        problems.append(_say(labels["desk_need_text"]))
    return problems, {
        "kind": values.get("kind", ""),
        "householdId": values.get("household", "").strip() or None,
        "anonymous": values.get("anonymous") == "1",
        "text": text,
        "contactPhone": values.get("phone", "").strip() or None,
    }


def grievance_change(form: Mapping[str, str], reason: str) -> dict[str, Any]:
    """The ChangeRequestInput a complaint becomes: its kind, its household, the note as reason."""
    return {
        "kind": form.get("change_kind", ""),
        "householdId": form.get("household") or None,
        "reason": reason,
    }


__all__ = ["DESK_TASK", "ServiceDesk", "grievance_input", "request_input"]
