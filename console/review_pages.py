"""Tinjauan: the clerical review of uncertain pairs, one pair a page.

The page runs `ReviewQueue` (the first open pair after the `after` cursor) and
decides through `DecideReviewPair`, as the signed-in person, so only the roles
that may decide see a pair. A decision is a CSRF-protected POST that redirects
to the next pair: a decided pair leaves the queue, so the next one takes its
place (same `after`); a skipped one stays, and the page moves past it (its own
cursor). The keys (s/y, n/t, k/space) are `static/tinjauan.js`; the buttons do
the same without it.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from console.app import HEADERS, PREFIX, Console, Refused
from console.i18n import Labels
from console.runner import Outcome
from console.session import Session

#: the task whose purpose covers reviewing pairs
TASK: Final = "tinjauan"
PATH: Final = "/tinjauan"
DECISIONS: Final = {"same": "SAME", "not_same": "NOT_SAME"}
#: this page runs its own script (the keys), from the console's static files only
CSP: Final = HEADERS["Content-Security-Policy"] + "; script-src 'self'"


class ReviewPages:
    def __init__(self, core: Console) -> None:
        self.core = core

    async def show(self, request: Request, session: Session) -> Response:
        if session.purpose(TASK) is None:
            return self.core.ask_purpose(request, TASK)
        after = request.query_params.get("after") or None
        return await self._page(request, session, after, request.query_params.get("done"))

    async def decide(self, request: Request, session: Session) -> Response:
        form = await self.core.form(request, session)
        choice = form.get("decision", "")
        after = form.get("after") or None
        if choice == "skip":
            return self.core.redirect(_url(form.get("cursor") or after))
        if choice not in DECISIONS:
            raise Refused(400, Labels()["review_bad_choice"])
        if session.purpose(TASK) is None:
            return self.core.ask_purpose(request, TASK)
        out = await self.core.run(
            session,
            "DecideReviewPair",
            TASK,
            left=form.get("left", ""),
            right=form.get("right", ""),
            decision=DECISIONS[choice],
        )
        if out.errors:
            return await self._page(request, session, after, None, out)
        return self.core.redirect(_url(after, done=choice))

    async def _page(
        self,
        request: Request,
        session: Session,
        after: str | None,
        done: str | None,
        failed: Outcome | None = None,
    ) -> Response:
        out = await self.core.run(session, "ReviewQueue", TASK, after=after)
        errors = [*(failed.errors if failed else []), *out.errors]
        queue = (out.data or {}).get("reviewQueue") or {}
        edges: list[dict[str, Any]] = queue.get("edges") or []
        refused = any(e.get("code") == "FORBIDDEN" for e in errors)
        status = 403 if refused else 400 if failed else 200
        response = self.core.render(
            request,
            "review.html",
            status,
            session=session,
            pair=edges[0]["node"] if edges else None,
            cursor=edges[0]["cursor"] if edges else "",
            after=after or "",
            total=queue.get("totalCount"),
            done=done if done in DECISIONS else None,
            refused=refused,
            errors=errors,
            purpose=session.purpose(TASK),
            purpose_task=TASK,
        )
        response.headers["Content-Security-Policy"] = CSP
        return response

    async def endpoint(self, request: Request, session: Session) -> Response:
        if request.method == "POST":
            return await self.decide(request, session)
        return await self.show(request, session)

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.core.page(self.endpoint), methods=["GET", "POST"])]


def _url(after: str | None, **extra: str) -> str:
    query = {**({"after": after} if after else {}), **extra}
    return f"{PREFIX}{PATH}" + (f"?{urlencode(query)}" if query else "")


__all__ = ["ReviewPages"]
