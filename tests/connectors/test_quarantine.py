from __future__ import annotations

import duckdb
import pytest

from connectors import ingest, quarantined_rows
from connectors.reference import load_reference
from tests.connectors.conftest import BUDI, SITI, WriteSource, csv_text

SERVICES = """
[services]
program = "Bantuan"
service_date = "Tanggal"
amount = "Nominal"
funder = "Sumber"
"""


@pytest.mark.parametrize(
    ("row", "reason", "words"),
    [
        ("A3;;;;15-01-1990;L;Cibaduyut;Bojongloa Kidul", "no_identifying_field", "none of nik"),
        # a malformed NIK alone identifies nobody
        ("A3;;32730115019;;15-01-1990;L;Cibaduyut;Bojongloa Kidul", "no_identifying_field",
         "malformed: 32730115019"),
        (BUDI.replace("A1", "A3").replace("15-01-1990", "31-02-1990"), "impossible_date",
         "column Tgl Lahir: 31-02-1990 matches none"),
        (BUDI.replace("A1", "A3").replace("15-01-1990", "15-01-2990"), "impossible_date", "future"),
        (BUDI.replace("A1", "A3").replace("15-01-1990", "15-01-1890"), "impossible_date",
         "before 1900"),
        (BUDI.replace("A1", "A2"), "duplicate_source_record_id", "already used on row 3"),
    ],
)  # fmt: skip
def test_each_reason_is_quarantined_and_counts_reconcile(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, row: str, reason: str, words: str
) -> None:
    [summary] = ingest(con, [write_source(csv_text(BUDI, SITI, row))])
    assert summary.read == 3 == summary.staged + summary.quarantined
    assert summary.quarantined_by_reason == {reason: 1}
    [q] = quarantined_rows(con, "yayasan-001")
    assert q["reason"] == reason and q["row_number"] == 4
    assert words in q["detail"]
    assert '"Nama Lengkap"' in q["raw"]


def test_unknown_area_uses_reference_tables_leniently(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    load_reference(con)
    rows = [
        BUDI,
        SITI.replace("Cibaduyut", "kel. cibaduyut"),  # exact after normalising
        BUDI.replace("A1", "A3").replace("Cibaduyut", "Cibaduyt"),  # close: flagged, kept
        BUDI.replace("A1", "A4").replace("Cibaduyut", "Kota Gotham"),  # hopeless
    ]
    [summary] = ingest(con, [write_source(csv_text(*rows))])
    assert summary.quarantined_by_reason == {"unknown_area": 1}
    [q] = quarantined_rows(con)
    assert q["source_record_id"] == "A4" and "Kota Gotham" in q["detail"]
    flags = dict(con.execute("SELECT source_record_id, flags FROM current_records").fetchall())
    assert flags == {"A1": [], "A2": [], "A3": ["area_close_match"]}


def test_invalid_amount_and_service_rows(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    header = "ID;Nama Lengkap;Bantuan;Tanggal;Nominal;Sumber"
    text = "\n".join([
        header,
        "1;Asep;Sembako;01-02-2025;Rp 150.000,-;Zakat",
        "1;Asep;BLT;03-02-2025;50000;CSR",
        "2;Euis;BLT;03-02-2025;1.234,50;APBD kota",
        "3;Cucu;BLT;03-02-2025;banyak;CSR",
        "4;Dede;;;;",
    ])  # fmt: skip
    columns = '[columns]\n"ID" = "source_record_id"\n"Nama Lengkap" = "full_name"\n' + SERVICES
    [summary] = ingest(con, [write_source(text, columns=columns)])
    assert (summary.read, summary.staged, summary.quarantined) == (5, 4, 1)
    assert summary.quarantined_by_reason == {"invalid_amount": 1}
    assert summary.new == 3
    services = con.execute(
        "SELECT record_key, program, service_date::VARCHAR, amount::VARCHAR, funder"
        " FROM current_services ORDER BY record_key, service_date, program"
    ).fetchall()
    assert services == [
        ("yayasan-001:1", "Sembako", "2025-02-01", "150000.00", "Zakat"),
        ("yayasan-001:1", "BLT", "2025-02-03", "50000.00", "CSR"),
        ("yayasan-001:2", "BLT", "2025-02-03", "1234.50", "APBD kota"),
    ]


def test_suspicious_values_are_flagged_not_dropped(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    rows = [
        BUDI.replace("15-01-1990", "16-01-1990"),  # NIK says 15-01-90
        SITI.replace("Perempuan", "Laki-laki"),  # NIK day + 40 says woman
        BUDI.replace("A1", "A3").replace("3273011501900001", "3204051501900001"),  # Kab. Bandung
        BUDI.replace("A1", "A4").replace("3273010101100001", "32730101"),  # short KK
        BUDI.replace("A1", "A5").replace("Laki-laki", "X"),
        BUDI.replace("A1", "A6").replace("3273010101100001", "327301010110E004"),  # not digits
    ]
    [summary] = ingest(con, [write_source(csv_text(*rows))])
    assert summary.staged == 6 and summary.quarantined == 0
    flags = dict(con.execute("SELECT source_record_id, flags FROM current_records").fetchall())
    assert flags == {
        "A1": ["nik_date_mismatch"],
        "A2": ["nik_sex_mismatch"],
        "A3": ["nik_outside_bandung"],
        "A4": ["kk_invalid_structure"],
        "A5": ["sex_unrecognised"],
        "A6": ["kk_invalid_structure"],
    }


@pytest.mark.parametrize(
    "nik",
    [
        "32730115019",  # too short
        "0073011501900001",  # no province 00
        "9701011501900001",  # no province 97
        "3273013201900001",  # day 32
        "327301150190e004",  # 16 characters a number cast reads (exponent) are not digits
        "0x73011501900001",  # nor are hex ones
    ],
)
def test_a_malformed_nik_is_a_flagged_field_not_a_quarantined_row(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, nik: str
) -> None:
    row = BUDI.replace("A1", "A3").replace("3273011501900001", nik)
    [summary] = ingest(con, [write_source(csv_text(BUDI, SITI, row))])
    assert (summary.read, summary.staged, summary.quarantined) == (3, 3, 0)
    staged = con.execute(
        "SELECT nik, full_name, flags FROM current_records WHERE source_record_id = 'A3'"
    ).fetchone()
    assert staged == (nik, "Budi Santoso", ["nik_invalid_structure"])
    lineage = con.execute(
        "SELECT raw FROM raw_rows r JOIN current_records c USING (source)"
        " WHERE c.source_record_id = 'A3' AND r.row_number = 4"
    ).fetchone()
    assert lineage is not None and nik in lineage[0]


def test_two_digit_years_never_land_in_the_future(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(
        csv_text(BUDI.replace("15-01-1990", "15/01/90")),
        extra='delimiter = ";"\ndate_formats = ["%d-%m-%Y", "%d/%m/%y"]',
    )
    ingest(con, [config])
    assert con.execute("SELECT birth_date::VARCHAR, flags FROM current_records").fetchone() == (
        "1990-01-15",
        [],
    )
