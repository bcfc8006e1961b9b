"""Real-time linking: one-record standardisation and `RealtimeLinker.link_record` latency.

    .venv/bin/python bench/bench_realtime.py --households 20000 --workdir /tmp/satupintu-rt

Generates the city (unless --workdir holds one), ingests it and links it once
with training (unless it is linked already). Then, in several interleaved runs
so that noise from other jobs on the shared cores hits both sides alike:

1. standardise one record at a time (`--std-records` sampled records):
   `RecordStandardiser.standardise` (ours) against the full `standardise()`
   path on a one-row table (baseline, what `RealtimeLinker` did before);
2. link `--records` perturbed copies of sampled records (new source, a third
   without NIK, some names in upper case or with a letter dropped) with
   `RealtimeLinker` (ours, default) against `RealtimeLinker(standardiser=
   standardise)` (baseline), each on a fresh copy of the linked database.

Prints medians over the runs of each run's median and p95, and records them in
bench/results.md under `## bench_realtime` (unless --no-record).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_linkage import hub_linkage_settings, staged_city  # noqa: E402
from results import Figure, report  # noqa: E402

from linkage import (  # noqa: E402
    RealtimeLinker,
    RecordStandardiser,
    ensure_gazetteer,
    run_linkage,
    standardise_table,
)

STAGING_ONLY = ("record_key", "organization", "flags", "batch_id", "row_number", "content_hash")


def linked_city(households: int, seed: int, workdir: Path) -> Path:
    """The path of a DuckDB file holding the city, linked once with a trained model."""
    con = staged_city(households, seed, workdir)
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    if "identity_map" not in tables or not list((workdir / "model").glob("*.json")):
        run_linkage(con, workdir / "model", train=True, settings=hub_linkage_settings())
    con.close()
    return workdir / "hub.duckdb"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(share * len(ordered)) - 1)]


def standardise_times(rows: pa.Table) -> tuple[list[float], list[float]]:
    """Seconds per record: RecordStandardiser, then the full standardise() path."""
    scratch = duckdb.connect()
    ensure_gazetteer(scratch)
    standardiser = RecordStandardiser(scratch)
    ours, baseline = [], []
    for i in range(rows.num_rows):
        one = rows.slice(i, 1)
        begin = time.perf_counter()
        standardiser.standardise(one)
        ours.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        scratch.register("_one_arrow", one)
        scratch.execute("CREATE OR REPLACE TEMP TABLE _one AS SELECT * FROM _one_arrow")
        scratch.unregister("_one_arrow")
        standardise_table(scratch, "_one", "_one_std")
        baseline.append(time.perf_counter() - begin)
    standardiser.close()
    scratch.close()
    return ours, baseline


def perturbed(records: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for number, record in enumerate(records):
        record = dict(record)
        record["source"] = f"bench-{record['source']}"
        record["source_record_id"] = f"rt-{number}"
        roll = rng.random()
        if roll < 0.33:
            record["nik"] = None
        name = record.get("full_name") or ""
        if rng.random() < 0.3:
            record["full_name"] = name.upper()
        elif len(name) > 6 and rng.random() < 0.3:
            cut = rng.randrange(2, len(name) - 1)
            record["full_name"] = name[:cut] + name[cut + 1 :]
        out.append(record)
    return out


def link_times(
    database: Path, model_dir: Path, records: list[dict[str, Any]], *, baseline: bool
) -> tuple[float, list[float], list[str]]:
    """(load seconds, seconds per record, person ids) on a fresh copy of the database."""
    copy = database.with_name("bench-realtime-copy.duckdb")
    shutil.copyfile(database, copy)
    con = duckdb.connect(str(copy))
    begin = time.perf_counter()
    linker = (
        RealtimeLinker(con, model_dir, standardiser=standardise_table)
        if baseline
        else RealtimeLinker(con, model_dir)
    )
    load = time.perf_counter() - begin
    latencies, people = [], []
    for record in records:
        begin = time.perf_counter()
        result = linker.link_record(dict(record))
        latencies.append(time.perf_counter() - begin)
        people.append(result.person_id)
    linker.close()
    con.close()
    copy.unlink()
    return load, latencies, people


def summary(runs: list[list[float]]) -> tuple[float, float]:
    """Median over runs of (median, p95), in milliseconds."""
    medians = [1000 * statistics.median(r) for r in runs]
    p95s = [1000 * percentile(r, 0.95) for r in runs]
    return statistics.median(medians), statistics.median(p95s)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/satupintu-bench-realtime"))
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--std-records", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="leave bench/results.md alone")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    database = linked_city(args.households, args.seed, args.workdir)
    con = duckdb.connect(str(database), read_only=True)
    total = con.execute("SELECT count(*) FROM current_records").fetchall()[0][0]
    sample = con.sql(
        f"""SELECT * EXCLUDE ({", ".join(STAGING_ONLY)}, version) FROM current_records
            USING SAMPLE {max(args.records, args.std_records)} ROWS (reservoir, 7)"""
    ).to_arrow_table()
    print(f"city: {args.households:,} households, {total:,} records; {args.runs} runs")
    std_rows = con.sql(
        f"SELECT * FROM current_records USING SAMPLE {args.std_records} ROWS (reservoir, 3)"
    ).to_arrow_table()
    con.close()
    records = perturbed(sample.slice(0, args.records).to_pylist(), args.seed)

    std_ours, std_base, loads, link_ours, link_base, agree = [], [], [], [], [], []
    for run in range(args.runs):
        ours, base = standardise_times(std_rows)
        std_ours.append(ours)
        std_base.append(base)
        load_b, times_b, people_b = link_times(
            database, args.workdir / "model", records, baseline=True
        )
        load_o, times_o, people_o = link_times(
            database, args.workdir / "model", records, baseline=False
        )
        loads.append((load_o, load_b))
        link_ours.append(times_o)
        link_base.append(times_b)
        agree.append(sum(a == b for a, b in zip(people_o, people_b, strict=True)) / len(records))
        print(
            f"run {run + 1}: standardise median {1000 * statistics.median(ours):.1f} ms "
            f"(baseline {1000 * statistics.median(base):.1f}); link_record median "
            f"{1000 * statistics.median(times_o):.1f} ms (baseline "
            f"{1000 * statistics.median(times_b):.1f}); same person ids {agree[-1]:.3f}"
        )

    s_med, s_p95 = summary(std_ours)
    sb_med, sb_p95 = summary(std_base)
    l_med, l_p95 = summary(link_ours)
    lb_med, lb_p95 = summary(link_base)
    load_o = statistics.median(a for a, _ in loads)
    load_b = statistics.median(b for _, b in loads)
    figures = [
        Figure(
            f"standardise one record, median / p95 (ms), {args.std_records} records",
            f"{s_med:.1f} / {s_p95:.1f}",
            f"full standardise() {sb_med:.1f} / {sb_p95:.1f}",
            f"{s_med / sb_med:.2f} / {s_p95 / sb_p95:.2f}",
        ),
        Figure(
            f"link_record one record, p50 / p95 (ms), {args.records} perturbed records",
            f"{l_med:.1f} / {l_p95:.1f}",
            f"RealtimeLinker(standardiser=standardise) {lb_med:.1f} / {lb_p95:.1f}",
            f"{l_med / lb_med:.2f} / {l_p95 / lb_p95:.2f}",
        ),
        Figure(
            "RealtimeLinker load (s)",
            f"{load_o:.2f}",
            f"{load_b:.2f}",
            f"{load_o / load_b:.2f}",
        ),
        Figure(
            "same person id as the baseline linker",
            f"{statistics.median(agree):.3f}",
            "-",
            "-",
        ),
    ]
    notes = [
        f"city: generate_city(households={args.households:,}, seed={args.seed}), "
        f"{total:,} records, linked once with training",
        f"medians over {args.runs} interleaved runs of each run's median and p95; "
        "2 cores shared with other jobs",
    ]
    if args.no_record:
        for figure in figures:
            print(f"| {figure.name} | {figure.value} | {figure.baseline} | {figure.ratio} |")
    else:
        report("bench_realtime", figures, notes)


if __name__ == "__main__":
    main()
