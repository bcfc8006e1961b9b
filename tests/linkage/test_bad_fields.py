"""Issue 13's "bad fields, not bad rows", by hand: a row whose NIK is malformed is
staged with the NIK flagged, linked to its person on name, birth date and address,
and listed on the monthly report's Perbaikan sheet as a NIK to correct."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
from linkage_city import mini_city

from connectors import ingest, load_configs
from connectors.reference import load_reference
from linkage import run_linkage
from reports.queries import SHEET_BY_NAME, Period, prepare, sheet_rows

FIELDS = ("source_record_id", "nik", "no_kk", "full_name", "birth_date", "sex", "relationship",
          "street", "house_number", "rt", "rw", "kelurahan", "kecamatan", "phone")  # fmt: skip


def _write_source(folder: Path, source: str, rows: list[dict[str, Any]]) -> None:
    with (folder / f"{source}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for row in rows:
            writer.writerow(["" if row.get(f) is None else str(row[f]) for f in FIELDS])
    columns = "".join(f'"{f}" = "{f}"\n' for f in FIELDS)
    (folder / f"{source}.toml").write_text(
        f'id = "{source}"\norganization = "{source.upper()}"\nkind = "csv"\n'
        f'location = "{source}.csv"\ndate_formats = ["%Y-%m-%d"]\n[columns]\n{columns}'
    )


def test_a_malformed_nik_is_staged_flagged_linked_and_listed_for_correction(
    con: duckdb.DuckDBPyConnection, model_dir: Path, tmp_path: Path
) -> None:
    rows, _ = mini_city(households=30, seed=81)
    person = next(r for r in rows if r["source"] == "dtks" and r["relationship"] == "KEPALA")
    # the same person at a foundation, whose clerk typed province 97 (there is none)
    bad_nik = "97" + person["nik"][2:]
    bad = {**person, "source": "yayasan", "source_record_id": "bad-1", "nik": bad_nik,
           "no_kk": None, "phone": None}  # fmt: skip
    for source in ("dtks", "yayasan"):
        _write_source(tmp_path, source, [r for r in [*rows, bad] if r["source"] == source])
    summaries = {s.source: s for s in ingest(con, load_configs(tmp_path))}
    assert summaries["yayasan"].quarantined == 0
    assert summaries["yayasan"].read == summaries["yayasan"].staged
    staged = con.execute(
        "SELECT nik, flags FROM current_records WHERE record_key = 'yayasan:bad-1'"
    ).fetchone()
    assert staged == (bad_nik, ["nik_invalid_structure"])  # the value as written, flagged

    load_reference(con)
    run_linkage(con, model_dir)
    standardised = con.execute(
        "SELECT nik, nik_clean, nik_problem FROM linkage_records WHERE record_key = 'yayasan:bad-1'"
    ).fetchone()
    assert standardised == (bad_nik, None, "unknown_district")  # left out of comparisons
    ids = dict(con.execute("SELECT record_key, person_id FROM identity_map").fetchall())
    assert ids["yayasan:bad-1"] == ids[f"dtks:{person['source_record_id']}"]

    period = Period.parse(f"{dt.date.today():%Y-%m}")
    prepare(con, period)
    spec = SHEET_BY_NAME["Perbaikan"]
    listed = [dict(zip(spec.columns, r, strict=True)) for r in sheet_rows(con, spec, period)]
    [row] = [r for r in listed if r["ID_INDIVIDU"] == ids["yayasan:bad-1"]]
    assert row["NIK"] == person["nik"]  # the person's valid NIK, from the other source
    assert "perbaikan NIK" in row["JENIS_PERBAIKAN"]
    assert f"yayasan: NIK {bad_nik} (unknown_district)" in row["KETERANGAN"]
