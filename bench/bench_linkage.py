"""Linkage accuracy and speed on a generated city, against vanilla Splink in the same run.

    .venv/bin/python bench/bench_linkage.py --households 20000 --workdir /tmp/city20k
    .venv/bin/python bench/bench_linkage.py --profile bench/heldout-profile.toml \
        --households 8000 --workdir /tmp/heldout8k

`--profile` picks the generator's error profile (standard, wide, or a TOML file such
as the held-out one, whose own seed is used unless --seed is given).

Generates the city (unless --workdir already holds one), ingests every source,
then runs (1) Satupintu linkage (train + link, then `hub link`'s link with the
saved model) and (2) a vanilla Splink set-up (first name, surname, birth date,
exact NIK, kelurahan; default comparisons; households by shared KK), and prints
pairwise precision / recall / F1, times and peak memory. Each set-up runs in a
process of its own (`--setup`), so its peak RSS is its own; the CPU seconds are
that process's (every thread), which a busy machine inflates less than wall
time. The saved-model link also prints its time per step. It finishes with
real-time linking latency (median and p95) for a sample of records.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from results import Figure, report  # noqa: E402

from connectors import ingest, load_configs  # noqa: E402
from hub import pipeline  # noqa: E402
from hub.settings import load_settings  # noqa: E402
from linkage import (  # noqa: E402
    Evaluation,
    LinkageSettings,
    RealtimeLinker,
    Scores,
    cluster,
    evaluate,
    run_linkage,
)
from simulator import Profile, generate_city, load_profile  # noqa: E402


def hub_linkage_settings() -> LinkageSettings:
    """The linkage's settings as `hub link` takes them (HUB_LINKAGE_ENGINE, HUB_SPARK_*)."""
    return pipeline.linkage_settings(load_settings())


def staged_city(
    households: int, seed: int, workdir: Path, profile: Profile | None = None
) -> duckdb.DuckDBPyConnection:
    database = workdir / "hub.duckdb"
    if not (workdir / "truth.csv").exists():
        generate_city(households, seed, workdir, profile=profile or load_profile(None))
    con = duckdb.connect(str(database))
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    if "current_records" not in tables:
        ingest(con, load_configs(workdir / "config"))
    return con


SETUPS = ("train", "link", "vanilla")


