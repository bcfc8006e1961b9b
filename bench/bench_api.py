"""Household-360 throughput through the real ASGI stack, against a bare
strawberry baseline (a trivial query on a one-field schema) in the same run.

    python bench/bench_api.py --uri bolt://127.0.0.1:7687 --password ... \
        [--households 100000 --load --wipe] [--seconds 20] [--connections 16]

Without --load it queries whatever households the graph holds (e.g. after
`hub demo`). With --load --wipe it loads the synthetic city of
bench_graph_load.py first. Requests go over real HTTP to uvicorn on a local
port, so parsing, validation, the driver and Neo4j are all measured. Prints
requests/s and p50/p99 latency for both, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from graph.driver import Connection, open_async_driver, open_driver
from graph.repository import GraphRepository
from schema import build_schema
from schema.context import Context, Services

HOUSEHOLD_360 = """query($id: ID!) { household(id: $id) {
  id noKk kelurahan kecamatan rt rw decile
  members { id fullName nik relationship problems { code } }
  problems { code } currentPrograms { programCode active }
  serviceHistory { id serviceDate program funder amount }
  assessments { id } referrals { id status }
} }"""


class Admin:
    organization = "DINSOS"
    role = "dinsos_admin"


@strawberry.type
class BareQuery:
    @strawberry.field
    def hello(self) -> str:
        return "world"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


async def hammer(url: str, bodies: list[dict[str, Any]], seconds: float,
                 connections: int) -> tuple[float, float, float, int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        async def worker(seed: int) -> None:
            nonlocal errors
            rnd = random.Random(seed)
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                r = await client.post(url, json=rnd.choice(bodies))
                latencies.append(time.perf_counter() - started)
                if r.status_code != 200 or "errors" in r.json():
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(connections)))
        elapsed = time.perf_counter() - started
    qs = statistics.quantiles(latencies, n=100)
    return len(latencies) / elapsed, qs[49] * 1000, qs[98] * 1000, errors


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--uri", default="bolt://127.0.0.1:7687")
    p.add_argument("--user", default="neo4j")
    p.add_argument("--password", required=True)
    p.add_argument("--database", default="neo4j")
    p.add_argument("--households", type=int, default=100_000)
    p.add_argument("--load", action="store_true")
    p.add_argument("--wipe", action="store_true")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--connections", type=int, default=16)
    args = p.parse_args()
    conn = Connection(args.uri, args.user, args.password, args.database)
    if args.load:
        if not args.wipe:
            p.error("--load wipes the database first: pass --wipe too")
        from bench_graph_load import city, wipe

        from graph.constraints import ensure
        from graph.loader import load

        sync = open_driver(conn)
        wipe(sync)
        ensure(sync, args.database)
        load(sync, city(args.households), args.database)
        sync.close()
    sync = open_driver(conn)
    ids = [r["id"] for r in sync.execute_query(
        "MATCH (h:Household) RETURN h.household_id AS id LIMIT 5000",
        database_=args.database).records]
    sync.close()
    if not ids:
        print("no households in the graph: pass --load --wipe", file=sys.stderr)
        return 1

    holder: dict[str, Services] = {}

    class HubApp(GraphQL[Context, None]):
        async def get_context(self, request: Any, response: Any) -> Context:
            if "services" not in holder:  # the driver belongs to uvicorn's loop
                driver = await open_async_driver(conn)
                holder["services"] = Services(GraphRepository(driver, args.database, args.uri))
            return Context.for_request(holder["services"], Admin(), request=request,
                                       response=response, purpose="bench")

    bare_schema = strawberry.Schema(BareQuery, extensions=[
        lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)])
    bare_port, hub_port = free_port(), free_port()
    bare = serve(Starlette(routes=[Route("/graphql", GraphQL(bare_schema))]), bare_port)
    hub = serve(Starlette(routes=[Route("/graphql", HubApp(build_schema()))]), hub_port)

    base = asyncio.run(hammer(f"http://127.0.0.1:{bare_port}/graphql",
                              [{"query": "{ hello }"}], args.seconds, args.connections))
    bodies = [{"query": HOUSEHOLD_360, "variables": {"id": i}} for i in ids]
    h360 = asyncio.run(hammer(f"http://127.0.0.1:{hub_port}/graphql", bodies, args.seconds,
                              args.connections))
    bare.should_exit = hub.should_exit = True
    for name, (rps, p50, p99, errors) in (("bare strawberry", base), ("household 360", h360)):
        print(f"{name:16s} {rps:8.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
              f"errors {errors}")
    print(f"ratio household360/bare: {h360[0] / base[0]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
