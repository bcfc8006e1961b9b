"""Published generations of staging: what servers read while the pipeline writes.

`hub.duckdb` has one writer at a time. At the end of a successful `hub link`
(and `hub ingest`) the writer publishes a read-only copy for the servers:

    $HUB_HOME/published/staging-000007.duckdb   a whole generation (checkpointed,
                                                 copied under a temporary name,
                                                 then renamed)
    $HUB_HOME/published/CURRENT                  the name of the newest one,
                                                 replaced atomically (temp + rename)

A reader reads CURRENT and opens that file read-only, so it sees the old
generation or the new one, never half of one. Several processes may hold the
same generation. The previous generation is kept (a server may still be reading
it, or may just have read CURRENT); older ones are deleted (a process that still
holds one keeps reading it: Linux frees the file when the last holder closes it).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

__all__ = ["KEEP_PREVIOUS", "Generation", "current", "open_generation", "publish", "published_dir"]

_NAME = re.compile(r"^staging-(\d{6,})\.duckdb$")
#: generations kept besides the current one
KEEP_PREVIOUS = 1


def published_dir(home: Path) -> Path:
    return home / "published"


@dataclass(frozen=True)
class Generation:
    number: int
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def current(home: Path) -> Generation | None:
    """The generation CURRENT names (None before the first publish)."""
    pointer = published_dir(home) / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    found = _NAME.match(name)
    if found is None:
        return None
    return Generation(int(found.group(1)), published_dir(home) / name)


def open_generation(home: Path) -> tuple[Generation, duckdb.DuckDBPyConnection] | None:
    """The current generation, opened read-only; None before the first publish.
    A generation deleted between reading CURRENT and opening it (two publishes
    in a row) is followed to the newer one."""
    for _ in range(5):
        generation = current(home)
        if generation is None:
            return None
        try:
            return generation, duckdb.connect(str(generation.path), read_only=True)
        except duckdb.IOException:
            if generation.path.exists():
                raise
    raise RuntimeError(f"{published_dir(home)}: the current generation keeps vanishing")


def publish(
    con: duckdb.DuckDBPyConnection, database: Path, home: Path, keep_previous: int = KEEP_PREVIOUS
) -> Generation:
    """Publish the staging database `con` holds (the file `database`) as the
    next generation; the caller must be its only writer (`hub link`, `hub ingest`).
    `keep_previous=0` deletes every older generation at once (after an erasure:
    erased data must not stay in a copy; a reader that just read CURRENT
    follows it to the new one)."""
    con.execute("CHECKPOINT")
    folder = published_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = _numbers(folder)
    number = max(numbers, default=0) + 1
    final = folder / f"staging-{number:06d}.duckdb"
    temporary = folder / f".{final.name}.tmp"
    shutil.copyfile(database, temporary)
    _fsync(temporary)
    os.replace(temporary, final)
    pointer = folder / ".CURRENT.tmp"
    pointer.write_text(final.name + "\n", encoding="utf-8")
    _fsync(pointer)
    os.replace(pointer, folder / "CURRENT")
    _fsync(folder)
    for old in sorted(numbers)[:-keep_previous] if keep_previous else sorted(numbers):
        (folder / f"staging-{old:06d}.duckdb").unlink(missing_ok=True)
    return Generation(number, final)


def _numbers(folder: Path) -> list[int]:
    out = []
    for path in folder.iterdir():
        found = _NAME.match(path.name)
        if found:
            out.append(int(found.group(1)))
    return out


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
