"""The dashboard's figures and pages: coverage by kecamatan, funding shares, the
monthly trend and the poverty rate by month (a table), as server-rendered HTML
with inline SVG (no scripts, no CDN).
Every value goes through `html.escape`. The figures are the monthly report's
(`reports.queries`, DuckDB, with what the API recorded from the journal); the
routes, sign-in and caching are `hub.dashboard`'s.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb

from journal import Journal
from reports.goals import Goals, default_goals
from reports.queries import SHEET_BY_NAME, Period, prepare, sheet_rows
from reports.trend import NOT_RECORDED, months, poverty_trend


# --- data ------------------------------------------------------------------------
@dataclass
class Figures:
    month: str
    coverage: list[tuple[Any, ...]]  # kecamatan, in need, covered, gap, share
    funding: list[tuple[Any, ...]]  # funder, name, amount, share
    trend: list[tuple[Any, ...]]  # month, new persons, services, households, amount
    error: str | None = None
    #: the city's poor people, population, rate, and the baseline and target rates
    poverty: tuple[int, int, float | None, float, float] | None = None
    #: the city's poverty rate per report month (reports.trend): month, poor
    #: people, population, rate; poor people and rate None before the first load
    poverty_trend: list[tuple[str, int | None, int | None, float | None]] = field(
        default_factory=list
    )
    #: the front desk's figures for the month (section, key, value), as the report's sheet
    desk: list[tuple[Any, ...]] = field(default_factory=list)


def figures(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    journal: Journal | None = None,
    goals: Goals | None = None,
) -> Figures:
    """The dashboard's series and its poverty headline from the report's queries, on
    `con` (staging), with what the API recorded from `journal`, as the report counts
    it, against `goals` (None: the shipped population file and default rates)."""
    goals = goals or default_goals()
    try:
        prepare(con, period, journal=journal, goals=goals)
        cov = sheet_rows(con, SHEET_BY_NAME["Cakupan per Kecamatan"], period)
        fund = sheet_rows(con, SHEET_BY_NAME["Layanan per Penyandang Dana"], period)
        trend = sheet_rows(con, SHEET_BY_NAME["Tren Bulanan"], period)
        special = {
            str(r[0])
            for r in con.execute("SELECT code FROM ref_ppks WHERE special_category").fetchall()
        }
        desk = [  # the dashboard is read by analysts: no special-category need, even counted
            r
            for r in sheet_rows(con, SHEET_BY_NAME["Layanan Satu Pintu"], period)
            if not (r[0] == "Permohonan per kebutuhan" and r[1] in special)
        ]
        city = next(
            r for r in sheet_rows(con, SHEET_BY_NAME["Target Kemiskinan"], period) if r[0] == "KOTA"
        )
        rates = poverty_trend(
            con, journal, months(None, period.label, period.cutoff_day, period.zone)
        )
    except Exception as exc:  # shown on the page, e.g. "run hub link first"
        return Figures(period.label, [], [], [], str(exc))
    return Figures(
        period.label,
        [(r[1], r[2], r[3], r[4], r[5]) for r in cov],
        [(r[0], r[1], float(r[7]), float(r[8] or 0)) for r in fund],
        [(r[0], r[1], r[2], r[3], float(r[4])) for r in trend],
        poverty=(int(city[5]), int(city[6] or 0), city[7], goals.baseline, goals.target),
        poverty_trend=[(r["month"], r["poor_people"], r["population"], r["rate"]) for r in rates],
        desk=[tuple(r) for r in desk],
    )


def poverty_trend_html(rows: Sequence[tuple[str, int | None, int | None, float | None]]) -> str:
    """The city's poverty rate per month as a table (read by screen readers as one)."""
    body = "".join(
        f'<tr><th scope="row">{_E(month)}</th>'
        f"<td>{NOT_RECORDED if poor is None else f'{poor:,}'}</td>"
        f"<td>{'-' if population is None else f'{population:,}'}</td>"
        f"<td>{NOT_RECORDED if rate is None else _pct(rate)}</td></tr>"
        for month, poor, population, rate in rows
    )
    return (
        '<table id="poverty-trend"><caption>Tingkat kemiskinan kota per bulan laporan: '
        "orang dalam keluarga miskin pada tanggal batas / penduduk</caption>"
        '<thead><tr><th scope="col">Bulan</th><th scope="col">Orang miskin</th>'
        '<th scope="col">Penduduk</th><th scope="col">Tingkat</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def poverty_html(poverty: tuple[int, int, float | None, float, float] | None) -> str:
    """The headline: the city's rate against the target and the baseline."""
    if poverty is None:
        return ""
    poor, population, rate, baseline, target = poverty
    shown = "-" if rate is None else _pct(rate)
    return (
        f"<section><h2>Target kemiskinan</h2><p class='headline' id='poverty-headline'>"
        f"Tingkat kemiskinan <strong>{shown}</strong> ({poor:,} orang miskin dari "
        f"{population:,} penduduk); target {_pct(target)}, baseline {_pct(baseline)}.</p>"
        "</section>"
    )


def _pct(rate: float) -> str:
    """3,14%: a rate as an Indonesian reader writes it."""
    return f"{rate:.2%}".replace(".", ",")


# --- charts (inline SVG) ----------------------------------------------------------------
_PALETTE: Final[tuple[str, ...]] = (
    "#1b6ca8",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#9c755f",
)
_E = html.escape


def coverage_svg(rows: Sequence[tuple[Any, ...]]) -> str:
    shown = [r for r in rows if r[1]] or list(rows)
    width, left, bar, gap = 720, 170, 16, 6
    height = 40 + len(shown) * (bar + gap)
    top = max((int(r[1]) for r in shown), default=0) or 1
    scale = (width - left - 70) / top
    parts = [
        f'<svg id="chart-coverage" role="img" aria-label="Cakupan per kecamatan" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">',
        '<g font-size="12" font-family="sans-serif">',
    ]
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
            f"{float(share):.0%} ({need})</text>"
        )
    parts.append(
        f'<rect x="{left}" y="4" width="12" height="12" fill="{_PALETTE[2]}"/>'
        f'<text x="{left + 16}" y="14">terlayani program aktif</text>'
        f'<rect x="{left + 190}" y="4" width="12" height="12" fill="{_PALETTE[3]}"/>'
        f'<text x="{left + 206}" y="14">celah cakupan</text></g></svg>'
    )
    return "".join(parts)


