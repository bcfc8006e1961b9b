"""`/dashboard`'s routes: sign-in, roles, caching. The figures and the pages are
`reports.dashboard`'s; the tokens are `hub.security.tokens`'.

Sign-in, three ways, all ending in the same session cookie (HttpOnly,
SameSite=Strict, HMAC-signed with `$HUB_HOME/keys/dashboard-secret`, 8 hours),
which the console at /app shares (`Sessions`):

- the login form posts an API key of a `dinsos_admin` or `social_worker`;
- a request with the API key in a header (`X-API-Key`, `Authorization`) is
  served directly, without a cookie;
- `hub dashboard-link` prints a one-time link valid for 5 minutes, which the
  server exchanges for the cookie (for a headless browser or a kiosk); the used
  links are kept in the security database every process and server shares, so a
  link signs in once, not once per worker.

Other roles get 403. The figures are read (DuckDB, read-only) on the published
staging generation the server holds, cached until a new generation is
published or the journal grows.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

import anyio.to_thread
import duckdb
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from console.i18n import Labels
from console.session import Session, from_another_site
from hub.analytics import goals_of, published_staging
from hub.security import (
    Authenticator,
    Principal,
    RateLimiter,
    SecurityError,
    TokenSigner,
    token_secret,
)
from hub.settings import Settings
from journal import Journal
from reports.dashboard import Figures, dashboard_page, figures, login_form, message_page
from reports.queries import Period
from store import Schema

if TYPE_CHECKING:
    from hub.intake import Generations

DASHBOARD_ROLES: Final[frozenset[str]] = frozenset({"dinsos_admin", "social_worker"})
COOKIE: Final[str] = "hub_dashboard"
#: the cookie goes to /dashboard and to the console at /app
COOKIE_PATH: Final[str] = "/"
SESSION_SECONDS: Final[int] = 8 * 3600
LINK_SECONDS: Final[int] = 300
SESSION, LINK = "session", "link"
#: the one-time links used, by nonce, in the security database every process shares
USED_LINKS: Final[Schema] = (
    """CREATE TABLE IF NOT EXISTS used_login_links (
        nonce      TEXT PRIMARY KEY,
        expires_at {real} NOT NULL
    )""",
)
#: how long past its expiry a used link is remembered: another server's clock may lag
_USED_LINK_MARGIN_S: Final = 600

_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: no Referer leaves for another site either way, but
    # under no-referrer the browser sends `Origin: null` with our own sign-in form's
    # POST, and over plain HTTP (no Sec-Fetch-Site) the login-CSRF check
    # (console.session.from_another_site) can then only refuse it
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def signer(settings: Settings) -> TokenSigner:
    """The dashboard's token signer, with its secret next to the other keys."""
    return TokenSigner(token_secret(settings.keys_dir / "dashboard-secret"))


def login_link(settings: Settings, organization: str, role: str, base_url: str) -> str:
    """A one-time sign-in link for `hub dashboard-link`, valid for 5 minutes."""
    if role not in DASHBOARD_ROLES:
        raise ValueError(
            f"role {role!r} cannot see the dashboard: use dinsos_admin or social_worker."
        )
    token = signer(settings).issue(
        LINK,
        {
            "org": organization,
            "role": role,
            "sub": f"link:{organization}",
            "nonce": secrets.token_hex(8),
        },
        LINK_SECONDS,
    )
    return f"{base_url.rstrip('/')}/dashboard/login?token={token}"


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=_HEADERS)


