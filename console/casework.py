"""Casework pages: the assessment (Asesmen) and referral (Rujukan) forms of a
household, and the receiving organization's inbox (Kotak masuk).

Like every page they act only through the console's operations, as the
signed-in principal: which moves a referral may make next, whether it is
overdue and who may see it are the API's answers, not this module's. The
forms check what a person types (dates, required text) first, so a mistake
gets a plain Indonesian message next to the form rather than an API error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.app import PREFIX, SEARCH_TASK, Console, _get
from console.i18n import Labels
from console.session import Session

#: the task whose purpose covers the inbox (reading the referrals sent to you)
INBOX_TASK: Final = "rujukan"
#: the move that sends the household on to another organization (`referOnward`)
ONWARD: Final = "REFERRED_ONWARD"
#: referral moves that need a note, and the label of the note each asks for
NOTE_FOR: Final[dict[str, str]] = {
    "DECLINED": "reason",
    "COMPLETED": "outcome",
    ONWARD: "note",
}
#: the move that belongs to the sender; the inbox offers the others
SENDER_MOVE: Final = "CANCELLED"
ORG_PROGRAM_SEP: Final = "|"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def household_problems(household: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The household's problems and its members', each once."""
    seen: dict[str, dict[str, Any]] = {}
    for p in [
        *household.get("problems", []),
        *(q for m in household.get("members", []) for q in m.get("problems", [])),
    ]:
        seen.setdefault(p["code"], p)
    return sorted(seen.values(), key=lambda p: p["code"])


def matched_programs(catalogue: list[dict[str, Any]], problems: list[str]) -> list[dict[str, Any]]:
    """Catalogue programs addressing any of `problems`; the whole catalogue when none does."""
    wanted = set(problems)
    matched = [p for p in catalogue if wanted & set(p.get("ppks") or [])]
    return matched or catalogue


