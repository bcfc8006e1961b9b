"""The console's pages and the object that holds what they share.

`Console` holds the runner (console.runner), the session store the hub hands
over (console.session), the templates and the settings; `routes()` are the
pages, mounted by hub/console.py under /app. Pages never read the graph or
staging themselves: each runs named operations as the signed-in principal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from console.i18n import LANGUAGES, Labels
from console.runner import Outcome, Runner
from console.session import Session, SessionStore, from_another_site
from domain.targeting import FINDINGS_WINDOW

HERE: Final = Path(__file__).parent
PREFIX: Final = "/app"
#: the task whose purpose covers searching and reading households
SEARCH_TASK: Final = "cari"
MAX_FORM_BYTES: Final = 16_384
#: the search form's fields (query parameters of /app/cari)
SEARCH_FIELDS: Final = ("name", "nik", "kk", "kelurahan", "rt", "rw", "address", "ppks", "decile")
#: the household page's duplicated-aid warnings cover this long up to today by default
AID_WINDOW: Final = FINDINGS_WINDOW
#: the targeting findings' kinds (the API's TargetingKind), in the dashboard's order
FINDING_KINDS: Final = ("EXCLUSION", "INCLUSION", "DUPLICATION")
#: the dashboard's front-desk figures cover this long up to today
DESK_WINDOW: Final = timedelta(days=30)

HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: no Referer leaves for another site either way, but
    # under no-referrer the browser sends `Origin: null` with our own sign-in form's
    # POST, and over plain HTTP (no Sec-Fetch-Site) the login-CSRF check
    # (console.session.from_another_site) can then only refuse it
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


def office_day_text(value: object, day_of: Callable[[datetime], date]) -> str:
    """`2026-12-02T23:30:00Z` -> `2026-12-03` by `day_of` (the hub passes
    `domain.service_desk.office_day` in the office's time zone); a day as it is;
    "" for nothing."""
    text = str(value or "")
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text[:10]
    if "T" not in text:
        return text[:10]
    return day_of(at if at.tzinfo is not None else at.replace(tzinfo=UTC)).isoformat()


@dataclass(frozen=True)
class ConsoleSettings:
    purposes: Sequence[tuple[str, str]]
    """The purpose registry as (code, name), offered when a task asks its purpose."""
    dashboard_roles: frozenset[str]
    """The roles that see the full /dashboard (the hub's `DASHBOARD_ROLES`, not a copy)."""
    refusals: tuple[type[Exception], ...] = field(default_factory=tuple)
    """Exceptions `principal_of` raises to refuse a session (e.g. over the rate limit)."""
    office_day: Callable[[datetime], date] = _utc_day
    """The office's day of a time (the hub's `domain.service_desk.office_day` in its
    time zone): the day a request was registered or moved, as the resident reads it."""


@dataclass
class Found:
    """What the console's search found (`Console.find`)."""

    persons: list[Any] = field(default_factory=list)
    households: list[Any] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)


def search_query(request: Request) -> dict[str, str]:
    """The search form's fields from the query string, trimmed."""
    return {k: request.query_params.get(k, "").strip()[:200] for k in SEARCH_FIELDS}


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Console:
    def __init__(
        self,
        runner: Runner,
        sessions: SessionStore,
        principal_of: Callable[[Mapping[str, Any]], Any],
        settings: ConsoleSettings,
        check_login: Callable[[Request], None] = lambda _r: None,
    ) -> None:
        """`principal_of`: the principal a session payload names (raises one of
        `settings.refusals` to refuse it); `check_login`: raises one of them
        when a client tries too many sign-ins."""
        self.runner = runner
        self.sessions = sessions
        self.principal_of = principal_of
        self.settings = settings
        self.check_login = check_login
        self._ppks: dict[str, list[Any]] = {}
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        # a time the API gives (ISO, UTC) as the office's day (WIB), not UTC's
        self.templates.filters["office_day"] = lambda v: office_day_text(v, settings.office_day)

    # -- rendering ---------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        status: int = 200,
        session: Session | None = None,
        lang: str | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """`lang`: the language to render in, else the session's (`labels`)."""
        labels = Labels(lang) if lang else self.labels(request, session)
        text = self.templates.get_template(template).render(
            labels=labels,
            lang=labels.lang,
            languages=LANGUAGES,
            session=session,
            prefix=PREFIX,
            path=request.url.path,
            here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **values,
        )
        return HTMLResponse(text, status_code=status, headers=HEADERS)

    def labels(self, request: Request, session: Session | None = None) -> Labels:
        """The catalogue in the session's language; before sign-in, the `lang` asked
        for in the query (the sign-in page's language links)."""
        session = session or self.session(request)
        lang = session.lang if session and session.lang else request.query_params.get("lang")
        return Labels(lang or LANGUAGES[0])

    def message(self, request: Request, status: int, title: str, text: str) -> HTMLResponse:
        return self.render(
            request, "message.html", status, self.session(request), title=title, text=text
        )

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=HEADERS)

    # -- sessions ----------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        payload = self.sessions.current(request)
        return Session(payload) if payload else None

    async def form(self, request: Request, session: Session | None) -> dict[str, str]:
        """The POSTed form; Refused(403) unless it carries the session's CSRF token."""
        return {k: v[0] for k, v in (await self.form_lists(request, session)).items()}

    async def form_lists(self, request: Request, session: Session | None) -> dict[str, list[str]]:
        """The POSTed form with every value of a repeated field (checkboxes);
        Refused(403) unless it carries the session's CSRF token."""
        body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace")
        form = parse_qs(body)
        if session is None or not session.csrf_ok(next(iter(form.get("csrf") or []), None)):
            raise Refused(403, self.labels(request, session)["csrf"])
        return form

    async def run(
        self, session: Session, operation: str, task: str | None, **variables: Any
    ) -> Outcome:
        try:
            principal = self.principal_of(session.payload)
        except self.settings.refusals as exc:
            raise Refused(getattr(exc, "status_code", 403), str(exc)) from exc
        purpose = session.purpose(task) if task else None
        return await self.runner.run(operation, principal, purpose=purpose, variables=variables)

    # -- pages -------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """Sign-in with an API key or a staff JWT (the form, or `Authorization: Bearer`
        on GET), or with a one-time link (`?token=`)."""
        labels = self.labels(request, None)
        bearer = request.method == "GET" and "authorization" in request.headers
        if request.method == "GET" and not bearer:
            token = request.query_params.get("token")
            if not token:
                return self.render(request, "login.html", error=None)
            payload = self.sessions.redeem_link(token)
            if payload is None:
                return self.render(request, "login.html", 401, error=labels["bad_link"])
            return self.signed_in(payload, labels.lang)
        if not bearer and from_another_site(request):  # login CSRF (console.session)
            return self.render(request, "login.html", 403, error=labels["login_cross_site"])
        try:
            self.check_login(request)
        except self.settings.refusals:
            return self.render(request, "login.html", 429, error=labels["too_many"])
        if bearer:
            scheme, _, credential = request.headers["authorization"].partition(" ")
            credential = credential if scheme.lower() == "bearer" else ""
            kind = "token"
        else:
            body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace")
            form = {k: v[0] for k, v in parse_qs(body).items()}
            labels = Labels(form.get("lang") or labels.lang)
            kind = "token" if form.get("token", "").strip() else "api_key"
            credential = form.get(kind, "")
        try:
            payload = self.sessions.with_credential(credential)
        except self.settings.refusals as exc:
            error = _refusal(labels, kind, exc)
            return self.render(request, "login.html", 401, lang=labels.lang, error=error)
        return self.signed_in(payload, labels.lang)

    def signed_in(self, payload: dict[str, Any], lang: str) -> Response:
        response = self.redirect(f"{PREFIX}/cari")
        self.sessions.store(response, {**payload, "lang": lang})
        return response

    async def language(self, request: Request, session: Session) -> Response:
        """The header's language control: the pages' language, kept in the session."""
        form = await self.form(request, session)
        lang = form.get("lang", "")
        if lang not in LANGUAGES:
            raise Refused(400, f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
        response = self.redirect(_local(form.get("next")))
        self.sessions.store(response, session.with_lang(lang))
        return response

    async def logout(self, request: Request) -> Response:
        await self.form(request, self.session(request))
        response = self.redirect(f"{PREFIX}/login")
        self.sessions.clear(response)
        return response

    async def purpose(self, request: Request, session: Session) -> Response:
        task = request.query_params.get("task") or SEARCH_TASK
        back = _local(request.query_params.get("next"))
        if request.method == "GET":
            return self.render(
                request,
                "purpose.html",
                session=session,
                task=task,
                next=back,
                purposes=self.settings.purposes,
                current=session.purpose(task),
            )
        form = await self.form(request, session)
        codes = {code for code, _ in self.settings.purposes}
        code = form.get("purpose", "")
        if code not in codes:
            raise Refused(400, f"unknown purpose {code!r}: pick one from the list")
        note = form.get("note", "").strip()[:200]
        response = self.redirect(_local(form.get("next")))
        self.sessions.store(
            response,
            session.with_purpose(form.get("task") or task, f"{code}: {note}" if note else code),
        )
        return response

    def ask_purpose(self, request: Request, task: str) -> Response:
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return self.redirect(f"{PREFIX}/tujuan?" + urlencode({"task": task, "next": back}))

    async def search(self, request: Request, session: Session) -> Response:
        q = search_query(request)
        searched = any(q.values())
        if searched and session.purpose(SEARCH_TASK) is None:
            return self.ask_purpose(request, SEARCH_TASK)
        found = await self.find(session, q) if searched else Found()
        return self.render(
            request,
            "search.html",
            session=session,
            q=q,
            searched=searched,
            persons=found.persons,
            households=found.households,
            totals=found.totals,
            ppks=await self.ppks_categories(session),
            deciles=range(1, 11),
            errors=found.errors,
            purpose=session.purpose(SEARCH_TASK),
        )

    async def find(self, session: Session, q: Mapping[str, str], task: str = SEARCH_TASK) -> Found:
        """The console's search (the Cari page's, and the front desk's): persons by
        name, households by the other fields, as the signed-in principal with the
        purpose stated for `task`."""
        found = Found()
        area = {k: q.get(k) or None for k in ("kelurahan", "rt", "rw")}
        by_household = any(q.get(k) for k in ("nik", "kk", "address", "ppks", "decile"))
        if q.get("name"):
            out = await self.run(session, "SearchPersons", task, name=q["name"], **area)
            found.errors += out.errors
            found.persons = [e["node"] for e in _get(out.data, "searchPersons", "edges")]
            found.totals["persons"] = _total(out.data, "searchPersons")
        if by_household or (any(q.values()) and not q.get("name")):
            out = await self.run(session, "SearchHouseholds", task, filter=_household_filter(q))
            found.errors += out.errors
            found.households = [e["node"] for e in _get(out.data, "households", "edges")]
            found.totals["households"] = _total(out.data, "households")
        return found

    async def ppks_categories(self, session: Session) -> list[Any]:
        """The PPKS list for the search form: reference data, asked once per role
        (a role without special-category access is offered fewer)."""
        if session.role not in self._ppks:
            out = await self.run(session, "PpksCategories", None)
            found = _get(out.data, "ppksCategories")
            if not found:
                return []
            self._ppks[session.role] = found
        return self._ppks[session.role]

    async def household(self, request: Request, session: Session) -> Response:
        if session.purpose(SEARCH_TASK) is None:
            return self.ask_purpose(request, SEARCH_TASK)
        hid = request.path_params["household_id"]
        out = await self.run(session, "Household", SEARCH_TASK, id=hid)
        if out.data is None or out.data.get("household") is None:
            return self.render(
                request,
                "household.html",
                404 if not out.errors else 403,
                session=session,
                household=None,
                errors=out.errors,
                change_requests=[],
                duplicated_aid=[],
                aid_period=_period(request),
                errors_aid=[],
                timeline=[],
                purpose=session.purpose(SEARCH_TASK),
            )
        household = out.data["household"]
        changes = await self.run(
            session, "HouseholdChangeRequests", SEARCH_TASK, household=household["id"]
        )
        requests = [e["node"] for e in _get(changes.data, "changeRequests", "edges")]
        start, end = _period(request)
        found = await self.run(
            session,
            "HouseholdDuplicatedAid",
            SEARCH_TASK,
            id=household["id"],
            **{"from": start.isoformat(), "to": end.isoformat()},
        )
        return self.render(
            request,
            "household.html",
            session=session,
            household=household,
            errors=out.errors,
            change_requests=requests,
            duplicated_aid=[e["node"] for e in _get(found.data, "duplicatedAid", "edges")],
            aid_period=(start, end),
            errors_aid=found.errors,
            timeline=timeline(household),
            purpose=session.purpose(SEARCH_TASK),
        )

    async def household_pick(self, request: Request, session: Session) -> Response:
        hid = request.query_params.get("id", "").strip()
        if hid:
            return self.redirect(f"{PREFIX}/keluarga/{hid}")
        return self.render(request, "household_pick.html", session=session)

    async def caseload(self, request: Request, session: Session) -> Response:
        if session.purpose(SEARCH_TASK) is None:
            return self.ask_purpose(request, SEARCH_TASK)
        out = await self.run(session, "Caseload", SEARCH_TASK)
        data = out.data or {}
        gaps = _get(data, "coverageGaps", "households", "edges")
        mine = await self.run(
            session, "CaseloadMine", SEARCH_TASK, organization=session.organization
        )
        return self.render(
            request,
            "caseload.html",
            session=session,
            follow_ups=[e["node"] for e in _get(mine.data, "followUps", "edges")],
            # my households: those of the assessments I signed, each once, soonest due first
            households=list(
                {
                    e["node"]["householdId"]: e["node"]
                    for e in reversed(_get(mine.data, "households", "edges"))
                }.values()
            )[::-1],
            waiting=[e["node"] for e in _get(mine.data, "waiting", "edges")],
            today=date.today().isoformat(),
            errors_mine=mine.errors,
            filed=[e["node"] for e in _get(data, "filed", "edges")],
            verified=[e["node"] for e in _get(data, "verified", "edges")],
            gaps=[e["node"] for e in gaps],
            gaps_total=(data.get("coverageGaps") or {}).get("totalHouseholds"),
            errors=out.errors,
        )

    async def dashboard(self, request: Request, session: Session) -> Response:
        out = await self.run(session, "Poverty", None)
        data = out.data or {}
        gaps: dict[str, int | None] = {}
        for c in _get(data, "coverageGaps", "counts"):
            code = c.get("kecamatanCode") or "-"
            if c.get("households") is None or gaps.get(code, 0) is None:
                gaps[code] = None  # a withheld count makes the area's sum unknown
            else:
                gaps[code] = (gaps.get(code) or 0) + c["households"]
        funding = await self.run(session, "Funding", None)
        # the funding picture is for roles that read budgets; others see no section
        refused = any(e.get("code") == "FORBIDDEN" for e in funding.errors)
        start, end = _period(request)
        period = {"from": start.isoformat(), "to": end.isoformat()}
        summary = await self.run(session, "TargetingSummary", None, **period)
        # the findings' counts are for roles that read city aggregates; others see none
        unseen = any(e.get("code") == "FORBIDDEN" for e in summary.errors)
        # so are the front desk's figures (layanan satu pintu), for the roles that may read them
        today = date.today()
        desk = await self.run(
            session,
            "ServiceDeskSummary",
            None,
            **{"from": (today - DESK_WINDOW).isoformat(), "to": today.isoformat()},
        )
        desk_refused = any(e.get("code") == "FORBIDDEN" for e in desk.errors)
        return self.render(
            request,
            "dashboard.html",
            session=session,
            headline=data.get("povertyTarget"),
            areas=list(data.get("povertyIndicators") or []),
            gaps=gaps,
            gaps_total=(data.get("coverageGaps") or {}).get("totalHouseholds"),
            funding=None if refused else (funding.data or {}).get("fundingPool"),
            desk=None if desk_refused else (desk.data or {}).get("serviceDeskSummary"),
            errors=out.errors
            + ([] if refused else funding.errors)
            + ([] if unseen else summary.errors)
            + ([] if desk_refused else desk.errors),
            full=session.role in self.settings.dashboard_roles,
            findings=None if unseen else findings_by_area(_get(summary.data, "targetingSummary")),
            findings_period=(start, end),
            finding_kinds=FINDING_KINDS,
            kecamatan_names={
                a.get("code"): a.get("name") for a in data.get("povertyIndicators") or []
            },
            # the households behind a count: for the roles that read named findings
            findings_linked=session.role in self.settings.dashboard_roles,
        )

    async def findings(self, request: Request, session: Session) -> Response:
        """The households behind a dashboard count: targeting findings of one
        kind in one area (`?area=`, `?kind=`) over the dashboard's period."""
        if session.purpose(SEARCH_TASK) is None:
            return self.ask_purpose(request, SEARCH_TASK)
        start, end = _period(request)
        q = request.query_params
        kind = q.get("kind") if q.get("kind") in FINDING_KINDS else None
        out = await self.run(
            session,
            "TargetingFindings",
            SEARCH_TASK,
            area=q.get("area") or None,
            kind=[kind] if kind else None,
            after=q.get("after") or None,
            **{"from": start.isoformat(), "to": end.isoformat()},
        )
        found = (out.data or {}).get("targetingFindings") or {}
        return self.render(
            request,
            "findings.html",
            session=session,
            findings=[e["node"] for e in found.get("edges") or []],
            total=found.get("totalCount"),
            next_after=(found.get("pageInfo") or {}).get("endCursor")
            if (found.get("pageInfo") or {}).get("hasNextPage")
            else None,
            area=q.get("area") or "",
            kind=kind or "",
            period=(start, end),
            errors=out.errors,
            purpose=session.purpose(SEARCH_TASK),
        )

    # -- routing -----------------------------------------------------------

    def page(self, handler: Callable[[Request, Session], Any]) -> Callable[[Request], Any]:
        """A page for the signed-in: others are sent to the sign-in form."""

        async def endpoint(request: Request) -> Response:
            session = self.session(request)
            if session is None:
                return self.redirect(f"{PREFIX}/login")
            try:
                response: Response = await handler(request, session)
            except Refused as exc:
                return self.message(
                    request, exc.status, self.labels(request)["forbidden"], str(exc)
                )
            return response

        return endpoint

    def routes(self, extra: Sequence[BaseRoute] = ()) -> list[BaseRoute]:
        """The pages, under /app; `extra`: other slices' routes (the upload's)."""

        async def root(_: Request) -> Response:
            return self.redirect(f"{PREFIX}/cari")

        async def logout(request: Request) -> Response:
            try:
                return await self.logout(request)
            except Refused as exc:
                return self.message(
                    request, exc.status, self.labels(request)["forbidden"], str(exc)
                )

        return [
            Mount(
                PREFIX,
                routes=[
                    Route("/", root),
                    Route("/login", self.login, methods=["GET", "POST"]),
                    Route("/logout", logout, methods=["POST"]),
                    Route("/bahasa", self.page(self.language), methods=["POST"]),
                    Route("/tujuan", self.page(self.purpose), methods=["GET", "POST"]),
                    Route("/cari", self.page(self.search)),
                    Route("/keluarga", self.page(self.household_pick)),
                    Route("/keluarga/{household_id}", self.page(self.household)),
                    Route("/beban-kasus", self.page(self.caseload)),
                    Route("/dasbor", self.page(self.dashboard)),
                    Route("/temuan", self.page(self.findings)),
                    Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
                    *extra,
                ],
            )
        ]


