"""A province in simulation: the whole pipeline, end to end, at growing record counts.

    .venv/bin/python bench/bench_province.py --records 1e6,2e6 --engine duckdb \
        --workdir /work/province --neo4j-port 7717 --password ... \
        --memory-limit 12GB

For each record count N it runs the hub's own commands, each in a process of
its own (`python -m hub ...`, as an operator would), in a fresh HUB_HOME:

1. `hub generate --households N/7.4` (the simulator; ~7.4 records a household);
2. `hub ingest --config city/config`;
3. `hub link --train --engine E --profile` (its per-step table: standardise,
   model input, train, predict, link evidence, cluster people, group households,
   household context, assign stable ids, write identities, review queue);
4. `hub neo4j start` on a fresh store, then `hub load`, then `hub neo4j stop`.

Per command: wall seconds, CPU seconds (user+system of the process and its
children; for `hub load` also the Neo4j server's), peak RSS; per link step: wall,
CPU and the peak RSS sampled while it ran. Sizes: the sources, hub.duckdb, the
Neo4j store. The load average (1 min) is taken before and after every command.

Then, for every command and link step, a fit time = a·N^b over the record
counts (least squares on logs): b ≈ 1 is linear, b > 1 grows faster. The table
goes to bench/results.md; the figures and fits (JSON) to WORKDIR/province.json;
`--write-md` rewrites the measured part of bench/province.md (between its
markers), leaving the hand-written estimate around it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cpu  # noqa: E402
from results import Figure, report  # noqa: E402

#: records a generated household yields (sources overlap: one person, several records)
RECORDS_PER_HOUSEHOLD = 7.4
MD = ROOT / "bench" / "province.md"
BEGIN, END = "<!-- measured: begin -->", "<!-- measured: end -->"


@dataclass
class Step:
    """One command or link step."""

    name: str
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    load_before: float = 0.0
    load_after: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Run:
    records: int
    households: int
    engine: str
    steps: list[Step] = field(default_factory=list)
    link_steps: list[Step] = field(default_factory=list)
    sizes_mb: dict[str, float] = field(default_factory=dict)


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


class Sampler(threading.Thread):
    """The RSS of a process tree every 0.5 s, with the time of each sample."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []
        self.cpu_s = 0.0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            pids = cpu.descendants(self.pid)
            self.samples.append((time.perf_counter(), _rss_kb(pids)))
            self._halt.wait(0.5)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def peak_mb(self, start: float = 0.0, end: float = math.inf) -> float:
        inside = [kb for t, kb in self.samples if start <= t <= end]
        return max(inside, default=0) / 1024


def run_command(
    name: str, argv: list[str], env: dict[str, str], extra_pids: list[int] | None = None
) -> tuple[Step, str, Sampler, float]:
    """Run argv; its wall, CPU (rusage of it and its children, + extra_pids' CPU) and peak RSS."""
    load_before = os.getloadavg()[0]
    extra_before = cpu.cpu_seconds(extra_pids or [])
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sampler = Sampler(proc.pid)
    sampler.start()
    assert proc.stdout is not None
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    sampler.stop()
    if proc.returncode:
        raise SystemExit(f"{name} failed ({proc.returncode}): {' '.join(argv)}\n{out[-4000:]}")
    step = Step(
        name=name,
        wall_s=round(wall, 2),
        cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
        # ru_maxrss: the largest process of the tree; the sampler: the tree's sum
        peak_rss_mb=round(max(usage.ru_maxrss / 1024, sampler.peak_mb()), 1),
        load_before=round(load_before, 2),
        load_after=round(os.getloadavg()[0], 2),
    )
    if extra_pids:
        step.extra["server_cpu_s"] = round(cpu.cpu_seconds(extra_pids) - extra_before, 2)
    return step, out, sampler, started


_ROW = re.compile(r"^[│|]\s*([a-z ]+?)\s*[│|]\s*([\d.]+)\s*[│|]\s*([\d.]+)\s*[│|]")


def parse_profile(text: str) -> list[tuple[str, float, float]]:
    """`hub link --profile`'s table: (step, wall s, CPU s) per step, total left out."""
    rows = []
    for line in text.splitlines():
        if (m := _ROW.match(line.strip())) and m.group(1) != "total":
            rows.append((m.group(1), float(m.group(2)), float(m.group(3))))
    return rows


def link_steps(out: str, sampler: Sampler, started: float, wall: float) -> list[Step]:
    """Each link step with the peak RSS sampled while it ran. The steps are laid
    end to end backwards from the command's end (start-up and import time come first)."""
    rows = parse_profile(out)
    at = started + wall - sum(s for _, s, _ in rows)
    steps = []
    for name, seconds, cpu_s in rows:
        steps.append(Step(name, seconds, cpu_s, round(sampler.peak_mb(at, at + seconds + 0.5), 1)))
        at += seconds
    return steps


def fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """time = a·N^b by least squares on logs; None with fewer than two usable points."""
    usable = [(math.log(n), math.log(t)) for n, t in points if n > 0 and t > 0]
    if len(usable) < 2 or len({x for x, _ in usable}) < 2:
        return None
    mx = sum(x for x, _ in usable) / len(usable)
    my = sum(y for _, y in usable) / len(usable)
    b = sum((x - mx) * (y - my) for x, y in usable) / sum((x - mx) ** 2 for x, _ in usable)
    return math.exp(my - b * mx), b


def fits(runs: list[Run], cpu_time: bool = False) -> dict[str, tuple[float, float]]:
    """A fit per command and link step over the runs, of wall (or CPU) seconds.
    CPU seconds are the steadier measure on a shared machine."""
    series: dict[str, list[tuple[float, float]]] = {}
    for run in runs:
        for prefix, pool in (("", run.steps), ("link: ", run.link_steps)):
            for step in pool:
                seconds = step.cpu_s if cpu_time else step.wall_s
                series.setdefault(prefix + step.name, []).append((run.records, seconds))
    return {name: f for name, pts in series.items() if (f := fit(pts))}


def parse_counts(text: str) -> list[int]:
    """'1e6,2e6,500000' → [1000000, 2000000, 500000]."""
    return [int(float(part)) for part in text.split(",") if part.strip()]


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def one_run(args: argparse.Namespace, records: int) -> Run:
    households = max(1, round(records / RECORDS_PER_HOUSEHOLD))
    base = args.workdir / f"{args.engine}-{records}"
    shutil.rmtree(base, ignore_errors=True)
    home, city = base / "home", base / "city"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("HUB_CONFIG", "NEO4J_URI", "HUB_HOME")}
    env.update(
        HUB_HOME=str(home),
        HUB_NEO4J_PORT=str(args.neo4j_port),
        HUB_NEO4J_HEAP=args.neo4j_heap,
        HUB_NEO4J_PAGECACHE_MB=str(args.neo4j_pagecache_mb),
        NEO4J_PASSWORD=args.password,
        HUB_REFRESH_NICE="0",
        COLUMNS="200",
        PYTHONPATH=str(ROOT),
    )
    if args.memory_limit:
        env["HUB_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
        env["HUB_DUCKDB_TEMP_DIRECTORY"] = str(base / "duckdb-tmp")
    hub = [sys.executable, "-m", "hub"]
    run = Run(records=records, households=households, engine=args.engine)

    def step(name: str, argv: list[str], extra: list[int] | None = None) -> tuple[str, Any, float]:
        done, out, sampler, started = run_command(name, argv, env, extra)
        run.steps.append(done)
        print(
            f"  {name}: {done.wall_s:.1f} s wall, {done.cpu_s:.1f} s CPU, "
            f"{done.peak_rss_mb:,.0f} MB peak, load {done.load_before}→{done.load_after}",
            flush=True,
        )
        return out, sampler, started

    print(f"{records:,} records ({households:,} households), engine {args.engine}", flush=True)
    step("generate", [*hub, "generate", "--out", str(city), "--households", str(households)])
    step("ingest", [*hub, "ingest", "--config", str(city / "config")])
    out, sampler, started = step(
        "link", [*hub, "link", "--train", "--engine", args.engine, "--profile"]
    )
    run.link_steps = link_steps(out, sampler, started, run.steps[-1].wall_s)
    for s in run.link_steps:
        print(f"    {s.name}: {s.wall_s:.1f} s, {s.cpu_s:.1f} CPU s, {s.peak_rss_mb:,.0f} MB")
    counts = re.search(r"[│|]\s*([\d,]+)\s*" * 4 + "[│|]", out)
    if counts:
        pairs, _clusters, persons, hh = (int(g.replace(",", "")) for g in counts.groups())
        run.steps[-1].extra.update(pairs=pairs, persons=persons, households=hh)
    if not args.no_load:
        subprocess.run([*hub, "neo4j", "start"], env=env, check=True, capture_output=True)
        try:
            server = cpu.listener(args.neo4j_port)
            step("load", [*hub, "load"], cpu.descendants(server) if server else None)
        finally:
            subprocess.run([*hub, "neo4j", "stop"], env=env, check=False, capture_output=True)
    run.sizes_mb = {
        "sources": round(dir_mb(city / "sources"), 1),
        "hub.duckdb": round(dir_mb(home / "hub.duckdb"), 1),
        "neo4j store": round(dir_mb(home / "neo4j" / "data"), 1)
        if (home / "neo4j" / "data").exists()
        else round(dir_mb(home / "neo4j"), 1),
    }
    print(f"  sizes (MB): {run.sizes_mb}", flush=True)
    if not args.keep:
        shutil.rmtree(city, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return run


def measured_md(
    runs: list[Run],
    found: dict[str, tuple[float, float]],
    found_cpu: dict[str, tuple[float, float]],
) -> str:
    """The measured tables of province.md."""
    names = [s.name for s in runs[0].steps] + [f"link: {s.name}" for s in runs[0].link_steps]

    def wall(run: Run, name: str) -> Step | None:
        pool = run.link_steps if name.startswith("link: ") else run.steps
        return next((s for s in pool if s.name == name.removeprefix("link: ")), None)

    head = " | ".join(f"{r.records:,} rec ({r.engine})" for r in runs)
    lines = [
        f"| step | {head} | wall: b | wall: a | CPU: b | CPU: a |",
        "|---|" + "---|" * len(runs) + "---|---|---|---|",
    ]
    for name in names:
        cells = []
        for r in runs:
            s = wall(r, name)
            cells.append(
                "-"
                if s is None
                else f"{s.wall_s:,.1f} s, {s.cpu_s:,.0f} CPU s, {s.peak_rss_mb:,.0f} MB"
                + (f", load {s.load_before:.1f}→{s.load_after:.1f}" if s.load_after else "")
            )
        fitted = [
            f"{f[1]:.2f} | {f[0]:.3g}" if (f := pool.get(name)) else "- | -"
            for pool in (found, found_cpu)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " | " + " | ".join(fitted) + " |")
    lines += ["", "| size (MB) | " + head + " |", "|---|" + "---|" * len(runs)]
    for key in runs[0].sizes_mb:
        sizes = " | ".join(f"{r.sizes_mb.get(key, 0):,.0f}" for r in runs)
        lines.append(f"| {key} | {sizes} |")
    return "\n".join(lines)


def write_md(text: str, path: Path = MD) -> None:
    old = path.read_text() if path.exists() else f"# Province estimate\n\n{BEGIN}\n{END}\n"
    before, rest = old.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    path.write_text(f"{before}{BEGIN}\n{text}\n{END}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=parse_counts, default=parse_counts("1e6,2e6"))
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/satupintu-province"))
    parser.add_argument("--neo4j-port", type=int, default=7717)
    parser.add_argument("--neo4j-heap", default="3g")
    parser.add_argument("--neo4j-pagecache-mb", type=int, default=2048)
    parser.add_argument("--password", required=True)
    parser.add_argument("--memory-limit", help="DuckDB's memory_limit, e.g. 12GB (spills to disk)")
    parser.add_argument("--keep", action="store_true", help="keep each run's city and home")
    parser.add_argument("--also", type=Path, nargs="*", default=[], help="earlier province.json")
    parser.add_argument("--write-md", action="store_true", help="rewrite bench/province.md")
    parser.add_argument("--no-load", action="store_true", help="stop after `hub link`")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    runs: list[Run] = []
    for earlier in args.also:
        for raw in json.loads(earlier.read_text())["runs"]:
            raw["steps"] = [Step(**s) for s in raw["steps"]]
            raw["link_steps"] = [Step(**s) for s in raw["link_steps"]]
            runs.append(Run(**raw))
    fresh = [one_run(args, n) for n in args.records]
    runs += fresh
    runs.sort(key=lambda r: (r.engine, r.records))
    same = [r for r in runs if r.engine == args.engine]
    found, found_cpu = fits(same), fits(same, cpu_time=True)
    out = args.workdir / f"province-{args.engine}-{'-'.join(str(n) for n in args.records)}.json"
    out.write_text(
        json.dumps(
            {"runs": [asdict(r) for r in runs], "fits": found, "cpu_fits": found_cpu},
            indent=1,
            default=str,
        )
    )
    print(f"figures: {out}")
    text = measured_md(runs, found, found_cpu)
    print(text)
    if args.write_md:
        write_md(text)
    figures = []
    for run in fresh or runs:  # with --records "" the runs of --also are recorded
        total = sum(s.wall_s for s in run.steps)
        # ratios against this run's own ingest (same machine, same minutes)
        ingest = next(s for s in run.steps if s.name == "ingest")
        for s in run.steps:
            figures.append(
                Figure(
                    f"{run.records:,} records ({run.engine}): {s.name} s (CPU s, peak MB, load)",
                    f"{s.wall_s:,.1f} ({s.cpu_s:,.0f}, {s.peak_rss_mb:,.0f} MB, "
                    f"{s.load_before:.1f}→{s.load_after:.1f})",
                    f"ingest {ingest.wall_s:,.1f} s; all {total:,.0f} s",
                    f"{s.wall_s / max(ingest.wall_s, 0.01):.1f}× ingest",
                )
            )
    for name, (_a, b) in sorted(found_cpu.items()):
        figures.append(Figure(f"growth of {name}, CPU s = a·N^b", f"b = {b:.2f}", "1", f"{b:.2f}"))
    notes = [
        f"load average (1 min) before → after each command is in the value; "
        f"at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        *(
            [f"recorded from earlier runs: {', '.join(str(p) for p in args.also)}"]
            if args.also and not fresh
            else []
        ),
        f"DuckDB memory_limit {args.memory_limit or 'default (80% of RAM)'}; Neo4j heap "
        f"{args.neo4j_heap}, page cache {args.neo4j_pagecache_mb} MB",
    ]
    if not args.no_record:
        report("bench_province", figures, notes)


if __name__ == "__main__":
    main()
