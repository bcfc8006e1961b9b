"""The gazetteer a connection standardises against: staging's, else the reference CSVs."""

from __future__ import annotations

import duckdb

from linkage.gazetteer import GAZETTEER_FILES, REFERENCE_DIR, ensure_gazetteer


def test_a_scratch_connection_gets_the_reference_files(con: duckdb.DuckDBPyConnection) -> None:
    ensure_gazetteer(con)
    for table, csv in GAZETTEER_FILES.items():
        lines = (REFERENCE_DIR / csv).read_text(encoding="utf-8").strip().splitlines()
        [(rows,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()
        assert rows == len(lines) - 1 > 0, table


def test_tables_staging_already_has_are_kept(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE TABLE ref_kecamatan (code VARCHAR, name VARCHAR)")
    con.execute("INSERT INTO ref_kecamatan VALUES ('327301', 'OWN')")
    ensure_gazetteer(con)
    ensure_gazetteer(con)  # twice: nothing is made again
    assert con.execute("SELECT * FROM ref_kecamatan").fetchall() == [("327301", "OWN")]
    [(kelurahan,)] = con.execute("SELECT count(*) FROM ref_kelurahan").fetchall()
    assert kelurahan > 0
