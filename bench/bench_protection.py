"""What protection costs: household-360 throughput with protection on against
protection off, in the same run, against the same Neo4j.

    python bench/bench_protection.py --uri bolt://127.0.0.1:7695 --password ... \
        --wipe [--households 2000] [--requests 2000] [--concurrency 8]

Both apps run in this process and are driven through httpx's ASGI transport
(no sockets, so the figure is the app's own cost), with a bounded number of
requests, alternating off/on rounds so drift hits both alike:

- off (the baseline): strawberry + the same schema, resolvers and DataLoaders,
  a fixed dinsos_admin principal, no authentication, no limits, no audit sink;
- on: `hub.app.create_app` in production mode with a temporary HUB_HOME: API
  key check, rate limit (set high), depth/token/alias/batch limits, no
  introspection, masked errors, the purpose header, and the hash-chained
  SQLite audit log appended once per request;
- on, foundation: the same, as a relationship-scoped foundation key (scoped
  Cypher and masked NIK/KK/phone) on households it serves.

--wipe loads a small synthetic city first, WIPING the database: use your own
server. Prints the results table and adds it to bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from results import Figure, report  # noqa: E402

from graph import (  # noqa: E402
    GraphRepository,
    GraphTarget,
    ensure_constraints,
    load,
    open_async_driver,
    open_driver,
)
from hub.app import create_app  # noqa: E402
from hub.security import KeyStore, SecurityDB  # noqa: E402
from hub.settings import Settings  # noqa: E402
from schema import build_schema  # noqa: E402
from schema.context import Context, Services  # noqa: E402
from schema.pubsub import PubSub  # noqa: E402

HOUSEHOLD_360 = """query($id: ID!) { household(id: $id) {
  id noKk kelurahan kecamatan rt rw decile
  members { id fullName nik phone relationship problems { code } }
  problems { code } currentPrograms { programCode active }
  serviceHistory { id serviceDate program funder amount }
  assessments { id } referrals { id status }
} }"""
FOUNDATION = "YAY-BENCH"
PPKS = ["PPKS08", "PPKS16", "PPKS24"]


def city(households: int, seed: int = 7) -> dict[str, pa.Table]:
    """A small synthetic city: 3 people per household, a problem each, services
    from DINSOS, and one in four households served by the bench foundation."""
    rnd = random.Random(seed)
    t = pa.Table.from_pylist
    kel = [f"32730{k:02d}100{j}" for k in range(1, 6) for j in range(1, 4)]
    hh, people, services, records = [], [], [], []
    for i in range(households):
        hid, k = f"BH{i:06d}", kel[i % len(kel)]
        hh.append(
            {
                "household_id": hid,
                "no_kk": f"3273{i:012d}",
                "address": f"Jl. {i}",
                "street": "Jl. Bench",
                "house_number": str(i),
                "rt": "001",
                "rw": "002",
                "kelurahan_code": k,
                "kecamatan_code": k[:6],
                "welfare_decile": rnd.randint(1, 10),
                "status": "active",
            }
        )
        for j in range(3):
            pid = f"BP{i:06d}{j}"
            people.append(
                {
                    "person_id": pid,
                    "household_id": hid,
                    "full_name": f"Warga {i} {j}",
                    "name_tokens": f"warga {i} {j}",
                    "nik": f"32730101{i:06d}{j:02d}",
                    "no_kk": None,
                    "birth_date": date(1980, 1, 1 + j),
                    "birth_place": "Bandung",
                    "sex": "L" if j else "P",
                    "relationship": "KEPALA" if j == 0 else "ANAK",
                    "phone": f"0812{i:06d}{j:02d}",
                    "status": "active",
                    "ppks": [rnd.choice(PPKS)],
                }
            )
            records.append(
                {
                    "record_key": f"dtks:{pid}",
                    "source": "dtks",
                    "organization": "DINSOS",
                    "source_record_id": pid,
                    "person_id": pid,
                    "full_name": f"Warga {i} {j}",
                    "match_probability": 1.0,
                }
            )
        org = FOUNDATION if i % 4 == 0 else "DINSOS"
        services.append(
            {
                "service_id": f"BS{i:06d}",
                "household_id": hid,
                "person_id": f"BP{i:06d}0",
                "program": "BPNT",
                "service_date": date(2026, 10, 5),
                "amount": 200000.0,
                "funder": "APBN",
                "organization": org,
                "source": org.lower(),
                "record_key": None,
            }
        )
    return {
        "kecamatan": t([{"code": f"32730{k}", "name": f"Kec {k}"} for k in range(1, 6)]),
        "kelurahan": t([{"code": k, "name": f"Kel {k}", "kecamatan_code": k[:6]} for k in kel]),
        "problems": t(
            [
                {
                    "code": c,
                    "number": int(c[4:]),
                    "name": c,
                    "name_en": c,
                    "special_category": c == "PPKS16",
                    "special_kind": "health" if c == "PPKS16" else None,
                }
                for c in PPKS
            ]
        ),
        "funders": t([{"code": "APBN", "name": "APBN", "kind": "APBN", "public": True}]),
        "organizations": t(
            [
                {"id": "DINSOS", "name": "Dinsos", "type": "agency"},
                {"id": FOUNDATION, "name": "Yayasan", "type": "foundation"},
            ]
        ),
        "programs": t(
            [
                {
                    "code": "BPNT",
                    "name": "BPNT",
                    "benefit_kind": "food",
                    "need": "food",
                    "funder_type": "APBN",
                    "ppks": ["PPKS24"],
                }
            ]
        ),
        "households": t(hh),
        "persons": t(people),
        "source_records": t(records),
        "services": t(services),
    }


async def drive(app: Any, ids: list[str], headers: dict[str, str], concurrency: int) -> float:
    """Requests per second for one household-360 request per id."""
    transport = httpx.ASGITransport(app=app)
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:

        async def one(hid: str) -> None:
            async with gate:
                r = await client.post(
                    "/graphql",
                    headers=headers,
                    json={"query": HOUSEHOLD_360, "variables": {"id": hid}},
                )
                body = r.json()
                if r.status_code != 200 or body.get("errors") or not body["data"]["household"]:
                    raise RuntimeError(f"{hid}: {r.status_code} {str(body)[:300]}")

        started = time.perf_counter()
        await asyncio.gather(*(one(h) for h in ids))
        return len(ids) / (time.perf_counter() - started)


def bare_app(services: Services) -> Starlette:
    class Admin:
        organization, role, subject = "DINSOS", "dinsos_admin", "bench"

    class Unprotected(GraphQL[Context, None]):
        async def get_context(self, request: Any, response: Any = None) -> Context:
            return Context.for_request(
                services, Admin(), request=request, response=response, purpose="bench"
            )

    return Starlette(routes=[Route("/graphql", Unprotected(build_schema()), methods=["POST"])])


async def main(args: argparse.Namespace) -> None:
    conn = GraphTarget(args.uri, args.user, args.password, args.database)
    if args.wipe:
        sync = open_driver(conn)
        sync.execute_query("MATCH (n) DETACH DELETE n", database_=conn.database)
        ensure_constraints(sync, conn.database)
        load(sync, city(args.households), conn.database)
        sync.close()
    driver = await open_async_driver(conn)
    repository = GraphRepository(driver, conn.database, conn.uri)
    home = Path(tempfile.mkdtemp(prefix="bench-protection-"))
    settings = Settings(
        home=home, mode="production", extra={"rate_limit": 1e9, "rate_burst": 10**9}
    )
    with SecurityDB.from_settings(settings) as db:
        admin = KeyStore(db).create("DINSOS", "dinsos_admin")[1]
        foundation = KeyStore(db).create(FOUNDATION, "foundation")[1]
    off = bare_app(Services(repository=repository, pubsub=PubSub()))
    on = create_app(settings, Services(repository=repository, pubsub=PubSub()))
    rnd = random.Random(1)
    everyone = [f"BH{i:06d}" for i in range(args.households)]
    served = everyone[::4]
    purpose = {"X-Purpose": "social_assistance: bench household 360"}
    runs: dict[str, list[float]] = {"off": [], "on": [], "on, foundation": []}
    plan: list[tuple[str, Any, list[str], dict[str, str]]] = [
        ("off", off, everyone, {}),
        ("on", on, everyone, {"X-API-Key": admin, **purpose}),
        ("on, foundation", on, served, {"X-API-Key": foundation, **purpose}),
    ]
    per_round = max(1, args.requests // args.rounds)
    for _name, app, ids, headers in plan:  # warm-up: caches, JIT in Neo4j
        await drive(app, rnd.choices(ids, k=min(200, per_round)), headers, args.concurrency)
    for _ in range(args.rounds):
        for name, app, ids, headers in plan:
            runs[name].append(
                await drive(app, rnd.choices(ids, k=per_round), headers, args.concurrency)
            )
    await driver.close()
    with SecurityDB.from_settings(settings) as db:
        from hub.security import AuditLog

        verified = AuditLog(db).verify()

    def best(name: str) -> float:
        return max(runs[name])

    base = best("off")
    figures = [
        Figure(
            f"household 360 req/s, protection {name}",
            f"{best(name):,.0f}",
            f"{base:,.0f} (off)",
            f"{best(name) / base:.2f}",
        )
        for name in runs
    ]
    report(
        "bench_protection",
        figures,
        notes=[
            f"{args.households:,} households x 3 people, {args.requests:,} requests per app in "
            f"{args.rounds} alternating rounds (best round), concurrency {args.concurrency}, "
            "in-process ASGI (httpx), Neo4j " + args.uri,
            f"audit log after the run: {verified.checked:,} events, chain intact: {verified.ok}",
        ],
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--uri", default="bolt://127.0.0.1:7687")
    p.add_argument("--user", default="neo4j")
    p.add_argument("--password", required=True)
    p.add_argument("--database", default="neo4j")
    p.add_argument("--wipe", action="store_true", help="WIPE the database and load a city.")
    p.add_argument("--households", type=int, default=2000)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--concurrency", type=int, default=8)
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
