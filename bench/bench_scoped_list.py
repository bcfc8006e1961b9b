"""A foundation's households page and its visible-household ids, on a loaded graph.

    PYTHONPATH=. python bench/bench_scoped_list.py --uri bolt://127.0.0.1:7698 \
        --password ... [--organizations 2] [--runs 3] [--no-record]

For the foundations serving the most households, runs what the API runs for
`households(first: 50)` and for the poverty figures' visible ids
(`GraphRepository.find_households`, `visible_households`), as that
organization, and the same two queries starting from every household of the
city (the visibility rule tested on each: the baseline), alternating, on the
same server in the same run. Asserts both give the same answers; prints the
median seconds and the ratio, and keeps them in bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, report, table

from domain.shapes import Scope
from graph import GraphRepository, GraphTarget, open_async_driver

#: the page the API asks for, and the statuses a page lists by default
PAGE = {"filters": {"statuses": ["active"]}, "offset": 0, "limit": 50}


def every_household(scope: Scope) -> str:
    """The baseline's start: every household of the city."""
    return "MATCH (h:Household) "


async def timed(
    repo: GraphRepository, scope: Scope, start: Callable[[Scope], Any]
) -> tuple[float, Any]:
    repo.households_from = start  # type: ignore[method-assign]
    began = time.perf_counter()
    page = await repo.find_households(scope, **PAGE)  # type: ignore[arg-type]
    ids = await repo.visible_households(scope)
    took = time.perf_counter() - began
    return took, ([r["household_id"] for r in page["rows"]], page["total"], ids)


async def main(args: argparse.Namespace) -> None:
    target = GraphTarget(uri=args.uri, user=args.user, password=args.password, database="neo4j")
    driver = await open_async_driver(target)
    repo = GraphRepository(driver, "neo4j", args.uri)
    records = (
        await driver.execute_query(
            "MATCH (o:Organization {type: 'foundation'})-[:SERVES]->(h:Household) "
            "RETURN o.id AS id, count(h) AS served ORDER BY served DESC, id LIMIT $n",
            n=args.organizations,
        )
    ).records
    households = (await driver.execute_query("MATCH (h:Household) RETURN count(h) AS n")).records
    if not records:
        await driver.close()
        raise SystemExit("no foundation serves a household in this graph: load a city first")
    now = GraphRepository.households_from
    figures = []
    try:
        for record in records:
            scope: Scope = {"organization": record["id"], "special_category": False, "opened": []}
            times: dict[str, list[float]] = {"baseline": [], "now": []}
            answers = {}
            for _ in range(args.runs):
                for name, start in (("baseline", every_household), ("now", now)):
                    took, answers[name] = await timed(repo, scope, start)
                    times[name].append(took)
            assert answers["baseline"] == answers["now"], record["id"]
            base, got = statistics.median(times["baseline"]), statistics.median(times["now"])
            figures.append(
                Figure(
                    f"{record['id']} ({answers['now'][1]} households open to it): "
                    "households page + visible ids, median s",
                    f"{got:.3f}",
                    f"every household tested: {base:.3f}",
                    f"{base / got:.1f}x faster",
                )
            )
            print(figures[-1])
    finally:
        await driver.close()
    notes = [f"graph: {households[0]['n']:,} households", f"median of {args.runs} alternating runs"]
    if args.no_record:
        print(table(figures, notes))
    else:
        report("bench_scoped_list", figures, notes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", required=True)
    parser.add_argument("--organizations", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not write bench/results.md")
    asyncio.run(main(parser.parse_args()))
