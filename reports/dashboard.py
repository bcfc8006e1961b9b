"""`/dashboard`: coverage by kecamatan, funding shares and the monthly trend,
server-rendered HTML with inline SVG (no scripts, no CDN), for Dinsos roles.

Sign-in, three ways, all ending in the same session cookie (HttpOnly,
SameSite=Strict, HMAC-signed with `$HUB_HOME/keys/dashboard-secret`, 8 hours):

- the login form posts an API key of a `dinsos_admin` or `social_worker`;
- a request with the API key in a header (`X-API-Key`, `Authorization`) is
  served directly, without a cookie;
- `hub dashboard-link` prints a one-time link valid for 5 minutes, which the
  server exchanges for the cookie (for a headless browser or a kiosk).

Other roles get 403. The figures come from the monthly report's queries
(DuckDB, read-only, on the published staging generation the server holds),
cached until a new generation is published.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import json
import math
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

import anyio.to_thread
import duckdb
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from hub.published import current
from reports.queries import SHEET_BY_NAME, Period, prepare, sheet_rows
from hub.security import Authenticator, RateLimiter, SecurityError
from hub.settings import Settings
from journal import Journal

if TYPE_CHECKING:
    from hub.intake import Generations

DASHBOARD_ROLES: Final[frozenset[str]] = frozenset({"dinsos_admin", "social_worker"})
COOKIE: Final[str] = "hub_dashboard"
SESSION_SECONDS: Final[int] = 8 * 3600
LINK_SECONDS: Final[int] = 300

_HEADERS: Final[dict[str, str]] = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


# --- signed tokens -----------------------------------------------------------------
def secret(settings: Settings) -> bytes:
    """The signing secret, made once (mode 0600) next to the other keys."""
    path = settings.keys_dir / "dashboard-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def sign(key: bytes, payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()
    body = body.rstrip("=")
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def verify(key: bytes, token: str | None, kind: str) -> dict[str, Any] | None:
    """The payload of a valid, unexpired token of `kind`, else None."""
    if not token or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    if not hmac.compare_digest(mac, hmac.new(key, body.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        padded = body + "=" * (-len(body) % 4)
        payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        return None
    if payload.get("kind") != kind or float(payload.get("exp", 0)) < time.time():
        return None
    return payload


def login_link(settings: Settings, organization: str, role: str, base_url: str) -> str:
    """A one-time sign-in link for `hub dashboard-link`, valid for 5 minutes."""
    if role not in DASHBOARD_ROLES:
        raise ValueError(f"role {role!r} cannot see the dashboard: use dinsos_admin or "
                         "social_worker.")
    token = sign(secret(settings), {
        "kind": "link", "org": organization, "role": role, "sub": f"link:{organization}",
        "nonce": secrets.token_hex(8), "exp": time.time() + LINK_SECONDS,
    })
    return f"{base_url.rstrip('/')}/dashboard/login?token={token}"


# --- data ------------------------------------------------------------------------
@dataclass
class Figures:
    month: str
    coverage: list[tuple[Any, ...]]  # kecamatan, in need, covered, gap, share
    funding: list[tuple[Any, ...]]  # funder, name, amount, share
    trend: list[tuple[Any, ...]]  # month, new persons, services, households, amount
    error: str | None = None


@dataclass
class _Cache:
    entries: dict[tuple[str, str, int], Figures] = field(default_factory=dict)


def figures(
    duckdb_path: Path, period: Period, shared: duckdb.DuckDBPyConnection | None = None,
    journal: Journal | None = None,
) -> Figures:
    """The dashboard's three series, from the report's queries. Inside `hub serve`
    the server's connection to the published generation is `shared`; otherwise
    the file opens read-only."""
    try:
        con = shared.cursor() if shared is not None else duckdb.connect(
            str(duckdb_path), read_only=True)
    except duckdb.Error as exc:
        return Figures(period.label, [], [], [], f"staging database unavailable: {exc}")
    try:
        prepare(con, period, journal=journal)  # with what the API wrote, as the report
        cov = sheet_rows(con, SHEET_BY_NAME["Cakupan per Kecamatan"], period)
        fund = sheet_rows(con, SHEET_BY_NAME["Layanan per Penyandang Dana"], period)
        trend = sheet_rows(con, SHEET_BY_NAME["Tren Bulanan"], period)
    except Exception as exc:  # shown on the page, e.g. "run hub link first"
        return Figures(period.label, [], [], [], str(exc))
    finally:
        con.close()
    return Figures(
        period.label,
        [(r[1], r[2], r[3], r[4], r[5]) for r in cov],
        [(r[0], r[1], float(r[7]), float(r[8] or 0)) for r in fund],
        [(r[0], r[1], r[2], r[3], float(r[4])) for r in trend],
    )


# --- charts (inline SVG) ----------------------------------------------------------------
_PALETTE: Final[tuple[str, ...]] = ("#1b6ca8", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                    "#edc948", "#b07aa1", "#9c755f")
_E = html.escape


def coverage_svg(rows: Sequence[tuple[Any, ...]]) -> str:
    shown = [r for r in rows if r[1]] or list(rows)
    width, left, bar, gap = 720, 170, 16, 6
    height = 40 + len(shown) * (bar + gap)
    top = max((int(r[1]) for r in shown), default=0) or 1
    scale = (width - left - 70) / top
    parts = [f'<svg id="chart-coverage" role="img" aria-label="Cakupan per kecamatan" '
             f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">',
             '<g font-size="12" font-family="sans-serif">']
    for i, (name, need, covered, gap_n, share) in enumerate(shown):
        y = 24 + i * (bar + gap)
        wc, wg = covered * scale, gap_n * scale
        parts.append(
            f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{_E(str(name))}</text>'
            f'<rect class="bar covered" x="{left}" y="{y}" width="{wc:.1f}" height="{bar}" '
            f'fill="{_PALETTE[2]}"><title>{_E(str(name))}: {covered} terlayani</title></rect>'
            f'<rect class="bar gap" x="{left + wc:.1f}" y="{y}" width="{wg:.1f}" '
            f'height="{bar}" fill="{_PALETTE[3]}"><title>{_E(str(name))}: {gap_n} celah'
            f'</title></rect><text x="{left + wc + wg + 6:.1f}" y="{y + 12}">'
            f'{float(share):.0%} ({need})</text>')
    parts.append(f'<rect x="{left}" y="4" width="12" height="12" fill="{_PALETTE[2]}"/>'
                 f'<text x="{left + 16}" y="14">terlayani program aktif</text>'
                 f'<rect x="{left + 190}" y="4" width="12" height="12" fill="{_PALETTE[3]}"/>'
                 f'<text x="{left + 206}" y="14">celah cakupan</text></g></svg>')
    return "".join(parts)


def funding_svg(rows: Sequence[tuple[Any, ...]]) -> str:
    size, r, cx, cy = 420, 110, 130, 130
    total = sum(float(x[2]) for x in rows)
    height = max(260, 30 + 22 * len(rows))
    parts = [f'<svg id="chart-funding" role="img" aria-label="Pangsa pendanaan" '
             f'xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}">'
             '<g font-size="12" font-family="sans-serif">']
    angle = -math.pi / 2
    for i, (code, name, amount, _share) in enumerate(rows):
        color = _PALETTE[i % len(_PALETTE)]
        frac = float(amount) / total if total else 0.0
        if frac >= 0.9999:
            parts.append(f'<circle class="slice" cx="{cx}" cy="{cy}" r="{r}" fill="{color}"/>')
        elif frac > 0:
            end = angle + frac * 2 * math.pi
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if frac > 0.5 else 0
            parts.append(f'<path class="slice" d="M{cx},{cy} L{x1:.1f},{y1:.1f} A{r},{r} 0 '
                         f'{large} 1 {x2:.1f},{y2:.1f} Z" fill="{color}"><title>'
                         f'{_E(str(name))}: {frac:.1%}</title></path>')
            angle = end
        ly = 20 + i * 22
        parts.append(f'<rect x="260" y="{ly - 10}" width="12" height="12" fill="{color}"/>'
                     f'<text x="278" y="{ly}">{_E(str(code))} {frac:.1%}</text>')
    if not total:
        parts.append(f'<text x="{cx}" y="{cy}" text-anchor="middle">belum ada nilai</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def trend_svg(rows: Sequence[tuple[Any, ...]]) -> str:
    width, height, left, bottom = 720, 260, 50, 40
    n = max(len(rows), 2)
    top = max((max(int(r[1]), int(r[2]), int(r[3])) for r in rows), default=0) or 1
    sx = (width - left - 20) / (n - 1)
    sy = (height - bottom - 30) / top
    parts = [f'<svg id="chart-trend" role="img" aria-label="Tren bulanan" '
             f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
             '<g font-size="11" font-family="sans-serif">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" '
             f'y2="{height - bottom}" stroke="#999"/>',
             f'<text x="{left - 6}" y="{30}" text-anchor="end">{top}</text>']
    series = ((1, "orang baru", _PALETTE[0]), (2, "layanan", _PALETTE[1]),
              (3, "keluarga terlayani", _PALETTE[2]))
    for k, (col, label, color) in enumerate(series):
        points = " ".join(f"{left + i * sx:.1f},{height - bottom - int(r[col]) * sy:.1f}"
                          for i, r in enumerate(rows))
        parts.append(f'<polyline class="line" points="{points}" fill="none" stroke="{color}" '
                     f'stroke-width="2"><title>{label}</title></polyline>'
                     f'<rect x="{left + 10 + k * 150}" y="4" width="12" height="12" '
                     f'fill="{color}"/><text x="{left + 26 + k * 150}" y="14">{label}</text>')
    for i, r in enumerate(rows):
        if i % 3 == 0 or i == len(rows) - 1:
            parts.append(f'<text x="{left + i * sx:.1f}" y="{height - bottom + 16}" '
                         f'text-anchor="middle">{_E(str(r[0]))}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


# --- pages ---------------------------------------------------------------------------
_STYLE = """body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}section{margin-bottom:18px}
.note{color:#666;font-size:13px}form.inline{display:inline}
input{padding:6px;font-size:14px;width:340px}button{padding:6px 12px}"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{_E(title)}'
           f'</title><style>{_STYLE}</style></head><body>{body}</body></html>')
    return HTMLResponse(doc, status_code=status, headers=_HEADERS)