class UploadView:
    """The console core as the upload pages use it (`console.upload_routes.Console`):
    the signed-in session is their principal, and their operations run as it."""

    def __init__(self, core: Console) -> None:
        self.core = core

    def render(self, request: Request, template: str, context: Mapping[str, Any]) -> Response:
        return self.core.render(request, template, session=self.core.session(request), **context)

    async def run(
        self, request: Request, operation_name: str, variables: Mapping[str, Any]
    ) -> Mapping[str, Any]:
        session = self.core.session(request)
        if session is None:
            return {"data": None, "errors": [{"message": Labels()["forbidden"]}]}
        try:
            out = await self.core.run(session, operation_name, None, **variables)
        except Refused as exc:
            return {"data": None, "errors": [{"message": str(exc)}]}
        return {"data": out.data, "errors": out.errors}

    def principal(self, request: Request) -> Session | None:
        return self.core.session(request)

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        session = self.core.session(request)
        return session is not None and session.csrf_ok(token)


def _get(data: Any, *path: str) -> list[Any]:
    """A list deep in an operation's data, or [] when any step is missing."""
    for key in path:
        if not isinstance(data, Mapping):
            return []
        data = data.get(key)
    return data if isinstance(data, list) else []


def _total(data: Any, field: str) -> int:
    found = (data or {}).get(field) if isinstance(data, Mapping) else None
    return int(found.get("totalCount") or 0) if isinstance(found, Mapping) else 0


