"""The results table every bench prints and keeps in bench/results.md.

results.md has one section per bench (`## bench_api`); inside a section the
newest run comes first, each run a small table: machine, date, command,
figure, baseline, ratio.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.md"


@dataclass(frozen=True)
class Figure:
    name: str
    value: str
    baseline: str
    ratio: str


def machine() -> str:
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {ram:.0f} GB RAM"


def redact(argv: list[str]) -> list[str]:
    """`argv` with the value of --password hidden."""
    return ["***" if i and argv[i - 1] == "--password" else a for i, a in enumerate(argv)]


def command() -> str:
    """The command line as run, with the value of --password hidden."""
    shown = redact([Path(sys.executable).name, *sys.argv])
    return " ".join(shlex.quote(a) if a != "***" else a for a in shown)


def table(figures: list[Figure], notes: Sequence[str] = ()) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### {when}",
        "",
        f"- machine: {machine()}",
        f"- date: {when}",
        f"- command: `{command()}`",
        *(f"- {n}" for n in notes),
        "",
        "| figure | value | baseline (same run) | ratio |",
        "|---|---|---|---|",
        *(f"| {f.name} | {f.value} | {f.baseline} | {f.ratio} |" for f in figures),
        "",
    ]
    return "\n".join(lines)


def record(bench: str, text: str, path: Path = RESULTS) -> None:
    """Put `text` first in the section of `bench`, creating what is missing.
    Benches may finish at the same moment: the rewrite holds a file lock."""
    header = f"## {bench}"
    with open(Path(tempfile.gettempdir()) / "satupintu-bench-results.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = path.read_text() if path.exists() else "# Benchmark results\n\nNewest first.\n"
        if header in old:
            at = old.index(header) + len(header)
            new = old[:at] + "\n\n" + text + "\n" + old[at:].lstrip("\n")
        else:
            new = old.rstrip("\n") + f"\n\n{header}\n\n{text}"
        path.write_text(new.rstrip("\n") + "\n")


def report(bench: str, figures: list[Figure], notes: Sequence[str] = ()) -> None:
    text = table(figures, notes)
    print(text)
    record(bench, text)
