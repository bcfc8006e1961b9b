from __future__ import annotations

import duckdb

from connectors import ingest
from tests.connectors.conftest import BUDI, SITI, WriteSource, csv_text

ANDI = "A3;Andi;3273012002850003;;20-02-1985;Laki-laki;Cibaduyut;Bojongloa Kidul"


def test_unchanged_source_adds_nothing(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source(csv_text(BUDI, SITI))
    ingest(con, [config])
    before = con.execute("SELECT count(*) FROM records").fetchone()
    [again] = ingest(con, [config])
    assert (again.unchanged, again.new, again.changed, again.withdrawn) == (2, 0, 0, 0)
    assert con.execute("SELECT count(*) FROM records").fetchone() == before
    assert con.execute("SELECT count(*) FROM raw_rows").fetchone() == (2,)


def test_changed_row_is_a_new_version_and_removed_row_is_withdrawn(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source(csv_text(BUDI, SITI, ANDI))])
    [s] = ingest(con, [write_source(csv_text(BUDI.replace("Budi Santoso", "Budi S."), ANDI))])
    assert (s.unchanged, s.new, s.changed, s.withdrawn) == (1, 0, 1, 1)
    current = con.execute(
        "SELECT source_record_id, full_name, version FROM current_records ORDER BY 1"
    ).fetchall()
    assert current == [("A1", "Budi S.", 2), ("A3", "Andi", 1)]
    history = con.execute(
        "SELECT source_record_id, version, status, full_name, valid_to IS NULL FROM records"
        " ORDER BY 1, 2"
    ).fetchall()
    assert history == [
        ("A1", 1, "active", "Budi Santoso", False),
        ("A1", 2, "active", "Budi S.", True),
        ("A2", 1, "active", "Siti Aminah", False),
        ("A2", 2, "withdrawn", "Siti Aminah", True),
        ("A3", 1, "active", "Andi", True),
    ]
    [back] = ingest(
        con, [write_source(csv_text(BUDI.replace("Budi Santoso", "Budi S."), SITI, ANDI))]
    )
    assert (back.changed, back.unchanged) == (1, 2)
    assert con.execute(
        "SELECT version FROM current_records WHERE source_record_id = 'A2'"
    ).fetchone() == (3,)


def test_a_row_now_quarantined_keeps_its_last_good_version(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    ingest(con, [write_source(csv_text(BUDI, SITI))])
    [s] = ingest(con, [write_source(csv_text(BUDI, SITI.replace("15-01-1992", "15-01-2992")))])
    assert (s.quarantined, s.withdrawn, s.unchanged) == (1, 0, 1)
    assert con.execute("SELECT count(*) FROM current_records").fetchone() == (2,)


def test_counts_reconcile_on_every_run(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    for rows in ([BUDI, SITI], [BUDI, "A9;;;;;;;"], [SITI, ANDI, ANDI]):
        [s] = ingest(con, [write_source(csv_text(*rows))])
        assert s.read == s.staged + s.quarantined == len(rows)
    batches = con.execute(
        "SELECT read_rows, staged_rows + quarantined_rows FROM batches WHERE status = 'ok'"
    ).fetchall()
    assert all(a == b for a, b in batches)