def funding_svg(rows: Sequence[tuple[Any, ...]]) -> str:
    size, r, cx, cy = 420, 110, 130, 130
    total = sum(float(x[2]) for x in rows)
    height = max(260, 30 + 22 * len(rows))
    parts = [
        f'<svg id="chart-funding" role="img" aria-label="Pangsa pendanaan" '
        f'xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}">'
        '<g font-size="12" font-family="sans-serif">'
    ]
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
            parts.append(
                f'<path class="slice" d="M{cx},{cy} L{x1:.1f},{y1:.1f} A{r},{r} 0 '
                f'{large} 1 {x2:.1f},{y2:.1f} Z" fill="{color}"><title>'
                f"{_E(str(name))}: {frac:.1%}</title></path>"
            )
            angle = end
        ly = 20 + i * 22
        parts.append(
            f'<rect x="260" y="{ly - 10}" width="12" height="12" fill="{color}"/>'
            f'<text x="278" y="{ly}">{_E(str(code))} {frac:.1%}</text>'
        )
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
    parts = [
        f'<svg id="chart-trend" role="img" aria-label="Tren bulanan" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        '<g font-size="11" font-family="sans-serif">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" '
        f'y2="{height - bottom}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{30}" text-anchor="end">{top}</text>',
    ]
    series = (
        (1, "orang baru", _PALETTE[0]),
        (2, "layanan", _PALETTE[1]),
        (3, "keluarga terlayani", _PALETTE[2]),
    )
    for k, (col, label, color) in enumerate(series):
        points = " ".join(
            f"{left + i * sx:.1f},{height - bottom - int(r[col]) * sy:.1f}"
            for i, r in enumerate(rows)
        )
        parts.append(
            f'<polyline class="line" points="{points}" fill="none" stroke="{color}" '
            f'stroke-width="2"><title>{label}</title></polyline>'
            f'<rect x="{left + 10 + k * 150}" y="4" width="12" height="12" '
            f'fill="{color}"/><text x="{left + 26 + k * 150}" y="14">{label}</text>'
        )
    for i, r in enumerate(rows):
        if i % 3 == 0 or i == len(rows) - 1:
            parts.append(
                f'<text x="{left + i * sx:.1f}" y="{height - bottom + 16}" '
                f'text-anchor="middle">{_E(str(r[0]))}</text>'
            )
    parts.append("</g></svg>")
    return "".join(parts)