def run_setup(setup: str, workdir: Path) -> dict[str, Any]:
    """One set-up in this process: time it, take its peak RSS, then evaluate it."""
    con = duckdb.connect(str(workdir / "hub.duckdb"))
    model_dir = workdir / "bench-model"
    if setup == "train":
        for old in model_dir.glob("person-model-v*.json"):
            old.unlink()
        for table in ("identity_map", "person_registry", "household_registry", "identity_events"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    out: dict[str, Any] = {"setup": setup}
    wall, cpu = time.perf_counter(), time.process_time()
    if setup == "vanilla":
        identities = vanilla(con)
    else:
        summary = run_linkage(
            con, model_dir, train=setup == "train", settings=hub_linkage_settings()
        )
        identities = "identity_map"
        out["review_open"] = summary.review_open
        out["stages"] = [asdict(stage) for stage in summary.stages]
    out["seconds"] = time.perf_counter() - wall
    out["cpu_seconds"] = time.process_time() - cpu
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["evaluation"] = asdict(evaluate(con, workdir / "truth.csv", identities=identities))
    con.close()
    return out


def in_own_process(setup: str, workdir: Path) -> dict[str, Any]:
    """`run_setup` in a child process (this script with --setup)."""
    done = subprocess.run(
        [sys.executable, __file__, "--setup", setup, "--workdir", str(workdir)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")][-1]
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def _evaluation(data: dict[str, Any]) -> Evaluation:
    return Evaluation(
        persons=Scores(**data["persons"]),
        households=Scores(**data["households"]),
        records=data["records"],
    )


def vanilla(con: duckdb.DuckDBPyConnection) -> str:
    """Link with vanilla Splink; return the name of its identity table."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    records = con.sql(
        """SELECT record_key, source, source_record_id, no_kk,
                  nullif(lower(split_part(trim(full_name), ' ', 1)), '') AS first_name,
                  CASE WHEN trim(full_name) LIKE '% %'
                       THEN lower(regexp_extract(trim(full_name), '(\\S+)$', 1)) END AS surname,
                  birth_date, nullif(trim(nik), '') AS nik,
                  nullif(lower(trim(kelurahan)), '') AS kelurahan
           FROM current_records"""
    ).to_arrow_table()
    api = DuckDBAPI()
    frame = api.register(records, dataset_display_name="vanilla")
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_key",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("nik"),
            cl.ExactMatch("kelurahan"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nik"),
            block_on("first_name", "birth_date"),
            block_on("surname", "birth_date"),
        ],
    )
    linker = Linker(frame, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        ["l.nik = r.nik AND l.birth_date = r.birth_date"], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("nik"), block_on("first_name", "birth_date")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    con.register("_vanilla_clusters", clusters.as_pyarrow_table())
    con.register("_vanilla_records", records)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _vanilla_people AS
           SELECT r.record_key, r.source, r.source_record_id, r.no_kk, c.cluster_id AS person_id
           FROM _vanilla_records r JOIN _vanilla_clusters c USING (record_key)"""
    )
    # households: people joined by a shared KK number
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _v_nodes AS
           SELECT DISTINCT person_id AS node FROM _vanilla_people"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _v_edges AS
           SELECT DISTINCT a.person_id AS node_l, b.person_id AS node_r, 1.0 AS weight
           FROM _vanilla_people a JOIN _vanilla_people b
             ON a.no_kk = b.no_kk AND a.person_id < b.person_id"""
    )
    cluster(con, "_v_nodes", "_v_edges", "_v_households")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE vanilla_identity AS
           SELECT p.record_key, p.source, p.source_record_id, p.person_id,
                  h.cluster_key AS household_id
           FROM _vanilla_people p JOIN _v_households h ON h.node = p.person_id"""
    )
    return "vanilla_identity"


def realtime_latency(
    con: duckdb.DuckDBPyConnection, workdir: Path, samples: int
) -> dict[str, float]:
    started = time.perf_counter()
    linker = RealtimeLinker(con, workdir / "bench-model")
    load = time.perf_counter() - started
    rows = con.execute(
        f"""SELECT * EXCLUDE (record_key, organization, flags, batch_id, row_number,
                              content_hash, version)
            FROM current_records USING SAMPLE {samples} ROWS (reservoir, 7)"""
    ).fetchall()
    names = [
        c
        for c in con.execute(
            """DESCRIBE SELECT * EXCLUDE (record_key, organization, flags, batch_id,
                   row_number, content_hash, version) FROM current_records"""
        ).fetchall()
    ]
    columns = [str(c[0]) for c in names]
    latencies, same = [], 0
    for values in rows:
        record: dict[str, Any] = dict(zip(columns, values, strict=True))
        original = con.execute(
            "SELECT person_id FROM identity_map WHERE source = ? AND source_record_id = ?",
            [record["source"], record["source_record_id"]],
        ).fetchall()[0][0]
        record["source"] = f"bench-{record['source']}"
        begin = time.perf_counter()
        result = linker.link_record(record)
        latencies.append(time.perf_counter() - begin)
        same += result.person_id == original
    linker.close()
    con.execute("DELETE FROM identity_map WHERE source LIKE 'bench-%'")
    latencies.sort()
    return {
        "load (s)": load,
        "median (ms)": 1000 * statistics.median(latencies),
        "p95 (ms)": 1000 * latencies[max(0, int(0.95 * len(latencies)) - 1)],
        "same person as batch": same / len(latencies),
    }


def _row(name: str, result: Evaluation, times: dict[str, float]) -> str:
    p, h = result.persons, result.households
    seconds = " / ".join(f"{k} {v:.1f}s" for k, v in times.items())
    return (
        f"| {name:<10} | {p.precision:.4f} | {p.recall:.4f} | {p.f1:.4f} "
        f"| {h.precision:.4f} | {h.recall:.4f} | {h.f1:.4f} | {seconds} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=None, help="default: the profile's, else 11")
    parser.add_argument("--profile", default=None, help="standard (default), wide or a TOML")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/satupintu-bench-city"))
    parser.add_argument("--realtime-samples", type=int, default=200)
    parser.add_argument("--no-record", action="store_true", help="leave bench/results.md alone")
    parser.add_argument("--setup", choices=SETUPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        print("RESULT " + json.dumps(run_setup(args.setup, args.workdir)))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    profile = load_profile(args.profile)
    if args.seed is None:
        args.seed = profile.seed if profile.seed is not None else 11
    started = time.perf_counter()
    con = staged_city(args.households, args.seed, args.workdir, profile)
    records = con.execute("SELECT count(*) FROM current_records").fetchall()[0][0]
    con.close()
    print(
        f"city: {args.households:,} households, {records:,} records "
        f"(staged in {time.perf_counter() - started:.0f}s)"
    )
    runs = {setup: in_own_process(setup, args.workdir) for setup in SETUPS}
    train, link, base = runs["train"], runs["link"], runs["vanilla"]
    ours, theirs = _evaluation(link["evaluation"]), _evaluation(base["evaluation"])
    our_times = {"train + link": train["seconds"], "link (saved model)": link["seconds"]}
    base_times = {"train + link": base["seconds"]}
    print(
        "| setup      | person P | person R | person F1 | household P | household R "
        "| household F1 | time |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(_row("satupintu", ours, our_times))
    print(_row("vanilla", theirs, base_times))
    print(f"ratio (vanilla time / ours, saved model): {base['seconds'] / link['seconds']:.2f}")
    print(
        f"CPU seconds: ours {link['cpu_seconds']:.1f} (train + link {train['cpu_seconds']:.1f}), "
        f"vanilla {base['cpu_seconds']:.1f}; ratio (vanilla / ours) "
        f"{base['cpu_seconds'] / link['cpu_seconds']:.2f}"
    )
    print(
        f"peak RSS, each in its own process: ours {link['peak_rss_mb']:,.0f} MB "
        f"(train + link {train['peak_rss_mb']:,.0f} MB), vanilla {base['peak_rss_mb']:,.0f} MB"
    )
    print(
        "ours, saved-model link, per step (wall s / CPU s): "
        + ", ".join(
            f"{s['step']} {s['seconds']:.1f}/{s['cpu_seconds']:.1f}" for s in link["stages"]
        )
    )
    queue = link["review_open"] / records
    print(f"review queue: {link['review_open']:,} open pairs, {queue:.2%} of records")
    if args.realtime_samples:
        con = duckdb.connect(str(args.workdir / "hub.duckdb"))
        latency = realtime_latency(con, args.workdir, args.realtime_samples)
        con.close()
        print("realtime: " + ", ".join(f"{k} {v:.3f}" for k, v in latency.items()))
    if not args.no_record:
        notes = [
            "goal (issue 4): person F1 >= 0.97, household F1 >= 0.985, precision >= 0.99; "
            "vanilla person F1 <= 0.9 (else the generator is too easy)",
            f"city: {args.households:,} households, seed {args.seed}, profile {profile.name}, "
            f"{records:,} records; each set-up in its own process",
        ]
        if profile.name != "standard":
            notes[0] = (
                "goal (issue 13): person F1 >= 0.97 and household F1 >= 0.985, each at precision "
                ">= 0.995; link time <= 0.6x vanilla, peak memory <= vanilla's; review queue "
                "<= 1% of records"
            )
        notes.append(
            "saved-model link per step (wall s / CPU s): "
            + ", ".join(
                f"{s['step']} {s['seconds']:.1f}/{s['cpu_seconds']:.1f}" for s in link["stages"]
            )
        )
        figures = _figures(ours, our_times, theirs, base_times)
        figures.append(
            Figure(
                "link CPU seconds, saved model",
                f"{link['cpu_seconds']:.1f}",
                f"vanilla train + link {base['cpu_seconds']:.1f}",
                f"{base['cpu_seconds'] / link['cpu_seconds']:.2f}",
            )
        )
        figures.append(
            Figure(
                "peak RSS, own process (MB)",
                f"{link['peak_rss_mb']:,.0f}",
                f"vanilla {base['peak_rss_mb']:,.0f}",
                f"{base['peak_rss_mb'] / link['peak_rss_mb']:.2f}",
            )
        )
        figures.append(
            Figure(
                "review queue, open pairs (% of records)",
                f"{link['review_open']:,} ({queue:.2%})",
                "-",
                "-",
            )
        )
        report("bench_linkage", figures, notes)


def _figures(
    ours: Evaluation, our_times: dict[str, float], base: Evaluation, base_times: dict[str, float]
) -> list[Figure]:
    figures = []
    for level in ("persons", "households"):
        o, b = getattr(ours, level), getattr(base, level)
        for name in ("precision", "recall", "f1"):
            mine, theirs = getattr(o, name), getattr(b, name)
            figures.append(
                Figure(
                    f"{level[:-1]} {name}",
                    f"{mine:.4f}",
                    f"vanilla {theirs:.4f}",
                    f"{mine / theirs:.3f}" if theirs else "-",
                )
            )
    saved = our_times["link (saved model)"]
    figures.append(
        Figure(
            "link time, saved model (s)",
            f"{saved:.1f}",
            f"vanilla train + link {base_times['train + link']:.1f}",
            f"{base_times['train + link'] / saved:.2f}",
        )
    )
    return figures


if __name__ == "__main__":
    main()
