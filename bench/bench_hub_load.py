"""`hub load` on a real pipeline output: full load, unchanged reload, a 1% change.

    python bench/bench_hub_load.py --uri bolt://127.0.0.1:7687 --password ... \
        --households 20000 --workdir /tmp/hub-load --wipe

It generates a city, ingests and links it with the hub's own functions (the
same ones `hub generate`, `hub ingest`, `hub link --train` run; kept in
--workdir and reused by a later run with the same size and seed), then WIPES
the target database (hence --wipe) and times `hub load`'s code path
(`hub.pipeline.load_graph`):

1. a full load into the empty graph: nodes+relationships in the graph / s;
2. an unchanged reload, against the same run's baseline: every table built
   and sent to the loader (what `hub load` did before it kept the state of
   the last load in DuckDB; the loader's per-row hashes still write nothing);
3. a change touching 1% of the city's records (the civil registry's export
   with ~1% of all records edited: some moved out of the city, some deceased,
   some new addresses, a few rows withdrawn), ingested and re-linked with the
   saved model, then loaded: its time against the full load's.

The table goes to stdout and to bench/results.md.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import results
from bench_graph_load import wipe as wipe_graph
from results import Figure, table

from connectors import ingest, load_configs
from graph import GraphTarget, ensure_constraints, load, open_driver
from hub import pipeline
from hub.settings import Settings
from linkage import output_tables, run_linkage
from simulator import generate_city

CHANGED_SOURCE = "disdukcapil"


def build(workdir: Path, households: int, seed: int, settings: Settings) -> float:
    """Generate, ingest and link the city once (seconds spent, 0 when reused)."""
    done = workdir / f"built-{households}-{seed}"
    if done.exists():
        return 0.0
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    started = time.perf_counter()
    generate_city(households, seed, workdir / "city")
    con = pipeline.open_db(settings)
    try:
        ingest(con, load_configs(workdir / "city" / "config"))
        run_linkage(
            con,
            pipeline.model_dir(settings),
            train=True,
            settings=pipeline.linkage_settings(settings),
        )
    finally:
        con.close()
    done.touch()
    return time.perf_counter() - started


def graph_size(conn: GraphTarget) -> tuple[int, int]:
    with open_driver(conn) as driver:
        nodes = driver.execute_query(
            "MATCH (n) RETURN count(n) AS c", database_=conn.database
        ).records[0]["c"]
        rels = driver.execute_query(
            "MATCH ()-[r]->() RETURN count(r) AS c", database_=conn.database
        ).records[0]["c"]
    return int(nodes), int(rels)


def wipe(conn: GraphTarget) -> None:
    with open_driver(conn) as driver:
        wipe_graph(driver)


def timed_load(settings: Settings) -> tuple[float, Any]:
    con = pipeline.open_db(settings)
    try:
        started = time.perf_counter()
        report = pipeline.load_graph(settings, con)
        return time.perf_counter() - started, report
    finally:
        con.close()


def baseline_reload(settings: Settings, conn: GraphTarget) -> float:
    """Every table built and handed to the loader, as `hub load` did before."""
    con = pipeline.open_db(settings)
    try:
        started = time.perf_counter()
        tables = output_tables(con)
        with open_driver(conn) as driver:
            ensure_constraints(driver, conn.database)
            load(driver, tables, conn.database)
        return time.perf_counter() - started
    finally:
        con.close()


def change_source(city: Path, share_of_all: float, all_records: int) -> dict[str, int]:
    """Edit the civil registry's export so that `share_of_all` of every record
    in the city changes: every 4th edited row moves out of the city, every 4th
    dies, the others get a new address; one in ten edited rows is withdrawn."""
    path = city / "sources" / f"{CHANGED_SOURCE}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    wanted = max(1, round(all_records * share_of_all))
    step = max(1, len(body) // wanted)
    counts = {"moved": 0, "deceased": 0, "new address": 0, "withdrawn": 0}
    keep = []
    for i, row in enumerate(body):
        if i % step or sum(counts.values()) >= wanted:
            keep.append(row)
            continue
        n = i // step
        if n % 10 == 9:
            counts["withdrawn"] += 1
            continue
        kind = ("moved", "deceased", "new address", "new address")[n % 4]
        counts[kind] += 1
        if kind == "moved":
            row[col["KAB_NAME"]] = "KABUPATEN GARUT"
        elif kind == "deceased":
            row[col["STAT_HBKEL"]] = "MENINGGAL"
        else:
            row[col["ALAMAT"]] = row[col["ALAMAT"]] + " (PINDAH RUMAH)"
        keep.append(row)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([header, *keep])
    return counts


def count_records(settings: Settings) -> int:
    con = pipeline.open_db(settings)
    try:
        [(n,)] = con.execute("SELECT count(*) FROM current_records").fetchall()
        return int(n)
    finally:
        con.close()


def relink(settings: Settings, city: Path) -> None:
    con = pipeline.open_db(settings)
    try:
        configs = [c for c in load_configs(city / "config") if c.id == CHANGED_SOURCE]
        ingest(con, configs)
        run_linkage(con, pipeline.model_dir(settings), settings=pipeline.linkage_settings(settings))
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", required=True)
    parser.add_argument("--database", default="neo4j")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--change", type=float, default=0.01, help="share of all records the change touches"
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/satupintu-bench-hub-load"))
    parser.add_argument("--wipe", action="store_true", help="required: the graph is wiped")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    if not args.wipe:
        parser.error("this bench WIPES the database at --uri: pass --wipe to confirm.")
    logging.getLogger("splink").setLevel(logging.ERROR)
    load_at_start = os.getloadavg()[0]
    conn = GraphTarget(uri=args.uri, user=args.user, password=args.password, database=args.database)
    settings = Settings(
        home=args.workdir / "home",
        neo4j_uri=args.uri,
        neo4j_user=args.user,
        neo4j_password=args.password,
        neo4j_database=args.database,
    )
    built = build(args.workdir, args.households, args.seed, settings)
    print(
        f"city: {args.households:,} households"
        + (f", built in {built:.0f} s" if built else ", reused")
    )
    wipe(conn)
    loads = [os.getloadavg()[0]]
    full_s, full = timed_load(settings)
    loads.append(os.getloadavg()[0])
    nodes, rels = graph_size(conn)
    print(
        f"full load: {nodes:,} nodes + {rels:,} rels in {full_s:.1f} s; "
        + ", ".join(f"{k} {t.seconds:.1f}s" for k, t in full.tables.items() if t.seconds > 0.3)
    )
    same_s, same = timed_load(settings)
    print(f"unchanged reload: {same_s:.2f} s, {same.rows_sent} of {same.rows_built} rows sent")
    base_s = baseline_reload(settings, conn)
    print(f"baseline reload (every row to the loader): {base_s:.1f} s")
    records = count_records(settings)
    counts = change_source(args.workdir / "city", args.change, records)
    relink(settings, args.workdir / "city")
    loads.append(os.getloadavg()[0])
    change_s, change = timed_load(settings)
    loads.append(os.getloadavg()[0])
    touched = sum(counts.values())
    print(
        f"change of {touched:,} records ({touched / records:.2%}): {change_s:.2f} s, "
        f"{change.rows_sent:,} rows sent, {change.retired} retired, {change.dropped} dropped"
    )
    (args.workdir / f"built-{args.households}-{args.seed}").unlink()  # the city changed
    wipe(conn)  # in bounded transactions: a test's one-statement wipe of ~1M entities fails

    rate = (nodes + rels) / full_s
    figures = [
        Figure(
            f"`hub load` full, {args.households:,} households, nodes+relationships/s",
            f"{rate:,.0f} ({nodes:,} nodes + {rels:,} rels in {full_s:.1f} s)",
            "goal 50,000",
            f"{rate / 50_000:.2f}",
        ),
        Figure(
            "`hub load` unchanged reload (s)",
            f"{same_s:.2f} ({same.rows_sent} of {same.rows_built:,} rows sent)",
            f"full load {full_s:.1f} s; every row to the loader {base_s:.1f} s",
            f"{same_s / full_s:.3f} of full",
        ),
        Figure(
            f"`hub load` after a change of {touched / records:.1%} of records (s)",
            f"{change_s:.2f} ({change.rows_sent:,} rows sent; "
            + ", ".join(f"{k} {v}" for k, v in counts.items())
            + ")",
            f"full load {full_s:.1f} s",
            f"{change_s / full_s:.3f} of full",
        ),
    ]
    notes = [
        f"load average (1 min) at the start {load_at_start:.1f}; before and after the "
        "full load " + " / ".join(f"{x:.1f}" for x in loads[:2]) + "; before and after "
        "the 1% change's load "
        + " / ".join(f"{x:.1f}" for x in loads[2:])
        + f"; at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (a load "
        "average above the core count means other work shared the machine: then the "
        "absolute times are not a quiet machine's; the ratios are same-run)",
        "each household's rows (and its lifecycle moves) are written in one "
        "transaction, two transactions at a time (graph.household_load)",
    ]
    if args.no_record:
        print(table(figures, notes))
    else:
        results.report("bench_hub_load", figures, notes)


if __name__ == "__main__":
    main()