# --- pages ---------------------------------------------------------------------------
_STYLE = """body{font-family:sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}section{margin-bottom:18px}
.note{color:#666;font-size:13px}form.inline{display:inline}
input{padding:6px;font-size:14px;width:340px}button{padding:6px 12px}
table{border-collapse:collapse}caption{text-align:left;color:#666;font-size:13px}
td,th{padding:2px 10px;text-align:right}"""


def page(title: str, body: str) -> str:
    """A whole page around `body` (HTML already escaped); `title` is escaped here."""
    return (
        f'<!doctype html><html lang="id"><head><meta charset="utf-8"><title>{_E(title)}'
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def message_page(title: str, message: str) -> str:
    """A page that only says `message` (escaped), e.g. a refusal."""
    return page(title, f"<h1>{_E(title)}</h1><p>{_E(message)}</p>")


def login_form(message: str = "") -> str:
    note = f'<p class="note" id="login-error">{_E(message)}</p>' if message else ""
    return page(
        "Masuk — Dasbor Satupintu",
        f"""<h1>Dasbor Satupintu</h1>{note}
<form method="post" action="/dashboard/login"><p><label>API key (dinsos_admin atau
social_worker)<br><input type="password" name="api_key" autocomplete="off" required></label></p>
<p><button type="submit">Masuk</button></p></form>""",
    )


def desk_html(rows: Sequence[tuple[Any, ...]]) -> str:
    """The front desk's figures as a table (the report sheet's rows)."""
    if not rows:
        return "<p class='note'>Belum ada permohonan atau pengaduan bulan ini.</p>"
    body = "".join(
        f"<tr><td>{_E(str(section))}</td><td>{_E(str(key))}</td>"
        f"<td>{'-' if value is None else _E(f'{float(value):g}')}</td></tr>"
        for section, key, value in rows
    )
    return f"<table id='desk'><tr><th>Bagian</th><th>Kunci</th><th>Nilai</th></tr>{body}</table>"


def dashboard_page(fig: Figures, who: str, csrf: str | None = None) -> str:
    """The dashboard for `who` (escaped), or the data error when there is one;
    `csrf`: the session's token its sign-out form sends back (none for a caller
    authenticated by a header, who has no session to end)."""
    if fig.error:
        return page(
            "Dasbor Satupintu", f"<h1>Dasbor Satupintu</h1><p id='data-error'>{_E(fig.error)}</p>"
        )
    total_need = sum(int(r[1]) for r in fig.coverage)
    total_cov = sum(int(r[2]) for r in fig.coverage)
    share = f"{total_cov / total_need:.0%}" if total_need else "-"
    logout = (
        '<form class="inline" method="post" action="/dashboard/logout">'
        f'<input type="hidden" name="csrf" value="{_E(csrf)}"><button>Keluar</button></form>'
        if csrf
        else ""
    )
    return page(
        "Dasbor Satupintu",
        f"""<h1>Dasbor Satupintu — {_E(fig.month)}</h1>
<p class="note">Masuk sebagai {_E(who)}.
{logout}</p>
{poverty_html(fig.poverty)}
<section><h2>Cakupan per kecamatan</h2><p class="note">{total_cov:,} dari {total_need:,}
keluarga dengan masalah PPKS terlayani program aktif ({share}).</p>
{coverage_svg(fig.coverage)}</section>
<section><h2>Pangsa pendanaan</h2><p class="note">Nilai layanan kumulatif per penyandang dana.</p>
{funding_svg(fig.funding)}</section>
<section><h2>Tren bulan ke bulan</h2>{trend_svg(fig.trend)}</section>
<section><h2>Tren kemiskinan</h2>{poverty_trend_html(fig.poverty_trend)}</section>
<section><h2>Layanan satu pintu</h2>{desk_html(fig.desk)}</section>""",
    )
