"""Household-360 throughput of the real hub app, against a bare strawberry
baseline (a trivial query on a one-field schema) in the same run.

    python bench/bench_api.py --uri bolt://127.0.0.1:7698 --password ... \
        [--households 100000 --load --wipe] [--seconds 20] [--connections 16]

Both apps run in their own uvicorn process (uvloop + httptools) on 127.0.0.1;
the load comes from `wrk` in a third process, with a bounded run time. The hub
is the production app (`hub.app.create_app`, production mode) with a temporary
HUB_HOME: every request carries an API key made by its KeyStore (16 keys of
role dinsos_admin, one per simulated client, so the per-key rate limit stays
the production one) and an `X-Purpose` header, and is authenticated,
rate-limited and audited like any other. Prints requests/s, p50 and p99 for
both, and writes the table to bench/results.md.

--load --wipe loads a city first, WIPING the database (use your own server).
Shortcut, documented: the city is not linked from source exports (Splink at
100k households takes too long on 2 cores for a throughput bench); its
households and people are the synthetic generator's ground truth
(`simulator.population.build`: real names, NIK/KK, addresses,
deciles, PPKS), one DTSEN source record per person, and services/enrolments
drawn per household (PKH/BPNT for deciles 1-4 from DINSOS, foundation aid for
a share of the rest), all written through `graph.load`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import results  # noqa: E402
from results import Figure, table  # noqa: E402

HOUSEHOLD_360 = """query($id: ID!) { household(id: $id) {
  id noKk kelurahan kecamatan rt rw decile
  members { id fullName nik relationship problems { code } }
  problems { code } currentPrograms { programCode active }
  serviceHistory { id serviceDate program funder amount }
  assessments { id } referrals { id status }
} }"""
PURPOSE = "social_assistance: bench household 360 throughput"


# --- the city --------------------------------------------------------------------
def truth_city(households: int, seed: int = 11) -> dict[str, Any]:
    """Loader tables from the generator's ground truth (see the module docstring)."""
    from simulator import graph_city

    return graph_city.truth_city(households, _aid, seed)


def _aid(
    rng: np.random.Generator, hids: np.ndarray, deciles: np.ndarray, persons: pa.Table
) -> tuple[pa.Table, pa.Table]:
    from connectors import reference
    from simulator.graph_city import FOUNDATIONS

    funder = {p.code: p.funder_type for p in reference.programs()}
    public = {f.code for f in reference.funder_types() if f.public}
    rows, enrol = [], {}
    for h, d in zip(hids.tolist(), deciles.tolist(), strict=True):
        plan = ["PKH", "BPNT"] if d <= 4 else []
        if rng.random() < 0.15:
            plan.append("SEMBAKO-YAYASAN" if "SEMBAKO-YAYASAN" in funder else "BPNT")
        for program in plan:
            org = (
                "DINSOS"
                if funder.get(program) in public
                else FOUNDATIONS[int(rng.integers(len(FOUNDATIONS)))]
            )
            months = sorted(rng.choice(12, size=int(rng.integers(1, 4)), replace=False))
            for m in months:
                rows.append(
                    {
                        "service_id": f"S-{h}-{program}-{m}",
                        "household_id": h,
                        "program": program,
                        "service_date": f"2026-{m + 1:02d}-05",
                        "amount": 300000.0,
                        "funder": funder.get(program),
                        "organization": org,
                        "source": "bench",
                    }
                )
            enrol[(h, program)] = {
                "household_id": h,
                "program": program,
                "since": f"2026-{months[0] + 1:02d}-05",
                "until": f"2026-{months[-1] + 1:02d}-05",
                "active": True,
                "organization": org,
            }
    services = pa.Table.from_pylist(rows)
    services = services.set_column(
        services.column_names.index("service_date"),
        "service_date",
        services["service_date"].cast(pa.date32()),
    )
    enrolments = pa.Table.from_pylist(list(enrol.values()))
    for col in ("since", "until"):
        enrolments = enrolments.set_column(
            enrolments.column_names.index(col), col, enrolments[col].cast(pa.date32())
        )
    return services, enrolments