def _household_filter(q: Mapping[str, str]) -> dict[str, Any]:
    """The search form as the `households` query's filter (the API checks each value)."""
    names = {"nik": "nik", "kk": "noKk", "kelurahan": "kelurahan", "rt": "rt", "rw": "rw"}
    flt: dict[str, Any] = {api: q[form] for form, api in names.items() if q.get(form)}
    if q.get("address"):
        flt["address"] = q["address"]
    if q.get("ppks"):
        flt["ppks"] = q["ppks"]
    if q.get("decile"):
        flt["maxDecile"] = int(q["decile"]) if q["decile"].isdigit() else -1
    return flt


def findings_by_area(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int | None]]:
    """`targetingSummary` rows summed per kecamatan and kind (findings: a
    household found for two programs counts twice); None where a withheld
    count makes the sum unknown."""
    out: dict[str, dict[str, int | None]] = {}
    for r in rows:
        kinds = out.setdefault(r.get("kecamatanCode") or "-", {})
        n, kind = r.get("households"), r["kind"]
        if n is None or (kind in kinds and kinds[kind] is None):
            kinds[kind] = None
        else:
            kinds[kind] = (kinds.get(kind) or 0) + n
    return out


def _period(request: Request) -> tuple[date, date]:
    """The household page's duplicated-aid period: `?dari=` to `?sampai=` (ISO dates),
    by default the `AID_WINDOW` up to today."""
    q = request.query_params
    try:
        end = date.fromisoformat(q["sampai"]) if q.get("sampai") else date.today()
        start = date.fromisoformat(q["dari"]) if q.get("dari") else end - AID_WINDOW
    except ValueError as exc:
        raise Refused(400, f"{exc}: write the period's dates as YYYY-MM-DD") from exc
    return (start, end) if start <= end else (end, start)