class Casework:
    def __init__(self, core: Console) -> None:
        self.core = core

    async def _household(
        self, request: Request, session: Session
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        hid = request.path_params["household_id"]
        out = await self.core.run(session, "Household", SEARCH_TASK, id=hid)
        household = (out.data or {}).get("household")
        return household, out.errors

    def _missing(self, request: Request, session: Session, errors: list[Any]) -> Response:
        labels = Labels()
        return self.core.render(
            request,
            "message.html",
            403 if any(e.get("code") == "FORBIDDEN" for e in errors) else 404,
            session,
            title=labels["household"],
            text=labels["household_not_open"],
        )

    # -- Asesmen -------------------------------------------------------------

    async def assessment(self, request: Request, session: Session) -> Response:
        if session.purpose(SEARCH_TASK) is None:
            return self.core.ask_purpose(request, SEARCH_TASK)
        form = await self.core.form_lists(request, session) if request.method == "POST" else {}
        household, errors = await self._household(request, session)
        if household is None:
            return self._missing(request, session, errors)
        editing = next(
            (
                a
                for a in household["assessments"]
                if a["id"] == request.query_params.get("ubah", "")
            ),
            None,
        )
        if request.method == "GET":
            values = _assessment_values(editing)
            return await self._assessment_form(request, session, household, editing, values, [])
        values = {k: v if k in ("ppks", "programs") else v[0] for k, v in form.items()}
        problems, variables = _assessment_input(values, household["id"])
        if problems:
            return await self._assessment_form(
                request, session, household, editing, values, problems, 400
            )
        if editing is not None:
            out = await self.core.run(
                session, "ReviseAssessment", SEARCH_TASK, id=editing["id"], assessment=variables
            )
        else:
            out = await self.core.run(
                session, "RecordAssessment", SEARCH_TASK, assessment=variables
            )
        if not out.ok:
            return await self._assessment_form(
                request, session, household, editing, values, _refused(out.errors), 400
            )
        return self.core.redirect(f"{PREFIX}/keluarga/{household['id']}#s-assessments")

    async def _assessment_form(
        self,
        request: Request,
        session: Session,
        household: dict[str, Any],
        editing: dict[str, Any] | None,
        values: Mapping[str, Any],
        errors: list[dict[str, Any]],
        status: int = 200,
    ) -> Response:
        problems = household_problems(household)
        catalogue = await self.core.run(session, "ProgramCatalogue", None)
        programs = matched_programs(
            list((catalogue.data or {}).get("programs") or []), [p["code"] for p in problems]
        )
        return self.core.render(
            request,
            "assessment.html",
            status,
            session,
            household=household,
            editing=editing,
            values=values,
            problems=problems,
            programs=programs,
            errors=errors + catalogue.errors,
            purpose=session.purpose(SEARCH_TASK),
        )

    # -- Rujukan -------------------------------------------------------------

    async def referral(self, request: Request, session: Session) -> Response:
        if session.purpose(SEARCH_TASK) is None:
            return self.core.ask_purpose(request, SEARCH_TASK)
        values = await self.core.form(request, session) if request.method == "POST" else {}
        household, errors = await self._household(request, session)
        if household is None:
            return self._missing(request, session, errors)
        problems = household_problems(household)
        q = request.query_params
        ppks = q.get("ppks", problems[0]["code"] if problems else "")
        area = q.get("kelurahan", household.get("kelurahanCode") or "")
        problems_found: list[dict[str, Any]] = []
        if request.method == "POST":
            org, _, program = values.get("choice", "").partition(ORG_PROGRAM_SEP)
            if not org:
                problems_found.append(_say(Labels()["choose_receiver"]))
            else:
                out = await self.core.run(
                    session,
                    "CreateReferral",
                    SEARCH_TASK,
                    referral={
                        "householdId": household["id"],
                        "toOrganization": org,
                        "program": program or None,
                        "note": values.get("note", "").strip() or None,
                    },
                )
                if out.ok:
                    return self.core.redirect(f"{PREFIX}/keluarga/{household['id']}#s-referrals")
                problems_found += _refused(out.errors)
        directory = await self.core.run(
            session, "ServiceDirectory", None, ppks=ppks or None, kelurahanCode=area or None
        )
        return self.core.render(
            request,
            "referral.html",
            400 if problems_found else 200,
            session,
            household=household,
            problems=problems,
            filters={"ppks": ppks, "kelurahan": area},
            directory=list((directory.data or {}).get("serviceDirectory") or []),
            values=values,
            errors=problems_found + directory.errors,
            purpose=session.purpose(SEARCH_TASK),
            sep=ORG_PROGRAM_SEP,
        )

    # -- Kotak masuk ---------------------------------------------------------

    async def inbox(self, request: Request, session: Session) -> Response:
        if session.purpose(INBOX_TASK) is None:
            return self.core.ask_purpose(request, INBOX_TASK)
        return await self._inbox(request, session, [])

    async def _inbox(
        self, request: Request, session: Session, errors: list[dict[str, Any]], status: int = 200
    ) -> Response:
        q = request.query_params
        overdue = q.get("terlambat") == "1"
        out = await self.core.run(
            session,
            "Inbox",
            INBOX_TASK,
            organization=session.organization,
            status=[q["status"]] if q.get("status") else None,
            overdue=overdue,
        )
        referrals = [e["node"] for e in _get(out.data, "referrals", "edges")]
        incoming = sorted(
            (r for r in referrals if r["toOrganization"] == session.organization),
            key=lambda r: not r["overdue"],
        )
        sent = [r for r in referrals if r["toOrganization"] != session.organization]
        onward = any(ONWARD in r["nextStatuses"] for r in incoming)
        directory = await self.core.run(session, "ServiceDirectory", None) if onward else None
        return self.core.render(
            request,
            "inbox.html",
            status,
            session,
            incoming=incoming,
            sent=sent,
            overdue_only=overdue,
            status_filter=q.get("status", ""),
            directory=list(
                ((directory.data if directory else None) or {}).get("serviceDirectory") or []
            ),
            note_for=NOTE_FOR,
            sender_move=SENDER_MOVE,
            errors=errors + out.errors,
            purpose=session.purpose(INBOX_TASK),
            task=INBOX_TASK,
        )

    async def move(self, request: Request, session: Session) -> Response:
        """Answer a referral (or cancel one you sent). Referring it onward is one
        API call (`referOnward`): the referral to the next organization and this
        one's move are made together, and the same form posted twice makes one."""
        rid = request.path_params["referral_id"]
        form = await self.core.form(request, session)
        labels = Labels()
        target = form.get("status", "")
        note = form.get("note", "").strip()
        if target in NOTE_FOR and not note:
            return await self._inbox(
                request, session, [_say(labels[f"need_{NOTE_FOR[target]}"])], 400
            )
        if target == ONWARD:
            org = form.get("to", "").strip()
            if not org:
                return await self._inbox(request, session, [_say(labels["choose_receiver"])], 400)
            out = await self.core.run(
                session, "ReferOnward", INBOX_TASK, id=rid, toOrganization=org, note=note
            )
        else:
            out = await self.core.run(
                session, "AdvanceReferral", INBOX_TASK, id=rid, status=target, note=note or None
            )
        if not out.ok:
            codes = {e.get("code") for e in out.errors}
            status = 404 if "NOT_FOUND" in codes else 403 if "FORBIDDEN" in codes else 400
            return await self._inbox(request, session, _refused(out.errors), status)
        return self.core.redirect(f"{PREFIX}/kotak-masuk")

    def routes(self) -> list[BaseRoute]:
        page = self.core.page
        return [
            Route(
                "/keluarga/{household_id}/asesmen",
                page(self.assessment),
                methods=["GET", "POST"],
            ),
            Route("/keluarga/{household_id}/rujukan", page(self.referral), methods=["GET", "POST"]),
            Route("/kotak-masuk", page(self.inbox)),
            Route("/rujukan/{referral_id}", page(self.move), methods=["POST"]),
        ]


def _assessment_values(editing: Mapping[str, Any] | None) -> dict[str, Any]:
    """The form's values: those of the assessment edited, else today's blank form."""
    if editing is None:
        return {"assessed_on": date.today().isoformat(), "ppks": [], "programs": []}
    return {
        "assessed_on": editing.get("assessedOn") or "",
        "ppks": list(editing.get("ppks") or []),
        "plan": editing.get("plan") or "",
        "goals": "\n".join(editing.get("goals") or []),
        "programs": list(editing.get("programs") or []),
        "follow_up_on": editing.get("followUpOn") or "",
        "notes": editing.get("notes") or "",
    }


def _assessment_input(
    values: Mapping[str, Any], household_id: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The AssessmentInput a form makes, or what is wrong with it (in Indonesian)."""
    labels = Labels()
    problems = []
    assessed = _date(str(values.get("assessed_on", "")))
    if assessed is None:
        problems.append(_say(labels["bad_assessed_on"]))
    follow = str(values.get("follow_up_on", "")).strip()
    follow_up = _date(follow) if follow else None
    if follow and follow_up is None:
        problems.append(_say(labels["bad_follow_up"]))
    elif follow_up is not None and assessed is not None and follow_up < assessed:
        problems.append(_say(labels["follow_up_before"]))
    ppks = [p for p in values.get("ppks", []) if p.strip()]
    if not ppks:
        problems.append(_say(labels["need_ppks"]))
    plan = str(values.get("plan", "")).strip()
    if not plan:
        problems.append(_say(labels["need_plan"]))
    return problems, {
        "householdId": household_id,
        "assessedOn": assessed.isoformat() if assessed else None,
        "ppks": ppks,
        "plan": plan,
        "notes": str(values.get("notes", "")).strip() or None,
        "goals": _lines(str(values.get("goals", ""))),
        "programs": list(values.get("programs", [])),
        "followUpOn": follow_up.isoformat() if follow_up else None,
    }


def _say(message: str) -> dict[str, Any]:
    """A form's own complaint, as the error list shows it."""
    return {"message": message, "code": None}


def _refused(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The API's refusal, introduced in Indonesian (its message says what to fix)."""
    intro = Labels()["api_refused"]
    return [{"message": f"{intro} {e['message']}", "code": e.get("code")} for e in errors]


__all__ = ["INBOX_TASK", "Casework", "household_problems", "matched_programs"]