# --- the apps, each built inside its own uvicorn process -----------------------------
def hub_app() -> Any:
    """uvicorn factory: the production hub app, configured from the environment."""
    from hub.app import create_app
    from hub.settings import load_settings

    return create_app(load_settings(os.environ))


def bare_app() -> Any:
    """uvicorn factory: a one-field strawberry schema with the same caches."""
    import strawberry
    from starlette.applications import Starlette
    from starlette.routing import Route
    from strawberry.asgi import GraphQL
    from strawberry.extensions import ParserCache, ValidationCache

    @strawberry.type
    class BareQuery:
        @strawberry.field
        def hello(self) -> str:
            return "world"

    schema = strawberry.Schema(
        BareQuery,
        extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)],
    )
    return Starlette(routes=[Route("/graphql", GraphQL(schema))])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uvicorn(
    factory: str, port: int, env: dict[str, str], workers: int = 1
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"bench_api:{factory}",
            "--factory",
            "--workers",
            str(workers),
            "--app-dir",
            str(ROOT / "bench"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"uvicorn {factory} exited with {proc.returncode}") from None
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"uvicorn {factory} did not listen on {port} within 60 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# --- the load --------------------------------------------------------------------------
WRK_LUA = r"""
local bodies, keys = {}, {}
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
for line in io.lines(os.getenv("BENCH_KEYS")) do keys[#keys + 1] = line end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  errors = 0
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Purpose"] = os.getenv("BENCH_PURPOSE")
end
function request()
  wrk.headers["X-API-Key"] = keys[math.random(#keys)]
  return wrk.format(nil, nil, nil, bodies[math.random(#bodies)])
end
function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then errors = errors + 1 end
end
function done(summary, latency, requests)
  local errs = 0
  for _, t in ipairs(threads) do errs = errs + t:get("errors") end
  io.write(string.format("BENCH {\"requests\": %d, \"seconds\": %f, \"p50\": %f, " ..
    "\"p99\": %f, \"errors\": %d, \"socket_errors\": %d}\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    errs, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout + summary.errors.status))
end
"""


def wrk(
    url: str,
    bodies: list[str],
    keys: list[str],
    seconds: float,
    connections: int,
    threads: int,
    work: Path,
) -> dict[str, float]:
    (work / "bodies.txt").write_text("\n".join(bodies) + "\n")
    (work / "keys.txt").write_text("\n".join(keys) + "\n")
    (work / "bench.lua").write_text(WRK_LUA)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds:.0f}s",
            "--timeout",
            "10s",
            "-s",
            str(work / "bench.lua"),
            url,
        ],
        env={
            **os.environ,
            "BENCH_BODIES": str(work / "bodies.txt"),
            "BENCH_KEYS": str(work / "keys.txt"),
            "BENCH_PURPOSE": PURPOSE,
        },
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if found is None:
        raise SystemExit(f"wrk gave no summary:\n{out}")
    stats: dict[str, float] = json.loads(found.group(1))
    stats["rps"] = stats["requests"] / stats["seconds"]
    return stats


def check(url: str, body: str, key: str) -> None:
    """One request answered correctly before the load, so errors cannot pass as speed."""
    r = httpx.post(
        url,
        content=body,
        timeout=30,
        headers={"Content-Type": "application/json", "X-API-Key": key, "X-Purpose": PURPOSE},
    )
    data = r.json()
    if r.status_code != 200 or data.get("errors") or not data["data"]["household"]["members"]:
        raise SystemExit(f"household 360 is not answered correctly: {r.status_code} {data}")
    anonymous = httpx.post(
        url, content=body, timeout=30, headers={"Content-Type": "application/json"}
    )
    if anonymous.status_code != 401:
        raise SystemExit(f"an anonymous call got {anonymous.status_code}, not 401")


