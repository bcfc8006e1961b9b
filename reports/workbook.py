"""Write the monthly report: one .xlsx (openpyxl, with charts) and, optionally,
one CSV per sheet. The rows come from `reports.queries`; every cell goes
through `domain.formula.escape_row`, so source text never becomes a formula."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.styles import Font

from connectors.reference import eligibility_rules
from domain.eligibility import RuleBook
from domain.formula import escape_row
from domain.thresholds import POOR_DECILE_MAX
from journal import Journal
from reports import queries, targeting, trend
from reports.errors import ReportError
from reports.goals import Goals, default_goals
from reports.queries import SHEETS, Period, SheetSpec

COVER = "Ringkasan"
#: every sheet after the cover, in order: the report's SELECTs, the poverty trend
#: (reports.trend, which reads the journal's decile changes as well), then the
#: targeting findings (reports.targeting)
ALL_SHEETS: tuple[SheetSpec, ...] = (*SHEETS, trend.SHEET, *targeting.SHEETS)

#: progress(step, done, total)
Progress = Callable[[str, int, int], None]


@dataclass
class ReportSummary:
    month: str
    out: Path
    rows: dict[str, int] = field(default_factory=dict)
    poverty: dict[str, Any] = field(default_factory=dict)
    csv_files: list[Path] = field(default_factory=list)


def monthly_report(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    out: Path,
    csv_dir: Path | None = None,
    progress: Progress | None = None,
    goals: Goals | None = None,
    journal: Journal | None = None,
    rules: RuleBook | None = None,
) -> ReportSummary:
    """Compute every sheet for `period` and write `out` (.xlsx) and the CSVs;
    the targeting findings by `rules` (None: the program catalogue's)."""
    if out.suffix.lower() != ".xlsx":
        raise ReportError(f"--out {out}: the report is an Excel file; name it *.xlsx.")
    steps = [
        *queries.PREPARE_STEPS,
        *(s.name for s in SHEETS),
        trend.SHEET.name,
        "findings",
        "write",
    ]
    done = 0

    def tick(name: str) -> None:
        nonlocal done
        if progress:
            progress(name, done, len(steps))
        done += 1

    queries.require_linked(con)
    for name in queries.PREPARE_STEPS:
        tick(name)
        queries.prepare(con, period, name, journal, goals)
    data: dict[str, list[tuple[Any, ...]]] = {}
    for spec in SHEETS:
        tick(spec.name)
        data[spec.name] = queries.sheet_rows(con, spec, period)
    tick(trend.SHEET.name)
    data[trend.SHEET.name] = trend.sheet_rows(con, period, journal)
    tick("findings")
    data.update(targeting.findings_sheets(con, period, rules or eligibility_rules()))
    tick("write")
    summary = ReportSummary(period.label, out, {n: len(r) for n, r in data.items()})
    summary.poverty = _poverty(data["Target Kemiskinan"], goals or default_goals())
    cover = _cover_rows(period, summary)
    _write_xlsx(out, cover, data)
    if csv_dir is not None:
        summary.csv_files = _write_csv(csv_dir, cover, data)
    if progress:
        progress("done", len(steps), len(steps))
    return summary


def _poverty(rows: Sequence[tuple[Any, ...]], goals: Goals) -> dict[str, Any]:
    """The city row of Target Kemiskinan against the baseline and the target."""
    city = next(r for r in rows if r[0] == "KOTA")
    poor_people, population = int(city[5]), int(city[6] or 0)
    target_people = round(goals.target * population)
    return {
        "population": population,
        "population_version": goals.population.version,
        "poor_households": int(city[4]),
        "poor_people": poor_people,
        "rate": float(city[7] or 0.0),
        "baseline_rate": goals.baseline,
        "target_rate": goals.target,
        "people_above_target": max(0, poor_people - target_people),
    }


def _cover_rows(period: Period, summary: ReportSummary) -> list[tuple[Any, ...]]:
    p = summary.poverty
    rows: list[tuple[Any, ...]] = [
        ("Laporan bulanan Dinas Sosial Kota Bandung ke Kemensos", ""),
        ("Bulan", period.label),
        (
            "Periode",
            f"{period.start:%Y-%m-%d} s.d. {period.end - dt.timedelta(days=1):%Y-%m-%d}"
            f" (tanggal batas {period.cutoff_day})",
        ),
        ("Dibuat", dt.datetime.now().replace(microsecond=0)),
        ("", ""),
        ("Lembar", "Baris"),
    ]
    rows += [(spec.name, summary.rows[spec.name]) for spec in ALL_SHEETS]
    rows += [
        ("", ""),
        ("Target kemiskinan", ""),
        ("Penduduk kota (penyebut)", p["population"]),
        ("Data penduduk (tahun, sumber)", p["population_version"]),
        (f"Keluarga miskin terdaftar (desil 1-{POOR_DECILE_MAX} atau P3KE)", p["poor_households"]),
        ("Orang aktif dalam keluarga miskin", p["poor_people"]),
        ("Tingkat kemiskinan (orang miskin / penduduk)", p["rate"]),
        ("Baseline", p["baseline_rate"]),
        ("Target", p["target_rate"]),
        ("Orang di atas target", p["people_above_target"]),
        ("", ""),
        ("Definisi", ""),
    ]
    doc = queries.__doc__ or ""
    definitions = doc.split("Definitions (also printed on the report's cover sheet):")[-1]
    for item in re.split(r"\n- ", definitions.strip().lstrip("- ")):
        rows.append(("", " ".join(item.split())))
    return rows


def _write_xlsx(
    out: Path, cover: list[tuple[Any, ...]], data: dict[str, list[tuple[Any, ...]]]
) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(COVER)
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 90
    for row in cover:
        ws.append(escape_row(row))
    for spec in ALL_SHEETS:
        _write_sheet(wb, spec, data[spec.name])
    try:
        wb.save(out)
    except OSError as exc:
        raise ReportError(f"cannot write {out}: {exc.strerror}; check the folder.") from exc


def _write_sheet(wb: Workbook, spec: SheetSpec, rows: list[tuple[Any, ...]]) -> None:
    ws = wb.create_sheet(spec.name)
    ws.freeze_panes = "A2"
    for i, name in enumerate(spec.columns):
        ws.column_dimensions[_letter(i)].width = max(10, min(40, len(name) + 4))
    bold = Font(bold=True)
    header = []
    for name in spec.columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(escape_row(row))
    n = len(rows)
    chart = _CHARTS.get(spec.name)
    if chart is not None and n:
        ws.add_chart(chart(ws, n), f"{_letter(len(spec.columns) + 1)}2")


def _coverage_chart(ws: Any, n: int) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Cakupan keluarga bermasalah per kecamatan"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.add_data(
        Reference(ws, min_col=4, max_col=5, min_row=1, max_row=n + 1), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=2, min_row=2, max_row=n + 1))
    chart.height, chart.width = 16, 18
    return chart