def _refusal(labels: Labels, kind: str, exc: Exception) -> str:
    """Why a sign-in was refused, in words: an unknown API key, or what was wrong
    with a staff JWT (its refusal's `code`: expired, wrong issuer...)."""
    if kind == "api_key":
        return labels["bad_key"]
    return labels.get(f"login_{getattr(exc, 'code', 'invalid')}") or labels["login_invalid"]


def timeline(household: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Services, assessments and referrals of a household, newest first."""
    entries = [
        {"kind": "service", "on": str(s.get("serviceDate") or ""), "item": s}
        for s in household.get("serviceHistory", [])
    ]
    entries += [
        {"kind": "assessment", "on": str(a.get("assessedOn") or ""), "item": a}
        for a in household.get("assessments", [])
    ]
    entries += [
        {"kind": "referral", "on": str(r.get("createdAt") or "")[:10], "item": r}
        for r in household.get("referrals", [])
    ]
    return sorted(entries, key=lambda e: e["on"], reverse=True)


def _local(url: str | None) -> str:
    """Only a path inside the console may be a redirect target."""
    if url and url.startswith(PREFIX + "/") and not url.startswith("//"):
        return url
    return f"{PREFIX}/cari"


__all__ = ["HEADERS", "PREFIX", "Console", "ConsoleSettings", "Refused"]