# --- main ------------------------------------------------------------------------------
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
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes per app (rate limits are per process)",
    )
    p.add_argument("--no-record", action="store_true", help="do not write bench/results.md")
    args = p.parse_args()
    if shutil.which("wrk") is None:
        p.error("wrk is needed for the load (apt-get install -y wrk)")

    from graph import GraphTarget, ensure_constraints, load, open_driver

    conn = GraphTarget(args.uri, args.user, args.password, args.database)
    sync = open_driver(conn)
    if args.load:
        if not args.wipe:
            p.error("--load wipes the database first: pass --wipe too")
        from bench_graph_load import wipe

        started = time.perf_counter()
        tables = truth_city(args.households)
        wipe(sync)
        ensure_constraints(sync, args.database)
        report = load(sync, tables, args.database)
        print(
            f"loaded {report.entities_written:,} nodes+rels in "
            f"{time.perf_counter() - started:.0f} s (city built and loaded)"
        )
    counts = sync.execute_query(
        "MATCH (h:Household) WITH count(h) AS h MATCH (p:Person) RETURN h, count(p) AS p",
        database_=args.database,
    ).records[0]
    ids = [
        r["id"]
        for r in sync.execute_query(
            "MATCH (h:Household) RETURN h.household_id AS id ORDER BY rand() LIMIT 5000",
            database_=args.database,
        ).records
    ]
    sync.close()
    if not ids:
        print("no households in the graph: pass --load --wipe", file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        from hub.security import KeyStore, SecurityDB
        from hub.settings import load_settings

        env = {
            "HUB_HOME": str(work / "hub"),
            "HUB_MODE": "production",
            "NEO4J_URI": args.uri,
            "NEO4J_USER": args.user,
            "NEO4J_PASSWORD": args.password,
            "NEO4J_DATABASE": args.database,
        }
        store = KeyStore(SecurityDB.from_settings(load_settings(env)))
        keys = [
            store.create("DINSOS", "dinsos_admin", f"bench client {i}")[1]
            for i in range(args.connections)
        ]
        bare_port, hub_port = free_port(), free_port()
        bodies = [json.dumps({"query": HOUSEHOLD_360, "variables": {"id": i}}) for i in ids]
        procs = [
            uvicorn("bare_app", bare_port, {}, args.workers),
            uvicorn("hub_app", hub_port, env, args.workers),
        ]
        try:
            hub_url = f"http://127.0.0.1:{hub_port}/graphql"
            check(hub_url, bodies[0], keys[0])
            # warm-up: plans cached and code compiled in Neo4j, pools filled
            wrk(hub_url, bodies, keys, 10, args.connections, args.threads, work)
            base = wrk(
                f"http://127.0.0.1:{bare_port}/graphql",
                [json.dumps({"query": "{ hello }"})],
                keys,
                args.seconds,
                args.connections,
                args.threads,
                work,
            )
            h360 = wrk(hub_url, bodies, keys, args.seconds, args.connections, args.threads, work)
        finally:
            for proc in procs:
                stop(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    for name, s in (("bare strawberry", base), ("household 360", h360)):
        print(
            f"{name:16s} {s['rps']:8.0f} req/s  p50 {s['p50']:6.1f} ms  "
            f"p99 {s['p99']:6.1f} ms  errors {s['errors']:.0f}"
        )
    figures = [
        Figure(
            f"household 360, req/s at {args.connections} connections",
            f"{h360['rps']:,.0f}",
            f"bare strawberry {base['rps']:,.0f}",
            f"{h360['rps'] / base['rps']:.3f}",
        ),
        Figure(
            "household 360, p50 / p99 latency (ms)",
            f"{h360['p50']:.1f} / {h360['p99']:.1f}",
            f"{base['p50']:.1f} / {base['p99']:.1f}",
            f"{h360['p99'] / base['p99']:.1f}",
        ),
        Figure(
            "errors (non-200 or GraphQL errors)",
            f"{h360['errors']:.0f} of {h360['requests']:.0f}",
            f"{base['errors']:.0f} of {base['requests']:.0f}",
            "-",
        ),
    ]
    notes = [
        f"graph: {counts['h']:,} households, {counts['p']:,} people "
        "(generator truth, see bench_api.py docstring)",
        f"load: wrk, {args.threads} thread(s), {args.connections} connections, "
        f"{args.seconds:.0f} s per app; uvicorn (uvloop, httptools), {args.workers} "
        "worker process(es) per app; "
        "hub in production mode, API key + X-Purpose on every request",
        "goal (issue 5): >= 300 req/s with p99 <= 50 ms at 16 connections, 100k households",
    ]
    if args.no_record:
        print(table(figures, notes))
    else:
        results.report("bench_api", figures, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