def _login_form(message: str = "", status: int = 200) -> HTMLResponse:
    note = f'<p class="note" id="login-error">{_E(message)}</p>' if message else ""
    return _page("Masuk — Dasbor Satupintu", f"""<h1>Dasbor Satupintu</h1>{note}
<form method="post" action="/dashboard/login"><p><label>API key (dinsos_admin atau
social_worker)<br><input type="password" name="api_key" autocomplete="off" required></label></p>
<p><button type="submit">Masuk</button></p></form>""", status)


def dashboard_page(fig: Figures, who: str) -> HTMLResponse:
    if fig.error:
        return _page("Dasbor Satupintu", f"<h1>Dasbor Satupintu</h1><p id='data-error'>"
                     f"{_E(fig.error)}</p>", 503)
    total_need = sum(int(r[1]) for r in fig.coverage)
    total_cov = sum(int(r[2]) for r in fig.coverage)
    share = f"{total_cov / total_need:.0%}" if total_need else "-"
    return _page("Dasbor Satupintu", f"""<h1>Dasbor Satupintu — {_E(fig.month)}</h1>
<p class="note">Masuk sebagai {_E(who)}.
<form class="inline" method="post" action="/dashboard/logout"><button>Keluar</button></form></p>
<section><h2>Cakupan per kecamatan</h2><p class="note">{total_cov:,} dari {total_need:,}
keluarga dengan masalah PPKS terlayani program aktif ({share}).</p>
{coverage_svg(fig.coverage)}</section>
<section><h2>Pangsa pendanaan</h2><p class="note">Nilai layanan kumulatif per penyandang dana.</p>
{funding_svg(fig.funding)}</section>
<section><h2>Tren bulan ke bulan</h2>{trend_svg(fig.trend)}</section>""")


