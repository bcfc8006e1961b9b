"""Run the whole benchmark suite and write one results table.

    .venv/bin/python bench/run_all.py --scale small [--uri bolt://127.0.0.1:7687 --password ...]

Each bench runs in its own process and measures itself against a baseline in
the same run (see each bench's docstring); this script collects their
figures into one table (machine, date, command, figure, baseline, ratio),
prints it and puts it first under `## run_all` in bench/results.md.

WARNING: the graph-load and API benches WIPE the Neo4j database given by
--uri (default $NEO4J_URI): point it at a throw-away server.

Scales: `small` finishes in a few minutes on 2 cores (a smoke run of every
bench); `full` is the size of the goals in issue 5/7 (1M CSV rows, a
100k-household city) and takes about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, record, redact, table

BENCH = Path(__file__).resolve().parent

SCALES: dict[str, dict[str, list[str]]] = {
    "small": {
        "ingest": ["--rows", "100000", "--runs", "1"],
        "linkage": ["--households", "1000", "--realtime-samples", "50"],
        "linkage_more": [],
        "graph_load": ["--households", "2000"],
        "hub_load": ["--households", "2000"],
        "api": ["--households", "2000", "--seconds", "5", "--connections", "8"],
    },
    "full": {
        "ingest": ["--rows", "1000000", "--runs", "3"],
        # about 7.5 source records per household: ~100k records, then ~1M
        "linkage": ["--households", "13500", "--realtime-samples", "200"],
        "linkage_more": ["--households", "135000", "--realtime-samples", "200"],
        "graph_load": ["--households", "100000"],
        # issue 12 measured `hub load` of a 20k-household pipeline output
        "hub_load": ["--households", "20000"],
        "api": ["--households", "100000", "--seconds", "20", "--connections", "16"],
    },
}


@dataclass
class Run:
    name: str
    argv: list[str]
    code: int
    seconds: float
    out: str


def run(name: str, script: str, args: list[str], timeout: float) -> Run:
    argv = [sys.executable, str(BENCH / script), *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        code, out = done.returncode, done.stdout + done.stderr[-2000:]
    except subprocess.TimeoutExpired as exc:
        code, out = -1, f"timed out after {timeout:.0f} s\n{exc.stdout or ''}"
    seconds = time.perf_counter() - started
    print(f"{name}: exit {code} in {seconds:.0f} s", file=sys.stderr)
    return Run(name, redact(argv[1:]), code, seconds, out)


_MD_ROW = re.compile(r"^\| (?!figure |---)(.+?) \| (.+?) \| (.+?) \| (.+?) \|$", re.M)


def figures(r: Run) -> list[Figure]:
    """The figures a bench printed: a results.py table, or its own lines."""
    if r.code != 0:
        tail = r.out.strip().splitlines()[-1:] or ["no output"]
        return [Figure(f"{r.name}: FAILED (exit {r.code})", tail[0][:120], "-", "-")]
    if r.name == "ingest":
        base = re.search(r"duckdb read_csv\s+([\d.]+) s", r.out)
        ours = re.search(r"connectors.ingest\s+([\d.]+) s", r.out)
        rows = re.search(r"rows\s+([\d,]+)", r.out)
        if base and ours and rows:
            b, o = float(base[1]), float(ours[1])
            return [
                Figure(
                    f"ingest {rows[1]} CSV rows (s)",
                    f"{o:.2f}",
                    f"DuckDB read_csv {b:.2f}",
                    f"{b / o:.2f}",
                )
            ]
    if r.name.startswith("linkage"):
        out: list[Figure] = []
        ours = re.search(r"^\| satupintu\s*\| (.+)$", r.out, re.M)
        base = re.search(r"^\| vanilla\s*\| (.+)$", r.out, re.M)
        ratio = re.search(r"ratio \(vanilla time / ours[^:]*\): ([\d.]+)", r.out)
        if ours and base:
            o, b = ours[1].split(" | "), base[1].split(" | ")
            count = re.search(r"records\s*[:=]?\s*([\d,]+)", r.out)
            at = f" ({count[1]} records)" if count else ""
            out.append(
                Figure(
                    f"linkage person F1 / household F1{at}",
                    f"{o[2]} / {o[5]}",
                    f"vanilla Splink {b[2]} / {b[5]}",
                    f"{float(o[2]) / max(float(b[2]), 1e-9):.3f}",
                )
            )
            out.append(
                Figure(
                    f"linkage time{at}",
                    o[6].strip(" |"),
                    b[6].strip(" |"),
                    ratio[1] if ratio else "-",
                )
            )
        real = re.search(r"realtime: (.+)", r.out)
        if real:
            out.append(Figure("real-time link of one record", real[1], "-", "-"))
        if out:
            return out
    rows = [Figure(*(c.strip() for c in m.groups())) for m in _MD_ROW.finditer(r.out)]
    return rows or [Figure(f"{r.name}: no figures parsed", r.out.strip()[-120:], "-", "-")]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="small")
    p.add_argument("--uri", default=os.environ.get("NEO4J_URI", "bolt://127.0.0.1:7687"))
    p.add_argument("--user", default=os.environ.get("NEO4J_USER", "neo4j"))
    p.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD", ""))
    p.add_argument("--only", nargs="*", help="run only these benches (ingest linkage ...)")
    p.add_argument("--no-record", action="store_true", help="do not write bench/results.md")
    args = p.parse_args()
    size = SCALES[args.scale]
    timeout = 900.0 if args.scale == "small" else 6 * 3600.0
    graph = ["--uri", args.uri, "--user", args.user, "--password", args.password, "--no-record"]
    # a fresh city every run: bench_linkage reuses a workdir's city, which would
    # hide changes to the generator
    work = Path(tempfile.mkdtemp(prefix=f"satupintu-bench-{args.scale}-"))
    plan = [
        ("ingest", "bench_ingest.py", size["ingest"]),
        ("linkage", "bench_linkage.py", [*size["linkage"], "--workdir", str(work / "linkage")]),
        (
            "linkage_1m",
            "bench_linkage.py",
            [*size["linkage_more"], "--workdir", str(work / "linkage-1m")],
        ),
        ("graph_load", "bench_graph_load.py", [*size["graph_load"], *graph, "--wipe"]),
        (
            "hub_load",
            "bench_hub_load.py",
            [*size["hub_load"], *graph, "--workdir", str(work / "hub-load"), "--wipe"],
        ),
        ("api", "bench_api.py", [*size["api"], *graph, "--load", "--wipe"]),
        # on the city bench_api has just loaded (its foundations serve households)
        ("scoped_list", "bench_scoped_list.py", graph),
    ]
    plan = [(n, s, a) for n, s, a in plan if n != "linkage_1m" or size["linkage_more"]]
    runs = [run(n, s, a, timeout) for n, s, a in plan if not args.only or n in args.only]
    found = [f for r in runs for f in figures(r)]
    notes = [
        f"scale: {args.scale}; "
        + "; ".join(f"{r.name} `{' '.join(r.argv)}` {r.seconds:.0f} s" for r in runs)
    ]
    text = table(found, notes)
    print(text)
    if not args.no_record:
        record("run_all", text)
    return 0 if all(r.code == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
