"""Targeting findings for a whole city, and one household's eligibility, against
baselines in the same run.

    python bench/bench_targeting.py --uri bolt://127.0.0.1:7714 --password ... \
        [--households 20000 --load --wipe] [--samples 200] [--from 2026-01-01 --to 2026-12-31]

- `targetingFindings` (exclusion, inclusion and duplicated aid of every
  household, first page) against `duplicatedAid` over the same period, the
  whole-city query it folds in: cold (a fresh findings cache each run, so the
  graph is read and the rules run) and then warm (asked again, nothing
  written in between: served from the cache, keyed by a real journal's head);
- `household { eligibility }` p50/p95 over `--samples` households against
  `household { id decile }` on the same households;
- a page of 50 households (with eligibility, without, and from the middle of
  the city) and `eligibilityWhatIf` after the findings (their rows are kept).

Both run in process through the real schema (`schema.build_schema`) and
repository as a Dinsos administrator, the eligibility rules of the catalogue
loaded; no HTTP, so the figures are the query and the rules, not the server.
--load --wipe loads the generator's ground-truth city first (bench_api's
`truth_city`, not linked from source exports), WIPING the database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results import Figure, report, table  # noqa: E402

FINDINGS = """query($from: Date!, $to: Date!) { targetingFindings(from: $from, to: $to, first: 1) {
  totalCount edges { node { kind programs } } } }"""
DUPLICATED = """query($from: Date!, $to: Date!) { duplicatedAid(from: $from, to: $to, first: 1) {
  totalCount edges { node { rule programs } } } }"""
ELIGIBILITY = """query($id: ID!) { household(id: $id) {
  id eligibility(on: "2026-12-31") { program eligible conditions { name held explanation } } } }"""
HOUSEHOLD = """query($id: ID!) { household(id: $id) { id decile } }"""
PAGE = """query($first: Int!) { households(first: $first) {
  edges { node { id eligibility(on: "2026-12-31") { program eligible } } } } }"""
PAGE_PLAIN = (
    """query($first: Int!) { households(first: $first) { edges { node { id decile } } } }"""
)
PAGE_DEEP = """query($first: Int!, $after: String) { households(first: $first, after: $after) {
  totalCount edges { node { id decile } } } }"""
WHAT_IF = """query($from: Date!, $to: Date!) { eligibilityWhatIf(from: $from, to: $to,
  program: "PKH", decileMax: 3) { households eligibleNow eligibleThen unitCost } }"""


@dataclass(frozen=True)
class Admin:
    organization: str = "DINSOS"
    role: str = "dinsos_admin"
    subject: str = "bench"


async def timed(run: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


async def measure(args: argparse.Namespace, ids: list[str]) -> list[Figure]:
    from connectors.reference import eligibility_rules
    from graph import GraphRepository, GraphTarget, open_async_driver
    from journal import Journal
    from schema import build_schema
    from schema.context import Context, Services
    from schema.eligibility import FindingsCache
    from schema.pagination import encode_cursor

    conn = GraphTarget(args.uri, args.user, args.password, args.database)
    driver = await open_async_driver(conn)
    scratch = TemporaryDirectory()  # a real journal: the findings cache keys on its head
    services = Services(
        repository=GraphRepository(driver, args.database, args.uri),
        rules=eligibility_rules(),
        journal=Journal.at_home(Path(scratch.name)),
    )
    schema = build_schema()

    async def ask(query: str, **variables: Any) -> Any:
        context = Context.for_request(services, Admin(), purpose="bench targeting")
        result = await schema.execute(query, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        return result.data

    period = {"from": args.start, "to": args.end}
    try:
        await ask(HOUSEHOLD, id=ids[0])  # warm the driver's pool
        found = await ask(FINDINGS, **period)
        duplicated = await ask(DUPLICATED, **period)
        cold = []
        for _ in range(args.runs):
            services = replace(services, findings=FindingsCache())
            cold.append(await timed(lambda: ask(FINDINGS, **period)))
        warm = min([await timed(lambda: ask(FINDINGS, **period)) for _ in range(args.runs)])
        dup_s = min([await timed(lambda: ask(DUPLICATED, **period)) for _ in range(args.runs)])
        sample = ids[: args.samples]
        elig = [await timed(lambda h=h: ask(ELIGIBILITY, id=h)) for h in sample]  # type: ignore[misc]
        plain = [await timed(lambda h=h: ask(HOUSEHOLD, id=h)) for h in sample]  # type: ignore[misc]
        page = min([await timed(lambda: ask(PAGE, first=50)) for _ in range(args.runs)])
        page_plain = min([await timed(lambda: ask(PAGE_PLAIN, first=50)) for _ in range(args.runs)])
        middle = encode_cursor(args.households_found // 2)
        deep = min(
            [await timed(lambda: ask(PAGE_DEEP, first=50, after=middle)) for _ in range(args.runs)]
        )
        # the what-if over the findings' period: the city's rows the findings read are kept
        what_if_s = min([await timed(lambda: ask(WHAT_IF, **period)) for _ in range(args.runs)])
    finally:
        await driver.close()
        scratch.cleanup()
    findings_s = min(cold)
    total = found["targetingFindings"]["totalCount"]
    dups = duplicated["duplicatedAid"]["totalCount"]
    return [
        Figure(
            f"targetingFindings {args.start}..{args.end}, whole city, cold "
            f"({args.households_found:,} households, {total:,} findings), best of {args.runs}",
            f"{findings_s:.2f} s",
            f"duplicatedAid ({dups:,} findings): {dup_s:.2f} s",
            f"{findings_s / dup_s:.1f}x",
        ),
        Figure(
            "targetingFindings again, nothing written (the findings cache)",
            f"{warm * 1000:.1f} ms",
            f"cold: {findings_s:.2f} s",
            f"{warm / findings_s:.4f}x",
        ),
        Figure(
            f"household eligibility p95 ({len(sample)} households; p50 "
            f"{statistics.median(elig) * 1000:.1f} ms)",
            f"{p95(elig) * 1000:.1f} ms",
            f"household {{ id decile }} p95: {p95(plain) * 1000:.1f} ms",
            f"{p95(elig) / p95(plain):.1f}x",
        ),
        Figure(
            f"a page of 50 households with their eligibility (one facts read), best of {args.runs}",
            f"{page * 1000:.1f} ms",
            f"the same page without eligibility: {page_plain * 1000:.1f} ms",
            f"{page / page_plain:.1f}x",
        ),
        Figure(
            f"a page of 50 households {{ id decile }} from the middle of the city, best of "
            f"{args.runs}",
            f"{deep * 1000:.1f} ms",
            f"household {{ id decile }} p95: {p95(plain) * 1000:.1f} ms",
            f"{deep / p95(plain):.1f}x",
        ),
        Figure(
            "eligibilityWhatIf PKH decileMax 3 over the findings' period, nothing written "
            f"(the city's rows kept), best of {args.runs}",
            f"{what_if_s * 1000:.1f} ms",
            f"targetingFindings cold: {findings_s:.2f} s",
            f"{what_if_s / findings_s:.3f}x",
        ),
    ]


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    p.add_argument("--user", default="neo4j")
    p.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD"))
    p.add_argument("--database", default="neo4j")
    p.add_argument("--households", type=int, default=20_000)
    p.add_argument("--load", action="store_true")
    p.add_argument("--wipe", action="store_true")
    p.add_argument("--samples", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--from", dest="start", default="2026-01-01", help="the period's first day")
    p.add_argument("--to", dest="end", default="2026-12-31", help="its last day")
    p.add_argument("--no-record", action="store_true", help="do not write bench/results.md")
    args = p.parse_args()
    if not args.password:
        p.error("give --password or NEO4J_PASSWORD")

    from graph import GraphTarget, ensure_constraints, load, open_driver

    sync = open_driver(GraphTarget(args.uri, args.user, args.password, args.database))
    if args.load:
        if not args.wipe:
            p.error("--load wipes the database first: pass --wipe too")
        from bench_api import truth_city
        from bench_graph_load import wipe

        started = time.perf_counter()
        tables = truth_city(args.households)
        wipe(sync)
        ensure_constraints(sync, args.database)
        load(sync, tables, args.database)
        took = time.perf_counter() - started
        print(f"city of {args.households:,} households built and loaded in {took:.0f} s")
    ids = [
        r["id"]
        for r in sync.execute_query(
            "MATCH (h:Household) RETURN h.household_id AS id ORDER BY rand() LIMIT 5000",
            database_=args.database,
        ).records
    ]
    args.households_found = sync.execute_query(
        "MATCH (h:Household) RETURN count(h) AS n", database_=args.database
    ).records[0]["n"]
    sync.close()
    if not ids:
        print("no households in the graph: pass --load --wipe", file=sys.stderr)
        return 1
    figures = asyncio.run(measure(args, ids))
    notes = [f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}"]
    if args.no_record:
        print(table(figures, notes))
    else:
        report("bench_targeting", figures, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
