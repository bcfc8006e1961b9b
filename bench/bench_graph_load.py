"""Bulk load rate of graph.loader against a raw UNWIND CREATE baseline, same run.

    python bench/bench_graph_load.py --uri bolt://127.0.0.1:7687 --password ... \
        --households 20000 --wipe

It WIPES the target database (hence --wipe); run it against your own server.
Reported: nodes+relationships created per second by the loader (full load),
by the raw baseline writing the same number of nodes and relationships with
CREATE, their ratio, and the time of a no-change reload (incremental upsert
of identical data). The table goes to stdout and to bench/results.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import results
from results import Figure, table

from graph import DEFAULT_BATCH, DEFAULT_WRITERS, GraphTarget, ensure_constraints, load, open_driver

NAMES = [
    "asep",
    "euis",
    "hermawan",
    "siti",
    "jajang",
    "dedi",
    "yusuf",
    "nining",
    "ujang",
    "cucu",
    "agus",
    "rina",
    "dadang",
    "iis",
    "wawan",
    "tati",
    "supriatna",
    "muhammad",
]
#: the raw baseline's batch, as measured before the loader changed
RAW_BATCH = 5_000
PROGRAMS = ["PKH", "BPNT", "PBI-JK", "BLT", "KIP", "SEMBAKO-YAYASAN", "ZAKAT"]


def city(households: int, seed: int = 7) -> dict[str, pa.Table]:
    rnd = random.Random(seed)
    kel = [f"32730{k:02d}{i:03d}" for k in range(1, 31) for i in range(1, 6)]
    hh, persons, records, services = [], [], [], []
    pid = 0
    for h in range(households):
        hid = f"H{h}"
        code = rnd.choice(kel)
        hh.append(
            {
                "household_id": hid,
                "no_kk": f"3273{h:012d}",
                "rt": f"{rnd.randint(1, 15):03d}",
                "rw": f"{rnd.randint(1, 12):03d}",
                "kelurahan_code": code,
                "kecamatan_code": code[:6],
                "welfare_decile": rnd.randint(1, 10),
                "address": f"Jl. Bench {h}",
            }
        )
        for m in range(rnd.randint(1, 5)):
            name = f"{rnd.choice(NAMES)} {rnd.choice(NAMES)}"
            persons.append(
                {
                    "person_id": f"P{pid}",
                    "household_id": hid,
                    "full_name": name.title(),
                    "name_tokens": name,
                    "nik": f"3273{pid:012d}",
                    "birth_date": date(1950, 1, 1) + timedelta(days=rnd.randint(0, 25000)),
                    "sex": rnd.choice("LP"),
                    "relationship": "KEPALA" if m == 0 else "ANAK",
                    "ppks": ["PPKS24"] if rnd.random() < 0.3 else [],
                }
            )
            records.append(
                {
                    "record_key": f"dtks:{pid}",
                    "source": "dtks",
                    "organization": "DINSOS",
                    "source_record_id": str(pid),
                    "person_id": f"P{pid}",
                    "full_name": name.title(),
                    "match_probability": 1.0,
                }
            )
            pid += 1
        for s in range(rnd.randint(0, 3)):
            services.append(
                {
                    "service_id": f"S{h}-{s}",
                    "household_id": hid,
                    "program": rnd.choice(PROGRAMS),
                    "service_date": date(2026, rnd.randint(1, 12), 1),
                    "amount": 100000.0,
                    "funder": "APBN",
                    "organization": "DINSOS",
                }
            )
    return {
        "kecamatan": pa.Table.from_pylist(
            [{"code": f"32730{k:02d}", "name": f"Kec {k}"} for k in range(1, 31)]
        ),
        "kelurahan": pa.Table.from_pylist(
            [{"code": c, "name": f"Kel {c}", "kecamatan_code": c[:6]} for c in kel]
        ),
        "organizations": pa.Table.from_pylist([{"id": "DINSOS", "name": "Dinsos"}]),
        "households": pa.Table.from_pylist(hh),
        "persons": pa.Table.from_pylist(persons),
        "source_records": pa.Table.from_pylist(records),
        "services": pa.Table.from_pylist(services),
    }


def wipe(driver: Any) -> None:
    """Empty the database in bounded transactions: relationships first, since
    DETACH DELETE of a dense node (a program with 100k households) would
    delete all of its relationships in one transaction."""
    for query in (
        "MATCH ()-[r]->() WITH r LIMIT 50000 DELETE r RETURN count(*) AS c",
        "MATCH (n) WITH n LIMIT 50000 DELETE n RETURN count(*) AS c",
    ):
        while driver.execute_query(query).records[0]["c"]:
            pass


def raw_baseline(driver: Any, nodes: int, rels: int, batch: int) -> float:
    """CREATE the same numbers of nodes and relationships, no MERGE, no checks."""
    driver.execute_query("CREATE INDEX raw_id IF NOT EXISTS FOR (n:Raw) ON (n.id)")
    driver.execute_query("CALL db.awaitIndexes(300)")
    started = time.perf_counter()
    for start in range(0, nodes, batch):
        rows = [
            {"id": i, "name": f"n{i}", "v": i % 10} for i in range(start, min(nodes, start + batch))
        ]
        driver.execute_query("UNWIND $rows AS row CREATE (n:Raw) SET n = row", rows=rows)
    for start in range(0, rels, batch):
        rows = [
            {"a": i % nodes, "b": (i * 7 + 1) % nodes}
            for i in range(start, min(rels, start + batch))
        ]
        driver.execute_query(
            "UNWIND $rows AS row MATCH (a:Raw {id: row.a}) "
            "MATCH (b:Raw {id: row.b}) CREATE (a)-[:R]->(b)",
            rows=rows,
        )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", default="bolt://127.0.0.1:7687")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", required=True)
    parser.add_argument("--database", default="neo4j")
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH)
    parser.add_argument("--writers", type=int, default=DEFAULT_WRITERS)
    parser.add_argument("--raw-batch", type=int, default=RAW_BATCH)
    parser.add_argument("--no-record", action="store_true", help="do not write bench/results.md")
    parser.add_argument("--wipe", action="store_true", help="required: the database is wiped")
    args = parser.parse_args()
    if not args.wipe:
        parser.error("this benchmark deletes everything in the database: pass --wipe")
    conn = GraphTarget(args.uri, args.user, args.password, args.database)
    driver = open_driver(conn)
    tables = city(args.households)
    wipe(driver)
    ensure_constraints(driver, args.database)

    report = load(driver, tables, args.database, args.batch, args.writers)
    nodes = sum(t.nodes_created for t in report.tables.values())
    rels = sum(t.relationships_created for t in report.tables.values())
    loader_rate = (nodes + rels) / report.seconds

    started = time.perf_counter()
    again = load(driver, tables, args.database, args.batch, args.writers)
    reload_s = time.perf_counter() - started

    raw_s = raw_baseline(driver, nodes, rels, args.raw_batch)
    raw_rate = (nodes + rels) / raw_s
    wipe_raw(driver)
    driver.close()

    print("rows: " + ", ".join(f"{k}={v.rows}" for k, v in report.tables.items()))
    for name, t in report.tables.items():
        print(
            f"  {name:16s} {t.rows:8d} rows {t.seconds:7.2f} s "
            f"{(t.nodes_created + t.relationships_created) / max(t.seconds, 1e-9):10,.0f} /s"
        )
    figures = [
        Figure(
            "full load into an empty graph, nodes+relationships/s",
            f"{loader_rate:,.0f} ({nodes:,} nodes + {rels:,} rels in {report.seconds:.1f} s)",
            f"raw UNWIND CREATE {raw_rate:,.0f} ({raw_s:.1f} s)",
            f"{loader_rate / raw_rate:.2f}",
        ),
        Figure(
            "no-change reload (incremental upsert of identical data)",
            f"{reload_s:.1f} s, changed={again.changed}",
            f"full load {report.seconds:.1f} s",
            f"{reload_s / report.seconds:.2f}",
        ),
    ]
    notes = [
        f"city: {args.households:,} households, batch {args.batch:,}, "
        f"{args.writers} writer(s); baseline: rows as maps, {args.raw_batch:,} per "
        "batch, nodes by CREATE then relationships by MATCH on an indexed id",
        "goal (issue 5): >= 50,000 nodes+relationships/s",
    ]
    if args.no_record:
        print(table(figures, notes))
    else:
        results.report("bench_graph_load", figures, notes)
    return 0


def wipe_raw(driver: Any) -> None:
    while driver.execute_query(
        "MATCH (n:Raw) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS c"
    ).records[0]["c"]:
        pass
    driver.execute_query("DROP INDEX raw_id IF EXISTS")


if __name__ == "__main__":
    raise SystemExit(main())
