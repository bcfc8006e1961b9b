"""xlsx, json and sql sources, against real files and a real SQLite database."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from connectors import MissingColumnError, SourceReadError, ingest
from tests.connectors.conftest import HEADER, WriteSource

ROWS = [
    ["A1", "Budi Santoso", "3273011501900001", "3273010101100001", dt.datetime(1990, 1, 15),
     "Laki-laki", "Cibaduyut", "Bojongloa Kidul"],
    ["A2", "Siti Aminah", 3273015501920002, "3273010101100001", "15-01-1992", "Perempuan",
     "Cibaduyut", "Bojongloa Kidul"],
]  # fmt: skip
EXPECTED = [
    ("A1", "3273011501900001", "1990-01-15", "L"),
    ("A2", "3273015501920002", "1992-01-15", "P"),
]


def current(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT source_record_id, nik, birth_date::VARCHAR, sex FROM current_records ORDER BY 1"
    ).fetchall()


def workbook(path: Path, title: str | None = None) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Penerima"
    if title:
        sheet.append([title])
        sheet.append([])
    sheet.append(HEADER.split(";"))
    for row in ROWS:
        sheet.append(row)
    sheet.append([None] * 8)
    book.save(path)


def test_xlsx(con: duckdb.DuckDBPyConnection, write_source: WriteSource, tmp_path: Path) -> None:
    config = write_source(kind="xlsx", file="data.xlsx", extra='sheet = "Penerima"')
    workbook(config.path)
    [summary] = ingest(con, [config])
    assert (summary.read, summary.staged) == (2, 2)
    assert current(con) == EXPECTED
    assert con.execute("SELECT min(row_number) FROM current_records").fetchone() == (2,)


def test_xlsx_title_row_works_with_header_row(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(kind="xlsx", file="data.xlsx", extra="header_row = 3")
    workbook(config.path, title="Daftar Penerima Bantuan 2025")
    [summary] = ingest(con, [config])
    assert summary.staged == 2
    assert con.execute("SELECT min(row_number) FROM current_records").fetchone() == (4,)


def test_xlsx_title_row_without_header_row_names_expected_columns(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(kind="xlsx", file="data.xlsx", extra="")
    workbook(config.path, title="Daftar Penerima Bantuan 2025")
    with pytest.raises(MissingColumnError) as err:
        ingest(con, [config])
    message = str(err.value)
    assert "data.xlsx" in message and "row 1" in message and "column 'ID'" in message
    assert "'Nama Lengkap'" in message and "set header_row = 3" in message


def test_json_array_and_data_object(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    names = HEADER.split(";")
    records = [
        dict(zip(names, [str(v) if isinstance(v, dt.datetime) else v for v in r], strict=True))
        for r in ROWS
    ]
    records[0]["Tgl Lahir"] = "1990-01-15"
    config = write_source(json.dumps(records), kind="json", file="a.json", extra="")
    ingest(con, [config])
    assert current(con) == EXPECTED
    config = write_source(json.dumps({"data": records}), kind="json", file="a.json", extra="")
    [again] = ingest(con, [config])
    assert again.unchanged == 2


def test_json_syntax_error_names_file_and_line(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source('[\n{"ID": "A1",\n "NIK": }\n]', kind="json", file="bad.json", extra="")
    with pytest.raises(SourceReadError, match=r"bad\.json, row 3: not valid JSON"):
        ingest(con, [config])


def test_sql_table_and_query(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, tmp_path: Path
) -> None:
    db = tmp_path / "sources" / "agency.sqlite"
    db.parent.mkdir(exist_ok=True)
    lite = sqlite3.connect(db)
    lite.execute(
        "CREATE TABLE penerima (id TEXT, nama TEXT, nik INTEGER, kk TEXT, lahir TEXT, jk TEXT,"
        " kel TEXT, kec TEXT)"
    )
    lite.executemany(
        "INSERT INTO penerima VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [[str(v.date()) if isinstance(v, dt.datetime) else v for v in r] for r in ROWS],
    )
    lite.commit()
    lite.close()
    columns = """[columns]
id = "source_record_id"
nama = "full_name"
nik = "nik"
lahir = "birth_date"
jk = "sex"
[values.sex]
"Laki-laki" = "L"
"Perempuan" = "P"
"""
    config = write_source(
        kind="sql", file="agency.sqlite", extra='table = "penerima"', columns=columns
    )
    ingest(con, [config])
    assert current(con) == EXPECTED
    query = "query = \"SELECT * FROM penerima WHERE id = 'A1'\""
    config = write_source(
        id="agency-q", kind="sql", file="agency.sqlite", extra=query, columns=columns
    )
    [summary] = ingest(con, [config])
    assert summary.staged == 1
    bad = write_source(
        id="agency-x", kind="sql", file="agency.sqlite", extra='table = "nope"', columns=columns
    )
    with pytest.raises(SourceReadError, match="the table failed"):
        ingest(con, [bad])
