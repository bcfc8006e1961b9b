"""A source's first ingest takes a shorter path (nothing to compare with); it must
stage exactly what the comparing path stages."""

from __future__ import annotations

import duckdb

from connectors import ensure_staging_tables, ingest
from tests.connectors.conftest import BUDI, SITI, WriteSource, csv_text

HEADER = "ID;Nama Lengkap;NIK;Bantuan;Tanggal;Nominal"
ROWS = [
    "1;Asep;3273011501900001;Sembako;01-02-2025;Rp 150.000,-",
    "1;Asep;3273011501900001;BLT;03-02-2025;50000",  # a second service of the same person
    "1;Asep Lain;3273011501900001;BLT;03-02-2025;50000",  # the same id, another person
    "2;Euis;3273015501920002;;;",
    "3;;;;;",  # nothing that identifies anyone
    "4;Cucu;123;BLT;03-02-2025;banyak",
]
COLUMNS = """
[columns]
"ID" = "source_record_id"
"Nama Lengkap" = "full_name"
"NIK" = "nik"
[services]
program = "Bantuan"
service_date = "Tanggal"
amount = "Nominal"
"""
STAGED = """
SELECT r.record_key, r.content_hash, r.full_name, r.nik, r.flags,
       list(s.program || '@' || s.service_date::VARCHAR || '@' || s.amount::VARCHAR
            ORDER BY s.service_date, s.program)
FROM current_records r LEFT JOIN current_services s USING (record_key)
GROUP BY ALL ORDER BY 1
"""


def test_first_ingest_stages_what_a_comparing_ingest_stages(
    write_source: WriteSource,
) -> None:
    text = "\n".join([HEADER, *ROWS]) + "\n"
    first = duckdb.connect()
    [direct] = ingest(first, [write_source(text, columns=COLUMNS)])
    compared = duckdb.connect()
    ingest(compared, [write_source("\n".join([HEADER, ROWS[3]]) + "\n", columns=COLUMNS)])
    [again] = ingest(compared, [write_source(text, columns=COLUMNS)])
    assert (direct.new, direct.staged, direct.quarantined) == (2, 3, 3)
    assert (again.new, again.unchanged, again.staged, again.quarantined) == (1, 1, 3, 3)
    assert (
        direct.quarantined_by_reason
        == again.quarantined_by_reason
        == {
            "duplicate_source_record_id": 1,
            "invalid_amount": 1,  # a malformed NIK (123) only flags its field
            "no_identifying_field": 1,
        }
    )
    assert first.execute(STAGED).fetchall() == compared.execute(STAGED).fetchall()
    quarantine = "SELECT row_number, reason, detail, raw FROM quarantine ORDER BY 1"
    assert first.execute(quarantine).fetchall() == compared.execute(quarantine).fetchall()
    raw = "SELECT row_number, content_hash, raw FROM raw_rows WHERE raw ->> '$[0]' = '1' ORDER BY 1"
    assert first.execute(raw).fetchall() == compared.execute(raw).fetchall()


def test_raw_rows_are_kept_for_every_staged_row_of_a_new_record(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source("\n".join([HEADER, *ROWS]) + "\n", columns=COLUMNS)])
    rows = con.execute("SELECT row_number, raw ->> '$[1]' FROM raw_rows ORDER BY 1").fetchall()
    assert rows == [(2, "Asep"), (3, "Asep"), (5, "Euis")]


def test_staging_schema_is_restored_when_part_of_it_is_gone(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ensure_staging_tables(con)
    ensure_staging_tables(con)
    con.execute("DROP VIEW current_quarantine")
    con.execute("DROP TABLE services")
    [summary] = ingest(con, [write_source(csv_text(BUDI, SITI))])
    assert summary.staged == 2
    assert con.execute("SELECT count(*) FROM services").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM current_quarantine").fetchone() == (0,)


def test_staging_with_hex_content_hashes_is_migrated_and_sees_no_change(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(csv_text(BUDI, SITI))
    ingest(con, [config])
    for table in ("records", "raw_rows"):  # how staging stored hashes before they were numbers
        con.execute(
            f"ALTER TABLE {table} ALTER content_hash TYPE VARCHAR"
            " USING printf('%016x', content_hash)"
        )
    con.execute("COMMENT ON VIEW current_quarantine IS NULL")
    [again] = ingest(con, [config])
    assert (again.unchanged, again.new, again.changed) == (2, 0, 0)
    types = con.execute(
        "SELECT DISTINCT data_type FROM duckdb_columns() WHERE column_name = 'content_hash'"
        " AND table_name IN ('records', 'raw_rows')"
    ).fetchall()
    assert types == [("UBIGINT",)]
