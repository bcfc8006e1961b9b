"""A DTSEN decile file as a source (`content = "deciles"`): configured like any
source, each bad row quarantined with its reason, read = staged + quarantined,
and a re-import giving the same table; CSV and XLSX alike."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest

from connectors import ingest, quarantined_rows
from connectors.erasure import erase_staged
from connectors.errors import SourceConfigError
from tests.connectors.conftest import BUDI, SITI, WriteSource, csv_text

#: NIK of Budi (a valid Bandung NIK) and a valid KK number of the city
NIK = "3273011501900001"
KK = "3273010101100001"
COLUMNS = """
[columns]
"NIK" = "nik"
"NO_KK" = "no_kk"
"DESIL" = "welfare_decile"
"PERIODE" = "dtsen_period"
[values.welfare_decile]
"Desil 5" = "5"
"""
DECILES = 'content = "deciles"\ndelimiter = ";"'
ROWS = [
    f"{NIK};;Desil 5;2026-11",  # by NIK, a value-mapped decile
    f";{KK};3;2026-11-17",  # by KK, a date read as its month
    ";;4;2026-11",  # names no household
    "32730115019;;4;2026-11",  # a malformed NIK alone
    f";{KK.replace('3273', '9999', 1)};4;2026-11",  # a KK of no real district
    f"{NIK};;11;2026-11",  # decile out of range
    f"{NIK};;2;November",  # not a period
    "3273015501920002;;2;2026-10",  # Siti: two deciles in one period
    "3273015501920002;;6;2026-10",
]


def _csv(*rows: str) -> str:
    return "NIK;NO_KK;DESIL;PERIODE\n" + "\n".join(rows) + "\n"


def test_each_bad_row_is_quarantined_with_its_reason_and_counts_reconcile(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(_csv(*ROWS), id="dtsen-desil", extra=DECILES, columns=COLUMNS)
    assert config.content == "deciles"
    [summary] = ingest(con, [config])
    assert summary.read == len(ROWS) == summary.staged + summary.quarantined
    reasons = {q["row_number"]: q["reason"] for q in quarantined_rows(con, "dtsen-desil")}
    assert reasons == {
        4: "no_identifying_field",
        5: "no_identifying_field",
        6: "no_identifying_field",
        7: "decile_out_of_range",
        8: "invalid_period",
        9: "conflicting_decile",
        10: "conflicting_decile",
    }
    staged = con.execute(
        "SELECT row_number, nik, no_kk, decile, period FROM dtsen_deciles ORDER BY row_number"
    ).fetchall()
    assert staged == [(2, NIK, None, 5, "2026-11"), (3, None, KK, 3, "2026-11")]
    detail = {q["reason"]: q["detail"] for q in quarantined_rows(con, "dtsen-desil")}
    assert "column DESIL: 11 is not a decile 1 to 10" in detail["decile_out_of_range"]
    assert "column PERIODE: November is not a DTSEN period YYYY-MM" in detail["invalid_period"]
    assert "another decile on another row for period 2026-10" in detail["conflicting_decile"]


def test_a_reimport_gives_the_same_rows(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(_csv(*ROWS[:2]), id="dtsen-desil", extra=DECILES, columns=COLUMNS)
    ingest(con, [config])
    first = con.execute("SELECT * EXCLUDE (batch_id) FROM dtsen_deciles ORDER BY ALL").fetchall()
    [again] = ingest(con, [config])
    assert (again.read, again.staged, again.quarantined) == (2, 2, 0)
    assert (
        con.execute("SELECT * EXCLUDE (batch_id) FROM dtsen_deciles ORDER BY ALL").fetchall()
        == first
    )
    assert con.execute("SELECT count(*) FROM current_records").fetchall() == [(0,)]


def test_an_xlsx_decile_file_stages_as_a_csv_does(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, tmp_path: Path
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NIK", "NO_KK", "DESIL", "PERIODE"])
    sheet.append([NIK, None, "Desil 5", "2026-11"])
    sheet.append([None, KK, 3, "2026-11"])
    (tmp_path / "sources").mkdir(exist_ok=True)
    book.save(tmp_path / "sources" / "desil.xlsx")
    config = write_source(
        None, id="dtsen-xlsx", kind="xlsx", file="desil.xlsx", extra='content = "deciles"',
        columns=COLUMNS,
    )  # fmt: skip
    [summary] = ingest(con, [config])
    assert (summary.read, summary.staged) == (2, 2)
    assert con.execute(
        "SELECT nik, no_kk, decile, period FROM dtsen_deciles ORDER BY ALL"
    ).fetchall() == [
        (NIK, None, 5, "2026-11"),
        (None, KK, 3, "2026-11"),
    ]


@pytest.mark.parametrize(
    ("columns", "words"),
    [
        ('[columns]\n"NIK" = "nik"\n"DESIL" = "welfare_decile"', "maps dtsen_period"),
        ('[columns]\n"DESIL" = "welfare_decile"\n"P" = "dtsen_period"', "maps nik or no_kk"),
        ('[columns]\n"NIK" = "nik"\n"NAMA" = "full_name"', "not a canonical field"),
    ],
)
def test_a_decile_file_that_names_no_household_decile_or_period_is_refused(
    write_source: WriteSource, columns: str, words: str
) -> None:
    with pytest.raises(SourceConfigError, match=words):
        write_source(_csv(*ROWS[:1]), id="dtsen-desil", extra=DECILES, columns=columns)


def test_erasing_a_person_takes_the_decile_rows_naming_their_nik(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    people = write_source(csv_text(BUDI, SITI))
    deciles = write_source(
        _csv(f"{NIK};;5;2026-11", f";{KK};3;2026-11"),
        id="dtsen-desil",
        file="desil.csv",
        extra=DECILES,
        columns=COLUMNS,
    )
    ingest(con, [people, deciles])
    erase_staged(con, ["yayasan-001:A1"], "test", dt.datetime(2026, 12, 2))
    # Budi's NIK goes; the KK row names the family, which stays
    assert con.execute("SELECT nik, no_kk FROM dtsen_deciles").fetchall() == [(None, KK)]


def test_a_mapped_row_id_is_each_rows_source_record_id(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    columns = COLUMNS.replace("[columns]\n", '[columns]\n"ID" = "source_record_id"\n')
    text = "ID;NIK;NO_KK;DESIL;PERIODE\n" + f"D-1;{NIK};;3;2026-11\nD-2;;{KK};4;2026-11\n"
    config = write_source(text, id="dtsen-desil", extra=DECILES, columns=columns)
    [summary] = ingest(con, [config])
    assert summary.staged == 2 and not summary.warnings
    staged = con.execute(
        "SELECT source_record_id, decile FROM dtsen_deciles ORDER BY source_record_id"
    ).fetchall()
    assert staged == [("D-1", 3), ("D-2", 4)]