class Sessions:
    """The signed session cookie of /dashboard and the console (/app): who is
    signed in (cookie, or an API key in a header), the one-time links (each
    used once), and the cookie itself. A cookie's payload carries `csrf`, a
    random token the console's forms echo back (console.session)."""

    def __init__(self, settings: Settings, authenticator: Authenticator) -> None:
        self.tokens = signer(settings)
        self.authenticator = authenticator
        self.secure = settings.mode == "production"
        self.db = authenticator.keys.db
        self.db.database.apply(USED_LINKS)

    def current(self, request: Request) -> dict[str, Any] | None:
        """The session's payload (sub, org, role, key_id...), else None."""
        if request.headers.get("x-api-key") or request.headers.get("authorization"):
            try:
                p = self.authenticator.authenticate(request.headers)
            except SecurityError:
                return None
            return {**_payload(p), "header": True}
        payload = self.tokens.verify(request.cookies.get(COOKIE), SESSION)
        if payload and payload.get("key_id"):
            try:
                if not self.authenticator.keys.get(str(payload["key_id"])).active:
                    return None
            except SecurityError:
                return None
        return payload

    def redeem_link(self, token: str) -> dict[str, Any] | None:
        """A one-time link's session payload; None when expired, forged or used
        (by any process: one statement, so of two redeeming at once one does)."""
        payload = self.tokens.verify(token, LINK)
        if payload is None:
            return None
        with self.db.write() as con:
            con.execute(
                "DELETE FROM used_login_links WHERE expires_at < ?",
                (time.time() - _USED_LINK_MARGIN_S,),
            )
            taken = con.execute(
                "INSERT INTO used_login_links (nonce, expires_at) VALUES (?, ?) "
                "ON CONFLICT (nonce) DO NOTHING",
                (str(payload["nonce"]), float(payload["exp"])),
            ).rowcount
        if taken != 1:
            return None
        return {"sub": payload["sub"], "org": payload["org"], "role": payload["role"]}

    def with_credential(self, credential: str) -> dict[str, Any]:
        """The session payload of an API key's holder or a staff JWT's bearer, verified
        as the API verifies them (`Authenticator.authenticate_token`); Unauthenticated
        when refused, its `code` saying why (e.g. `expired`, `wrong_issuer`)."""
        return _payload(self.authenticator.authenticate_token(credential.strip()))

    def store(self, response: Response, payload: dict[str, Any]) -> None:
        """Set the cookie to `payload` (a new CSRF token when it has none). The session
        of a staff JWT ends when the token does (`until`), if before 8 hours."""
        claims = {k: v for k, v in payload.items() if k not in ("kind", "exp", "header")}
        claims.setdefault("csrf", secrets.token_urlsafe(24))
        until = claims.get("until")
        seconds = SESSION_SECONDS if until is None else min(SESSION_SECONDS, until - time.time())
        response.set_cookie(
            COOKIE,
            self.tokens.issue(SESSION, claims, seconds),
            max_age=max(0, int(seconds)),
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=self.secure,
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def _payload(p: Principal) -> dict[str, Any]:
    """A session payload naming `p` (`key_id` for an API key, `until` for a staff JWT)."""
    payload: dict[str, Any] = {"sub": p.subject, "org": p.organization, "role": p.role}
    if p.key_id:
        payload["key_id"] = p.key_id
    if p.expires_at is not None:
        payload["until"] = p.expires_at
    return payload


def principal_of(payload: dict[str, Any]) -> Principal:
    """The principal a session payload names, as the API authenticates it."""
    key_id = payload.get("key_id")
    return Principal(
        subject=str(payload["sub"]),
        organization=str(payload["org"]),
        role=payload["role"],
        auth_method="api_key" if key_id else "jwt",
        key_id=str(key_id) if key_id else None,
    )


def dashboard_routes(
    settings: Settings,
    sessions: Sessions,
    limiter: RateLimiter,
    journal: Journal,
    staging: Callable[[], Generations | None] = lambda: None,
) -> list[Route]:
    """`journal`: the app's journal (what the API recorded counts too);
    `staging`: the server's published generations (hub.intake); without them
    the dashboard reads the current published generation, else hub.duckdb."""
    cache: dict[tuple[str, str, int], Figures] = {}
    session = sessions.current

    def signed_in(payload: dict[str, Any]) -> Response:
        response = RedirectResponse("/dashboard", status_code=303, headers=_HEADERS)
        sessions.store(response, payload)
        return response

    async def show(request: Request) -> Response:
        who = session(request)
        if who is None:
            return RedirectResponse("/dashboard/login", status_code=303, headers=_HEADERS)
        if who.get("role") not in DASHBOARD_ROLES:
            return _html(
                message_page("403", "Dasbor hanya untuk peran dinsos_admin dan social_worker."), 403
            )
        month = request.query_params.get("month")
        try:
            period = (
                Period.parse(month, settings.report_cutoff_day, settings.report_timezone)
                if month
                else Period.current(settings.report_cutoff_day, settings.report_timezone)
            )
        except Exception as exc:
            return _html(message_page("400", str(exc)), 400)
        generations = staging()
        # the journal's head too: a service recorded through the API shows at once
        head = journal.head()

        def compute() -> tuple[str, Figures]:
            try:
                with published_staging(settings, generations) as opened:
                    if opened is None:
                        return "", Figures(
                            period.label, [], [], [], "no published staging yet: run `hub link`"
                        )
                    stamp, con = opened
                    cached = cache.get((period.label, stamp, head))
                    return stamp, cached or figures(con, period, journal, goals_of(settings))
            except duckdb.Error as exc:
                return "", Figures(period.label, [], [], [], f"staging database unavailable: {exc}")

        stamp, fig = await anyio.to_thread.run_sync(compute)
        if fig.error is not None:
            return _html(dashboard_page(fig, ""), 503)
        cache.clear()
        cache[(period.label, stamp, head)] = fig
        return _html(dashboard_page(fig, f"{who.get('org')} ({who.get('role')})", who.get("csrf")))

    async def login(request: Request) -> Response:
        if request.method == "GET":
            token = request.query_params.get("token")
            if not token:
                return _html(login_form())
            payload = sessions.redeem_link(token)
            if payload is None:
                return _html(
                    login_form("Tautan tidak berlaku (kedaluwarsa atau sudah dipakai)."), 401
                )
            return signed_in(payload)
        if from_another_site(request):  # login CSRF: the console's rule (console.session)
            return _html(
                login_form(
                    "Masuk dari halaman situs lain ditolak: buka halaman masuk dasbor langsung."
                ),
                403,
            )
        client = request.client.host if request.client else "unknown"
        try:
            limiter.check(f"dashboard-login:{client}")
        except SecurityError:
            return _html(login_form("Terlalu banyak percobaan; coba lagi sebentar lagi."), 429)
        form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
        api_key = (form.get("api_key") or [""])[0].strip()
        try:
            payload = sessions.with_credential(api_key)
        except SecurityError:
            return _html(login_form("API key tidak dikenal atau sudah dicabut."), 401)
        if payload["role"] not in DASHBOARD_ROLES:
            return _html(login_form(f"Peran {payload['role']} tidak dapat membuka dasbor."), 403)
        return signed_in(payload)

    async def logout(request: Request) -> Response:
        who = session(request)
        form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
        if who is not None and not Session(who).csrf_ok((form.get("csrf") or [""])[0]):
            return _html(message_page("403", Labels()["csrf"]), 403)
        response = RedirectResponse("/dashboard/login", status_code=303, headers=_HEADERS)
        sessions.clear(response)
        return response

    return [
        Route("/dashboard", show, methods=["GET"]),
        Route("/dashboard/login", login, methods=["GET", "POST"]),
        Route("/dashboard/logout", logout, methods=["POST"]),
    ]
