"""Ingest throughput for 1M CSV rows, as a ratio to DuckDB's own `read_csv`.

    .venv/bin/python bench/bench_ingest.py [--rows 1000000] [--runs 3] [--no-record]
        [--city HOUSEHOLDS]

Both sides read the same file into the same kind of database (a DuckDB file)
in the same run; the ratio is read_csv seconds / ingest seconds (goal >= 0.5).
Each side's figure is the median of the runs. The table (machine, date, command,
figure, baseline, ratio; notes with both database files' sizes and the load
average, since other work on the machine moves the figures) goes first under
`## bench_ingest` in bench/results.md.

`--city N` also measures the fixed cost per source: a generated city of N
households (~300 small foundation sources) is ingested into a fresh DuckDB file,
against DuckDB's `read_csv` of each of its CSV sources into a fresh table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, report

from connectors import SourceSummary, ingest, load_configs
from connectors.reference import load_reference
from simulator import generate_city

TOML = """id = "bench-dtks"
kind = "csv"
location = "people.csv"
organization = "ORG-BENCH"
delimiter = ","
date_formats = ["%d-%m-%Y"]
[columns]
"ID" = "source_record_id"
"NIK" = "nik"
"NO_KK" = "no_kk"
"NAMA" = "full_name"
"TGL_LAHIR" = "birth_date"
"JK" = "sex"
"ALAMAT" = "address"
"RT" = "rt"
"RW" = "rw"
"KELURAHAN" = "kelurahan"
"KECAMATAN" = "kecamatan"
"HP" = "phone"
"DESIL" = "welfare_decile"
[values.sex]
"Laki-laki" = "L"
"Perempuan" = "P"
"""


def make_csv(path: Path, rows: int) -> None:
    duckdb.sql(
        f"""
COPY (
  SELECT 'R' || i AS "ID",
         '327301' || strftime(d, '%d%m%y') || lpad((i % 10000)::VARCHAR, 4, '0') AS "NIK",
         '32730101' || lpad((i // 4)::VARCHAR, 8, '0') AS "NO_KK",
         'Warga Nomor ' || i AS "NAMA",
         strftime(d, '%d-%m-%Y') AS "TGL_LAHIR",
         'Laki-laki' AS "JK",
         'Jl. Mawar No. ' || (i % 200) AS "ALAMAT",
         lpad((i % 20)::VARCHAR, 3, '0') AS "RT", lpad((i % 12)::VARCHAR, 3, '0') AS "RW",
         'Cibaduyut' AS "KELURAHAN", 'Bojongloa Kidul' AS "KECAMATAN",
         '0812' || lpad(i::VARCHAR, 8, '0') AS "HP", (1 + i % 10)::VARCHAR AS "DESIL"
  FROM (SELECT i, DATE '1950-01-01' + (i % 20000)::INTEGER AS d FROM range({rows}) t(i))
) TO '{path}' (HEADER, DELIMITER ',')
"""
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", action="store_true", help="in-memory databases, not files")
    parser.add_argument("--no-record", action="store_true", help="leave bench/results.md alone")
    parser.add_argument("--city", type=int, default=0, help="households of a generated city")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        csv = root / "people.csv"
        make_csv(csv, args.rows)
        (root / "bench.toml").write_text(TOML)
        configs = load_configs(root / "bench.toml")
        base, ours = [], []
        for run in range(args.runs):
            con = duckdb.connect(":memory:" if args.memory else str(root / f"base{run}.duckdb"))
            t = time.perf_counter()
            con.execute(f"CREATE TABLE people AS SELECT * FROM read_csv('{csv}')")
            base.append(time.perf_counter() - t)
            con.close()
            con = duckdb.connect(":memory:" if args.memory else str(root / f"ingest{run}.duckdb"))
            t = time.perf_counter()
            [summary] = ingest(con, configs)
            ours.append(time.perf_counter() - t)
            assert summary.read == args.rows == summary.staged + summary.quarantined
            con.close()
        b, o = statistics.median(base), statistics.median(ours)
        sizes = "" if args.memory else file_sizes(root, args.runs)
        print(f"rows                 {args.rows:>12,}")
        print(f"duckdb read_csv      {b:>10.2f} s  ({args.rows / b:,.0f} rows/s)")
        print(f"connectors.ingest    {o:>10.2f} s  ({args.rows / o:,.0f} rows/s)")
        print(f"ratio read_csv/ingest {b / o:>9.2f}  (goal >= 0.5)")
        if sizes:
            print(f"database files        {sizes}")
        city = [city_figure(root / "city", args.city)] if args.city else []
    if not args.no_record:
        runs = ", ".join(f"{x:.2f}" for x in ours)
        figure = Figure(
            f"ingest {args.rows:,} CSV rows (s, median of {args.runs})",
            f"{o:.2f} ({args.rows / o:,.0f} rows/s)",
            f"DuckDB read_csv {b:.2f}",
            f"{b / o:.2f}",
        )
        notes = [
            f"goal (issue 3): ratio >= 0.5; {'in-memory' if args.memory else 'file'} databases",
            f"ingest runs (s): {runs}; read_csv runs (s): {', '.join(f'{x:.2f}' for x in base)}",
            f"load average (1 min) when the bench started: {load:.1f}",
            *([f"database files: {sizes}"] if sizes else []),
        ]
        report("bench_ingest", [figure, *city], notes)


def file_sizes(root: Path, runs: int) -> str:
    """Size of each side's DuckDB file after its last run (closed, so checkpointed)."""
    last = runs - 1
    ingest_mb, base_mb = (
        (root / f"{side}{last}.duckdb").stat().st_size / 1e6 for side in ("ingest", "base")
    )
    return f"ingest {ingest_mb:.0f} MB, read_csv {base_mb:.0f} MB"


def city_figure(root: Path, households: int) -> Figure:
    """Median seconds per small source: connectors.ingest against read_csv of the file."""
    generate_city(households, 7, root)
    configs = load_configs(root / "config")
    con = duckdb.connect(str(root / "hub.duckdb"))
    load_reference(con)
    t = time.perf_counter()
    summaries: list[SourceSummary] = ingest(con, configs)
    total = time.perf_counter() - t
    con.close()
    small = {s.source for s in summaries if s.read < 200}
    ours = statistics.median(s.seconds for s in summaries if s.source in small)
    base = []
    for i, config in enumerate(c for c in configs if c.id in small and c.kind == "csv"):
        con = duckdb.connect(str(root / f"base{i % 2}.duckdb"))
        t = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv('{config.path}')")
        base.append(time.perf_counter() - t)
        con.close()
    b = statistics.median(base)
    print(f"city: {len(configs)} sources in {total:.1f} s; per small source {ours:.3f} s,"
          f" read_csv {b:.3f} s")  # fmt: skip
    return Figure(
        f"per-source ingest, city of {households:,} households ({len(configs)} sources;"
        f" median of {len(small)} small ones, s)",
        f"{ours:.3f} (all sources {total:.1f} s)",
        f"DuckDB read_csv {b:.3f}",
        f"{b / ours:.2f}",
    )


if __name__ == "__main__":
    main()