def _funding_chart(ws: Any, n: int) -> PieChart:
    chart = PieChart()
    chart.title = "Pangsa pendanaan (nilai kumulatif)"
    chart.add_data(Reference(ws, min_col=8, min_row=1, max_row=n + 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    return chart


def _trend_chart(ws: Any, n: int) -> LineChart:
    chart = LineChart()
    chart.title = "Tren bulanan"
    chart.y_axis.title = "jumlah"
    chart.add_data(
        Reference(ws, min_col=2, max_col=4, min_row=1, max_row=n + 1), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    chart.width = 22
    return chart


_CHARTS: dict[str, Callable[[Any, int], Any]] = {
    "Cakupan per Kecamatan": _coverage_chart,
    "Layanan per Penyandang Dana": _funding_chart,
    "Tren Bulanan": _trend_chart,
}


def _letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def csv_name(sheet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", sheet.lower()).strip("-") + ".csv"


def _write_csv(
    folder: Path, cover: list[tuple[Any, ...]], data: dict[str, list[tuple[Any, ...]]]
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    tables: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]] = [
        (COVER, ("ITEM", "NILAI"), cover),
        *((s.name, s.columns, data[s.name]) for s in ALL_SHEETS),
    ]
    for name, columns, rows in tables:
        path = folder / csv_name(name)
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(map(escape_row, rows))
        written.append(path)
    return written
