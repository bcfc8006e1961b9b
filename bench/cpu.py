"""CPU time of the processes a bench drives, read from /proc (Linux).

Used to explain a throughput figure: how many CPU milliseconds each request
cost in the server, in Neo4j and in the bench's own clients, and how many of
the machine's cores were busy. A speed-up from more server processes can only
come from cores nobody else is using.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from the 3rd on (state, ppid, …)


def descendants(pid: int) -> list[int]:
    """pid and every live process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the live processes in pids."""
    total = 0
    for pid in pids:
        if fields := _stat(pid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def listener(port: int) -> int | None:
    """The pid listening on a TCP port of this machine (e.g. Neo4j's bolt port)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(cols[9])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(fd))
                if match and match.group(1) in inodes:
                    return int(entry.name)
        except OSError:
            continue
    return None


class Meter:
    """CPU seconds of named process groups over an interval."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.started = time.perf_counter()
        self.before = {name: cpu_seconds(pids) for name, pids in groups.items()}

    def read(self, requests: int) -> dict[str, float]:
        elapsed = time.perf_counter() - self.started
        used = {name: cpu_seconds(pids) - self.before[name] for name, pids in self.groups.items()}
        figures = {
            f"{name}_cpu_ms_per_request": round(1000 * secs / max(requests, 1), 2)
            for name, secs in used.items()
        }
        figures["cores_busy"] = round(sum(used.values()) / elapsed, 2)
        return figures