# --- routes --------------------------------------------------------------------------
def dashboard_routes(
    settings: Settings, authenticator: Authenticator, limiter: RateLimiter,
    journal: Journal, staging: Callable[[], Generations | None] = lambda: None,
) -> list[Route]:
    """`journal`: the app's journal (what the API recorded counts too);
    `staging`: the server's published generations (hub.intake); without them
    the dashboard reads the current published generation, else hub.duckdb."""
    key = secret(settings)
    used_links: dict[str, float] = {}
    cache = _Cache()
    secure = settings.mode == "production"

    def session(request: Request) -> dict[str, Any] | None:
        if request.headers.get("x-api-key") or request.headers.get("authorization"):
            try:
                p = authenticator.authenticate(request.headers)
            except SecurityError:
                return None
            return {"sub": p.subject, "org": p.organization, "role": p.role}
        payload = verify(key, request.cookies.get(COOKIE), "session")
        if payload and payload.get("key_id"):
            try:
                if not authenticator.keys.get(str(payload["key_id"])).active:
                    return None
            except SecurityError:
                return None
        return payload

    def signed_in(payload: dict[str, Any]) -> Response:
        cookie = sign(key, {**payload, "kind": "session", "exp": time.time() + SESSION_SECONDS})
        response = RedirectResponse("/dashboard", status_code=303, headers=_HEADERS)
        response.set_cookie(COOKIE, cookie, max_age=SESSION_SECONDS, path="/dashboard",
                            httponly=True, samesite="strict", secure=secure)
        return response

    async def show(request: Request) -> Response:
        who = session(request)
        if who is None:
            return RedirectResponse("/dashboard/login", status_code=303, headers=_HEADERS)
        if who.get("role") not in DASHBOARD_ROLES:
            return _page("403", "<h1>403</h1><p>Dasbor hanya untuk peran dinsos_admin dan "
                         "social_worker.</p>", 403)
        month = request.query_params.get("month")
        try:
            period = (Period.parse(month, settings.report_cutoff_day) if month else
                      Period.containing(dt.date.today(), settings.report_cutoff_day))
        except Exception as exc:
            return _page("400", f"<p>{_E(str(exc))}</p>", 400)
        generations = staging()
        # the journal's head too: a service recorded through the API shows at once
        head = journal.head()

        def compute() -> tuple[str, Figures]:
            if generations is None:
                found = current(settings.home)
                path = found.path if found is not None else settings.duckdb_path
                stamp = f"{path}:{path.stat().st_mtime if path.exists() else 0.0}"
                cached = cache.entries.get((period.label, stamp, head))
                return stamp, cached or figures(path, period, journal=journal)
            with generations.lease() as held:
                if held is None:
                    return "", Figures(period.label, [], [], [],
                                       "no published staging yet: run `hub link`")
                stamp = held.generation.name
                cached = cache.entries.get((period.label, stamp, head))
                return stamp, cached or figures(held.generation.path, period, held.con, journal)

        stamp, fig = await anyio.to_thread.run_sync(compute)
        if fig.error is None:
            cache.entries = {(period.label, stamp, head): fig}
        return dashboard_page(fig, f"{who.get('org')} ({who.get('role')})")

    async def login(request: Request) -> Response:
        if request.method == "GET":
            token = request.query_params.get("token")
            if not token:
                return _login_form()
            payload = verify(key, token, "link")
            now = time.time()
            for nonce, exp in list(used_links.items()):
                if exp < now:
                    del used_links[nonce]
            if payload is None or payload["nonce"] in used_links:
                return _login_form("Tautan tidak berlaku (kedaluwarsa atau sudah dipakai).", 401)
            used_links[payload["nonce"]] = float(payload["exp"])
            return signed_in({"sub": payload["sub"], "org": payload["org"],
                              "role": payload["role"]})
        client = request.client.host if request.client else "unknown"
        try:
            limiter.check(f"dashboard-login:{client}")
        except SecurityError:
            return _login_form("Terlalu banyak percobaan; coba lagi sebentar lagi.", 429)
        form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
        api_key = (form.get("api_key") or [""])[0].strip()
        try:
            p = authenticator.authenticate({"x-api-key": api_key})
        except SecurityError:
            return _login_form("API key tidak dikenal atau sudah dicabut.", 401)
        if p.role not in DASHBOARD_ROLES:
            return _login_form(f"Peran {p.role} tidak dapat membuka dasbor.", 403)
        return signed_in({"sub": p.subject, "org": p.organization, "role": p.role,
                          "key_id": p.key_id})

    async def logout(_: Request) -> Response:
        response = RedirectResponse("/dashboard/login", status_code=303, headers=_HEADERS)
        response.delete_cookie(COOKIE, path="/dashboard", httponly=True, samesite="strict")
        return response

    return [
        Route("/dashboard", show, methods=["GET"]),
        Route("/dashboard/login", login, methods=["GET", "POST"]),
        Route("/dashboard/logout", logout, methods=["POST"]),
    ]
