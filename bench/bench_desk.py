"""Registering a request at the front desk at city scale (issue 19: p95 <= 300 ms
at 100k households), against the API's household-360 read in the same run.

    python bench/bench_desk.py --keep /work/bench100k --households 100000 \
        --neo4j-uri bolt://127.0.0.1:7698 --password ... [--requests 300] [--warmup 30]

It builds (or, with `--keep`, reuses) a city exactly as bench_console does
(bench_refresh.build: `hub generate`, `ingest`, `link`, `load`; the same
`--keep` directory serves both benches), starts `hub serve` with one worker
and sends, one at a time over one kept-alive connection, with a Dinsos API key:

- `api_household` (the baseline): the household-360 operation
  (bench_api.HOUSEHOLD_360) of random households;
- `register_known`: `registerServiceRequest` for a random household found by
  search (householdId), two needs and a phone number: the household read, the
  need check, the worker by area, the journal append, the graph write, the audit
  and the outbox message;
- `register_applicant`: `registerServiceRequest` for an applicant not found by
  search (a new name, no NIK): the real-time intake links them first.

Reported per operation: requests, errors, p50, p95, p99 in ms, and its p95 as a
ratio of the baseline's. Every request writes a request into the city's graph
and journal. The load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_api import HOUSEHOLD_360
from bench_console import against_baseline, measure
from bench_refresh import build, household_ids, keys, serve

#: the issue's goal for registering a request
GOAL_P95_MS = 300.0

REGISTER = """mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) {
  id number status assignedTo } }"""
NEEDS = (["food", "PPKS24"], ["income"], ["health_insurance", "PPKS09"], ["PPKS01"])


def operations(
    api_key: str, ids: list[str], n: int, seed: int
) -> dict[str, list[tuple[str, str, bytes, dict[str, str]]]]:
    rng = random.Random(seed)
    headers = {
        "X-API-Key": api_key,
        "X-Purpose": "case_management",
        "Content-Type": "application/json",
    }

    def body(query: str, **variables: Any) -> bytes:
        return json.dumps({"query": query, "variables": variables}).encode()

    def known() -> bytes:
        request = {
            "householdId": rng.choice(ids),
            "needs": rng.choice(NEEDS),
            "contactPhone": f"0812{rng.randrange(10**7, 10**8)}",
        }
        return body(REGISTER, r=request)

    def applicant() -> bytes:
        tag = rng.randrange(10**9)
        request = {
            "applicant": {"sourceRecordId": f"desk-{seed}-{tag}", "fullName": f"Pemohon {tag}"},
            "needs": rng.choice(NEEDS),
            "channel": "WEB_FORM",
        }
        return body(REGISTER, r=request)

    return {
        "api_household": [
            ("POST", "/graphql", body(HOUSEHOLD_360, id=rng.choice(ids)), headers) for _ in range(n)
        ],
        "register_known": [("POST", "/graphql", known(), headers) for _ in range(n)],
        "register_applicant": [("POST", "/graphql", applicant(), headers) for _ in range(n)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=300, help="timed requests per operation")
    ap.add_argument("--warmup", type=int, default=30, help="untimed requests per operation first")
    ap.add_argument("--neo4j-uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    ap.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD", ""))
    ap.add_argument(
        "--keep", type=Path, default=None, help="build the city here once and reuse it (same Neo4j)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        env = build(root, args.households, args.neo4j_uri, args.password, None)
        ids = household_ids(env)
        [api_key] = keys(env, 1)
        print(f"load average before: {os.getloadavg()}", flush=True)
        proc, base = serve(env, 1)
        try:
            warm = operations(api_key, ids, args.warmup, seed=1)
            runs = operations(api_key, ids, args.requests, seed=2)
            results = measure(base, warm, runs)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        against_baseline(results, GOAL_P95_MS)
        report = {
            "households": args.households,
            "load_average_after": os.getloadavg(),
            "operations": results,
        }
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
