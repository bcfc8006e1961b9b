"""Formula injection, as the attack that found it: foundation rows whose cells
start with `=`, `+`, `-`, `@` or a tab go through generate → ingest → link →
report and export. They are staged with the `formula_like_value` flag, and no
sheet or CSV the hub writes carries them as a live formula."""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from hubcli import hub, hub_env

from domain.formula import escape_cell, formula_like
from reports.dashboard import funding_svg
from reports.queries import Period
from simulator import generate_city

#: the report month today falls in (by the default cut-off day, the 17th)
PERIOD = Period.containing(dt.date.today())
MONTH = PERIOD.label
HYPERLINK = '=HYPERLINK("http://evil.example/x","Klik")'
DDE = "+cmd|' /C calc'!A0"
#: (source, record id, name, address): rows nobody else holds, so each is its own person
POISON = [
    ("yayasan-001", "Y001-9001", HYPERLINK, "@SUM(1+1)"),
    ("yayasan-001", "Y001-9002", DDE, "Gg. Mawar No. 3"),
    ("yayasan-001", "-2+3+cmd|' /C calc'!A0", "Siti Formula", "\t=1+1"),
    ("yayasan-002", "Y002-9001", "=1+2", "-Jl. Dago"),
]


@dataclass
class Poisoned:
    env: dict[str, str]
    out: Path


def _poison_csv(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    template = rows[0]
    for i, (source, rid, name, address) in enumerate(POISON):
        if source == "yayasan-001":
            rows.append(
                {
                    **template,
                    "ID": rid,
                    "NAMA": name,
                    "ALAMAT": address,
                    "TGL LAHIR": f"0{i + 1}-02-1931",
                }
            )
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(template), quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


def _poison_xlsx(path: Path) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    template = [c.value for c in sheet[2]]
    for source, rid, name, address in POISON:
        if source != "yayasan-002":
            continue
        row = dict(zip(header, template, strict=True))
        row.update(
            {"ID": rid, "NAMA": name, "ALAMAT": address, "NIK": None, "TGL LAHIR": "1931-03-09"}
        )
        sheet.append([row[h] for h in header])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text as a clerk typed it ('=1+2), not a formula
    book.save(path)


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory: pytest.TempPathFactory) -> Poisoned:
    city = tmp_path_factory.mktemp("formula-city")
    generate_city(households=60, seed=3, out=city, foundations=3)
    _poison_csv(city / "sources" / "yayasan-001.csv")
    _poison_xlsx(city / "sources" / "yayasan-002.xlsx")
    env = hub_env(tmp_path_factory.mktemp("formula-home"))
    hub(env, "ingest", "--config", str(city / "config"))
    hub(env, "link", "--train")
    out = tmp_path_factory.mktemp("formula-out")
    hub(
        env,
        "report",
        "monthly",
        "--month",
        MONTH,
        "--out",
        str(out / "laporan.xlsx"),
        "--csv",
        str(out / "csv"),
    )
    hub(env, "export", "identities", "--out", str(out / "identities.csv"))
    return Poisoned(env, out)


def test_formula_rows_are_staged_with_a_flag(poisoned: Poisoned) -> None:
    result = hub(poisoned.env, "quarantine", "--flagged", "--flag", "formula_like_value", "--json")
    flagged = {(r["source"], r["source_record_id"]) for r in json.loads(result.stdout)}
    assert {(s, rid) for s, rid, _, _ in POISON} <= flagged
    table = hub(poisoned.env, "quarantine", "--flagged").stdout
    assert "formula_like_value" in table
    assert "'=HYPERLINK" in table  # the terminal table is escaped too


def test_no_sheet_carries_source_data_as_a_formula(poisoned: Poisoned) -> None:
    book = openpyxl.load_workbook(poisoned.out / "laporan.xlsx")
    formulas = [
        (ws.title, c.coordinate, c.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]
    assert formulas == []
    names = {c.value for row in book["Usulan Baru"].iter_rows() for c in row}
    assert "'" + HYPERLINK in names and "'" + DDE in names and "'=1+2" in names


def test_every_csv_has_the_escaped_text(poisoned: Poisoned) -> None:
    cells: list[str] = []
    for path in [*(poisoned.out / "csv").glob("*.csv"), poisoned.out / "identities.csv"]:
        with path.open(encoding="utf-8", newline="") as f:
            cells += [c for row in csv.reader(f) for c in row]
    assert [c for c in cells if formula_like(c)] == []
    assert "'" + HYPERLINK in cells and "'@SUM(1+1)" in cells
    assert "'-2+3+cmd|' /C calc'!A0" in cells  # the record id, in the identity export


def test_escaping_keeps_numbers_and_identifiers() -> None:
    assert escape_cell(-25000) == -25000 and escape_cell(-1.5) == -1.5
    assert escape_cell(dt.date(2026, 1, 1)) == dt.date(2026, 1, 1)
    for text in ("3273011204850001", "+62 812-3456-7890", "-25000", "-", "Siti", ""):
        assert escape_cell(text) == text
    for text in ("=1+1", "+A1", "-A1", "@SUM(A1)", "\tx", "\rx", "-1\n=2"):
        assert escape_cell(text) == "'" + text


def test_dashboard_html_escapes_source_text() -> None:
    svg = funding_svg([("<script>alert(1)</script>", '"><img src=x>', 100.0, 1.0)])
    assert "<script>" not in svg and "<img" not in svg
    assert "&lt;script&gt;" in svg
