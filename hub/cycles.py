"""Program cycles and their frozen rosters, in the store's "cycles" database
(`$HUB_HOME/cycles.sqlite`, or the shared PostgreSQL of `HUB_DATABASE_URL`).

`SqliteCycles` is the schema's `ProgramCycles`. A roster is written once, in
the transaction that approves its cycle, and never changed (what was paid
against it is written once too, when the cycle is DISTRIBUTED): later registry
edits, `hub load` rebuilding the graph and new rule versions leave it as it
was approved (the README's "Program cycles" says why this file, not the graph,
holds it). Erasure removes a household's entries (`forget`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from domain.shapes import Page, Row
from journal.sqlite import Closeable, open_database, settings_database
from store.base import DATABASES

if TYPE_CHECKING:
    from hub.settings import Settings
    from store.base import Database

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
    # what was paid out against the frozen roster (DISTRIBUTED), one row per household
    """CREATE TABLE IF NOT EXISTS payouts (
        cycle_id TEXT NOT NULL REFERENCES cycles (cycle_id),
        household_id TEXT NOT NULL,
        amount {real} NOT NULL,
        paid_on TEXT NOT NULL,
        service_id TEXT NOT NULL,
        PRIMARY KEY (cycle_id, household_id)
    )""",
)
#: the columns the distribution and closing steps added (a file from before gets them)
_LATER: Final = {
    "distributed_by": "TEXT",
    "distributed_at": "TEXT",
    "paid_on": "TEXT",
    "funder": "TEXT",
    "paid_households": "INTEGER",
    "paid_amount": "{real}",
    "closed_by": "TEXT",
    "closed_at": "TEXT",
    "close_note": "TEXT",
}
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
    *_LATER,
)


def cycles_path(home: Path) -> Path:
    return home / DATABASES["cycles"]


class SqliteCycles:
    """The cycles on the store's seam (SQLite or PostgreSQL; the name is older
    than the seam). A status moves by one conditional UPDATE, which both
    back-ends re-check under the writer's lock, so no extra lock is named."""

    def __init__(self, db: Database | Path, *, owner: Closeable | None = None) -> None:
        """`owner`: what `close` closes besides a file opened here (a store of
        the instance's own)."""
        self._db, opened = open_database(db, "cycles")
        self._owner = opened or owner
        self._db.apply(_SCHEMA)
        have = self._db.columns("cycles")
        with self._db.write() as con:
            for column, kind in _LATER.items():
                if column not in have:
                    con.execute(f"ALTER TABLE cycles ADD COLUMN {column} {con.dialect.ddl(kind)}")

    @classmethod
    def at_home(cls, home: Path) -> SqliteCycles:
        """The cycles file of a home (SQLite; tests and tools without settings)."""
        return cls(cycles_path(home))

    @classmethod
    def of(cls, settings: Settings) -> SqliteCycles:
        """The cycles of the store the settings name (`HUB_DATABASE_URL`)."""
        db, store = settings_database(settings, "cycles")
        return cls(db, owner=store)

    async def open(self, cycle: Mapping[str, Any]) -> Row:
        return await asyncio.to_thread(self._open, cycle)

    def _open(self, cycle: Mapping[str, Any]) -> Row:
        row = {c: cycle.get(c) for c in _COLUMNS}
        with self._db.write() as con:
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
        with self._db.write() as con:
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

    async def distribute(
        self,
        cycle_id: str,
        distributed_by: str,
        distributed_at: datetime,
        paid_on: date,
        funder: str | None,
        payouts: Sequence[tuple[str, float, str]],
    ) -> Row | None:
        return await asyncio.to_thread(
            self._distribute, cycle_id, distributed_by, distributed_at, paid_on, funder, payouts
        )

    def _distribute(
        self,
        cycle_id: str,
        distributed_by: str,
        distributed_at: datetime,
        paid_on: date,
        funder: str | None,
        payouts: Sequence[tuple[str, float, str]],
    ) -> Row | None:
        """Record what was paid (household, amount, the service recorded for it)
        and mark the cycle DISTRIBUTED, only if it is APPROVED (else None)."""
        with self._db.write() as con:
            moved = con.execute(
                "UPDATE cycles SET status = 'DISTRIBUTED', distributed_by = ?, "
                "distributed_at = ?, paid_on = ?, funder = ?, paid_households = ?, "
                "paid_amount = ? WHERE cycle_id = ? AND status = 'APPROVED'",
                [
                    distributed_by,
                    distributed_at.isoformat(),
                    paid_on.isoformat(),
                    funder,
                    len(payouts),
                    sum(amount for _, amount, _ in payouts),
                    cycle_id,
                ],
            ).rowcount
            if not moved:
                return None
            con.executemany(
                "INSERT INTO payouts (cycle_id, household_id, amount, paid_on, service_id) "
                "VALUES (?, ?, ?, ?, ?)",
                [(cycle_id, h, a, paid_on.isoformat(), sid) for h, a, sid in payouts],
            )
        return self._cycle(cycle_id)

    async def close_cycle(
        self, cycle_id: str, closed_by: str, closed_at: datetime, note: str
    ) -> Row | None:
        return await asyncio.to_thread(self._close_cycle, cycle_id, closed_by, closed_at, note)

    def _close_cycle(
        self, cycle_id: str, closed_by: str, closed_at: datetime, note: str
    ) -> Row | None:
        """Mark a DISTRIBUTED cycle CLOSED (else None: nothing changes)."""
        with self._db.write() as con:
            moved = con.execute(
                "UPDATE cycles SET status = 'CLOSED', closed_by = ?, closed_at = ?, "
                "close_note = ? WHERE cycle_id = ? AND status = 'DISTRIBUTED'",
                [closed_by, closed_at.isoformat(), note, cycle_id],
            ).rowcount
        return self._cycle(cycle_id) if moved else None

    async def payouts(self, cycle_id: str) -> dict[str, float]:
        return await asyncio.to_thread(self._payouts, cycle_id)

    def _payouts(self, cycle_id: str) -> dict[str, float]:
        with self._db.read() as con:
            rows = con.execute(
                "SELECT household_id, amount FROM payouts WHERE cycle_id = ?", [cycle_id]
            ).fetchall()
        return {str(h): float(a) for h, a in rows}

    async def cycles(self, *, program: str | None, offset: int, limit: int) -> Page:
        return await asyncio.to_thread(self._cycles, program, offset, limit)

    def _cycles(self, program: str | None, offset: int, limit: int) -> Page:
        where, params = ("WHERE program = ?", [program]) if program else ("", [])
        with self._db.read() as con:
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
        with self._db.read() as con:
            found = con.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM cycles WHERE cycle_id = ?", [cycle_id]
            ).fetchone()
        return dict(zip(_COLUMNS, found, strict=True)) if found else None

    async def roster(self, cycle_id: str, *, offset: int, limit: int | None) -> list[str]:
        return await asyncio.to_thread(self._roster, cycle_id, offset, limit)

    def _roster(self, cycle_id: str, offset: int, limit: int | None) -> list[str]:
        with self._db.read() as con:
            # all of it: LIMIT -1 in SQLite (which wants a LIMIT before OFFSET), ALL in PostgreSQL
            bound = ("-1" if con.dialect.name == "sqlite" else "ALL") if limit is None else "?"
            rows = con.execute(
                f"SELECT entry FROM roster WHERE cycle_id = ? ORDER BY household_id"
                f" LIMIT {bound} OFFSET ?",
                [cycle_id, *([] if limit is None else [limit]), offset],
            ).fetchall()
        return [str(r[0]) for r in rows]

    def forget(self, households: Collection[str]) -> int:
        """Erasure (UU PDP): remove these households from every roster; how many
        entries went. The cycle keeps its approved counts."""
        ids = list(households)
        if not ids:
            return 0
        marks = ", ".join("?" for _ in ids)
        with self._db.write() as con:
            con.execute(f"DELETE FROM payouts WHERE household_id IN ({marks})", ids)
            return int(
                con.execute(f"DELETE FROM roster WHERE household_id IN ({marks})", ids).rowcount
            )

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()


def _text(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


__all__ = ["SqliteCycles", "cycles_path"]
