"""Usulan: the change-request inbox (usulan, perbaikan, penonaktifan).

`/usulan` lists the requests by status and kind (`ChangeRequestInbox`);
`/usulan/<id>` opens one with what it rests on (reason, corrections, history,
who took each step) and offers the steps its status allows: verify, approve,
apply, or reject with a reason, each a CSRF-protected POST running the API's
own mutation. Who may take a step, and the four-eyes rule (the verifier does
not approve), are the API's (schema.change_requests); the page words its
refusals in Bahasa Indonesia (`REFUSALS`).
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.app import PREFIX, Console, Refused
from console.i18n import Labels
from console.runner import Outcome
from console.session import Session

#: the task whose purpose covers reading and moving change requests
TASK: Final = "usulan"
PATH: Final = "/usulan"
STATUSES: Final = ("FILED", "VERIFIED", "APPROVED", "APPLIED", "REJECTED")
KINDS: Final = ("USULAN", "PERBAIKAN", "PENONAKTIFAN")
#: step -> its mutation (console/operations), and the status it may leave
STEPS: Final = {
    "verify": ("VerifyChangeRequest", "FILED"),
    "approve": ("ApproveChangeRequest", "VERIFIED"),
    "apply": ("ApplyChangeRequest", "APPROVED"),
}
OPEN: Final = frozenset({"FILED", "VERIFIED", "APPROVED"})
#: (error code, words in the API's message) -> the label that says it in the page's language
REFUSALS: Final = (
    ("BAD_USER_INPUT", "four eyes", "changes_four_eyes"),
    ("BAD_USER_INPUT", "moved on meanwhile", "changes_moved_on"),
    ("BAD_USER_INPUT", "is closed", "changes_closed"),
    ("BAD_USER_INPUT", "must not be empty", "changes_reason_needed"),
    ("BAD_USER_INPUT", "moves to", "changes_wrong_step"),
    ("FORBIDDEN", "", "changes_forbidden"),
    ("NOT_FOUND", "", "changes_not_found"),
)


class ChangePages:
    def __init__(self, core: Console) -> None:
        self.core = core

    async def inbox(self, request: Request, session: Session) -> Response:
        if session.purpose(TASK) is None:
            return self.core.ask_purpose(request, TASK)
        q = request.query_params
        status = q.get("status", "FILED")
        kind = q.get("kind", "")
        if status not in (*STATUSES, "") or kind not in (*KINDS, ""):
            raise Refused(400, Labels()["changes_bad_filter"])
        out = await self.core.run(
            session,
            "ChangeRequestInbox",
            TASK,
            status=status or None,
            kind=kind or None,
            after=q.get("after") or None,
        )
        found = (out.data or {}).get("changeRequests") or {}
        return self.core.render(
            request,
            "changes.html",
            _status(out),
            session=session,
            requests=[e["node"] for e in found.get("edges") or []],
            total=found.get("totalCount"),
            more=(found.get("pageInfo") or {}).get("endCursor")
            if (found.get("pageInfo") or {}).get("hasNextPage")
            else None,
            chosen_status=status,
            chosen_kind=kind,
            statuses=STATUSES,
            kinds=KINDS,
            errors=_worded(out.errors, request),
            purpose=session.purpose(TASK),
            purpose_task=TASK,
        )

    async def one(self, request: Request, session: Session) -> Response:
        if request.method == "POST":
            return await self.move(request, session)
        if session.purpose(TASK) is None:
            return self.core.ask_purpose(request, TASK)
        return await self._page(request, session, request.query_params.get("done"))

    async def move(self, request: Request, session: Session) -> Response:
        form = await self.core.form(request, session)
        rid = request.path_params["request_id"]
        step = form.get("step", "")
        if session.purpose(TASK) is None:
            return self.core.ask_purpose(request, TASK)
        if step == "reject":
            out = await self.core.run(
                session, "RejectChangeRequest", TASK, id=rid, reason=form.get("reason", "")
            )
        elif step in STEPS:
            out = await self.core.run(session, STEPS[step][0], TASK, id=rid)
        else:
            raise Refused(400, Labels()["changes_bad_step"])
        if out.errors:
            return await self._page(request, session, None, out)
        return self.core.redirect(f"{PREFIX}{PATH}/{quote(rid, safe='')}?done={step}")

    async def _page(
        self, request: Request, session: Session, done: str | None, failed: Outcome | None = None
    ) -> Response:
        rid = request.path_params["request_id"]
        out = await self.core.run(session, "ChangeRequest", TASK, id=rid)
        found: dict[str, Any] | None = (out.data or {}).get("changeRequest")
        errors = [*(failed.errors if failed else []), *out.errors]
        status = _status(failed) if failed else (_status(out) if found is None else 200)
        current = str(found["status"]) if found else ""
        return self.core.render(
            request,
            "change.html",
            status,
            session=session,
            request_=found,
            steps=[s for s, (_, leaves) in STEPS.items() if leaves == current],
            can_reject=current in OPEN,
            done=done if done in (*STEPS, "reject") else None,
            errors=_worded(errors, request),
            purpose=session.purpose(TASK),
            purpose_task=TASK,
        )

    def routes(self) -> list[BaseRoute]:
        return [
            Route(PATH, self.core.page(self.inbox)),
            Route(PATH + "/{request_id}", self.core.page(self.one), methods=["GET", "POST"]),
        ]


def _status(out: Outcome) -> int:
    codes = {e.get("code") for e in out.errors}
    if "FORBIDDEN" in codes:
        return 403
    if "NOT_FOUND" in codes:
        return 404
    return 400 if out.errors else 200


def _worded(errors: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    """The API's errors in the page's language, the API's own words kept as the detail."""
    labels = Labels(request.query_params.get("lang") or "id")
    out = []
    for e in errors:
        message = str(e.get("message") or "")
        key = next(
            (k for code, words, k in REFUSALS if e.get("code") == code and words in message),
            None,
        )
        out.append({**e, "message": labels[key] if key else message, "detail": message})
    return out


__all__ = ["ChangePages"]
