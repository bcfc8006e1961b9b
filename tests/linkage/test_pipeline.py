from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from linkage_city import mini_city, stage

from linkage import STEPS, LinkSummary, NoStagedRecordsError, run_linkage


def _ids(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str]]:
    rows = con.execute("SELECT record_key, person_id, household_id FROM identity_map").fetchall()
    return {key: (person, household) for key, person, household in rows}


def test_missing_staging_is_a_clear_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(NoStagedRecordsError, match="run `hub ingest` first"):
        run_linkage(con, tmp_path / "model")


def test_empty_staging_is_a_clear_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    stage(con, [])
    with pytest.raises(NoStagedRecordsError, match="no staged records"):
        run_linkage(con, tmp_path / "model")


def test_identity_map_has_one_row_per_record(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=11)
    stage(con, rows)
    summary = run_linkage(con, model_dir)
    assert isinstance(summary, LinkSummary)
    count, distinct, pattern = con.execute(
        """SELECT count(*), count(DISTINCT record_key),
                  bool_and(regexp_full_match(person_id, 'P-[0-9]{9}')
                           AND regexp_full_match(household_id, 'H-[0-9]{9}'))
           FROM identity_map"""
    ).fetchall()[0]
    assert count == distinct == len(rows)
    assert pattern
    assert summary.persons < len(rows)
    assert summary.households <= summary.persons


def test_summary_times_every_step_in_order(con: duckdb.DuckDBPyConnection, model_dir: Path) -> None:
    rows, _ = mini_city(households=20, seed=13)
    stage(con, rows)
    reported: list[str] = []
    summary = run_linkage(con, model_dir, progress=reported.append)
    steps = [stage.step for stage in summary.stages]
    assert steps == reported  # every step reported to progress is timed, once
    assert steps == [s for s in STEPS if s != "train"]  # a saved model: no training
    assert all(stage.seconds >= 0 and stage.cpu_seconds >= 0 for stage in summary.stages)


def test_rerun_on_unchanged_data_keeps_every_id(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=12)
    stage(con, rows)
    run_linkage(con, model_dir)
    first = _ids(con)
    summary = run_linkage(con, model_dir)
    assert _ids(con) == first
    assert (summary.merges, summary.splits) == (0, 0)
    kinds = con.execute("SELECT DISTINCT kind FROM identity_events").fetchall()
    assert kinds == [("create",)]


def _rizki(source: str, record_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "source": source,
        "source_record_id": record_id,
        "birth_date": date(1990, 3, 14),
        "sex": "L",
        "street": "Jl. Gegerkalong Hilir",
        "house_number": "12",
        "rt": "003",
        "rw": "05",
        "kelurahan": "Gegerkalong",
        "kecamatan": "Sukasari",
    }
    return {**base, **fields}


def test_spelling_variants_across_sources_are_one_person_and_household(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=40, seed=13)
    rows += [
        _rizki(
            "dtks",
            "rizki-1",
            full_name="Muhammad Rizki",
            nik="3273011403900007",
            no_kk="3273010101090001",
            relationship="KEPALA",
            phone="081234567890",
        ),
        _rizki(
            "yayasan",
            "rizki-2",
            full_name="Moch. Rizky",
            nik=None,
            no_kk=None,
            phone="+62 812-3456-7890",
        ),
        _rizki(
            "dtks",
            "rizki-wife",
            full_name="Siti Aminah",
            nik="3273015208920003",
            no_kk="3273010101090001",
            relationship="ISTRI",
            sex="P",
            birth_date=date(1992, 8, 12),
        ),
    ]
    stage(con, rows)
    run_linkage(con, model_dir)
    ids = _ids(con)
    assert ids["dtks:rizki-1"] == ids["yayasan:rizki-2"]
    assert ids["dtks:rizki-wife"][0] != ids["dtks:rizki-1"][0]
    assert ids["dtks:rizki-wife"][1] == ids["dtks:rizki-1"][1]
