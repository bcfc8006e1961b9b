"""Program cycles and their frozen rosters, in `$HUB_HOME/cycles.sqlite`.

`SqliteCycles` is the schema's `ProgramCycles`. A roster is written once, in
the transaction that approves its cycle, and never changed: later registry
edits, `hub load` rebuilding the graph and new rule versions leave it as it
was approved (the README's "Program cycles" says why this file, not the graph,
holds it). Erasure removes a household's entries (`forget`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.shapes import Page, Row
from journal.sqlite import SqliteFile

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS cycles (
        cycle_id TEXT PRIMARY KEY,
        program TEXT NOT NULL,
        name TEXT NOT NULL,
        period_start TEXT NOT NULL,
        period_end TEXT NOT NULL,
        status TEXT NOT NULL,
        rule_version TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        approved_by TEXT,
        approved_at TEXT,
        households INTEGER,
        members INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS roster (
        cycle_id TEXT NOT NULL REFERENCES cycles (cycle_id),
        household_id TEXT NOT NULL,
        entry TEXT NOT NULL,
        PRIMARY KEY (cycle_id, household_id)
    )""",
)
_COLUMNS = (
    "cycle_id",
    "program",
    "name",
    "period_start",
    "period_end",
    "status",
    "rule_version",
    "opened_by",
    "opened_at",
    "approved_by",
    "approved_at",
    "households",
    "members",
)


def cycles_path(home: Path) -> Path:
    return home / "cycles.sqlite"


class SqliteCycles:
    def __init__(self, path: Path) -> None:
        self._file = SqliteFile(path)
        with self._file.write() as con:
            for statement in _SCHEMA:
                con.execute(statement)

    @classmethod
    def at_home(cls, home: Path) -> SqliteCycles:
        return cls(cycles_path(home))

    async def open(self, cycle: Mapping[str, Any]) -> Row:
        return await asyncio.to_thread(self._open, cycle)

    def _open(self, cycle: Mapping[str, Any]) -> Row:
        row = {c: cycle.get(c) for c in _COLUMNS}
        with self._file.write() as con:
            con.execute(
                f"INSERT INTO cycles ({', '.join(_COLUMNS)}) VALUES "
                f"({', '.join('?' for _ in _COLUMNS)})",
                [_text(row[c]) for c in _COLUMNS],
            )
        return self._cycle(str(row["cycle_id"])) or {}

    async def approve(
        self,
        cycle_id: str,
        approved_by: str,
        approved_at: datetime,
        rule_version: str,
        roster: Sequence[str],
    ) -> Row | None:
        return await asyncio.to_thread(
            self._approve, cycle_id, approved_by, approved_at, rule_version, roster
        )

    def _approve(
        self,
        cycle_id: str,
        approved_by: str,
        approved_at: datetime,
        rule_version: str,
        roster: Sequence[str],
    ) -> Row | None:
        entries = [(json.loads(e)["household_id"], e) for e in roster]
        members = sum(int(json.loads(e)["facts"]["members"]) for _, e in entries)
        with self._file.write() as con:
            moved = con.execute(
                "UPDATE cycles SET status = 'APPROVED', approved_by = ?, approved_at = ?, "
                "rule_version = ?, households = ?, members = ? "
                "WHERE cycle_id = ? AND status = 'DRAFT'",
                [
                    approved_by,
                    approved_at.isoformat(),
                    rule_version,
                    len(entries),
                    members,
                    cycle_id,
                ],
            ).rowcount
            if not moved:
                return None
            con.executemany(
                "INSERT INTO roster (cycle_id, household_id, entry) VALUES (?, ?, ?)",
                [(cycle_id, hid, e) for hid, e in entries],
            )
        return self._cycle(cycle_id)

    async def cycles(self, *, program: str | None, offset: int, limit: int) -> Page:
        return await asyncio.to_thread(self._cycles, program, offset, limit)

    def _cycles(self, program: str | None, offset: int, limit: int) -> Page:
        con = self._file.connection()
        where, params = ("WHERE program = ?", [program]) if program else ("", [])
        total = con.execute(f"SELECT count(*) FROM cycles {where}", params).fetchone()[0]
        rows = con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM cycles {where} "
            "ORDER BY period_start DESC, opened_at DESC, cycle_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return {"rows": [dict(zip(_COLUMNS, r, strict=True)) for r in rows], "total": int(total)}

    async def cycle(self, cycle_id: str) -> Row | None:
        return await asyncio.to_thread(self._cycle, cycle_id)

    def _cycle(self, cycle_id: str) -> Row | None:
        found = (
            self._file.connection()
            .execute(f"SELECT {', '.join(_COLUMNS)} FROM cycles WHERE cycle_id = ?", [cycle_id])
            .fetchone()
        )
        return dict(zip(_COLUMNS, found, strict=True)) if found else None

    async def roster(self, cycle_id: str, *, offset: int, limit: int | None) -> list[str]:
        return await asyncio.to_thread(self._roster, cycle_id, offset, limit)

    def _roster(self, cycle_id: str, offset: int, limit: int | None) -> list[str]:
        rows = (
            self._file.connection()
            .execute(
                "SELECT entry FROM roster WHERE cycle_id = ? ORDER BY household_id "
                "LIMIT ? OFFSET ?",
                [cycle_id, -1 if limit is None else limit, offset],
            )
            .fetchall()
        )
        return [str(r[0]) for r in rows]

    def forget(self, households: Collection[str]) -> int:
        """Erasure (UU PDP): remove these households from every roster; how many
        entries went. The cycle keeps its approved counts."""
        ids = list(households)
        if not ids:
            return 0
        with self._file.write() as con:
            return int(
                con.execute(
                    f"DELETE FROM roster WHERE household_id IN ({', '.join('?' for _ in ids)})",
                    ids,
                ).rowcount
            )

    def close(self) -> None:
        self._file.close()


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


__all__ = ["SqliteCycles", "cycles_path"]
