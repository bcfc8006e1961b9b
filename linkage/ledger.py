"""The identity ledger: what real-time linking hands out, kept outside staging.

The staging DuckDB has one writer at a time (`hub ingest`, `hub link`), so the
servers never write to it. What they decide lives here instead, in the store's
"identities" database (`$HUB_HOME/identities.sqlite`, or the shared PostgreSQL
of `HUB_DATABASE_URL`): any number of processes read, one writes at a time
(SQLite's `BEGIN IMMEDIATE`, PostgreSQL's advisory lock held to commit, so
assignments' `seq` grows in commit order and `since(seq)` never misses one):

    id_counters   one counter per entity. Every person and household id, minted
                  by `hub link` or by a server in real time, is taken from it,
                  so no two processes ever mint the same id.
    assignments   each record linked in real time: the ids it was given, the
                  evidence, and the record as submitted, so that the linker of
                  another server process can take it in before it links the
                  next submission (one person submitted to two workers gets one
                  identity).
    decisions     review decisions made through the API.

`linkage.reconcile` imports assignments and decisions into staging at the start
of every `hub link`, so the ids handed out are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal.sqlite import Closeable, open_database, settings_database
from store.base import DATABASES

if TYPE_CHECKING:
    from store import StoreSettings
    from store.base import Conn, Database

__all__ = ["Assignment", "IdentityLedger", "LedgerSession", "ReviewDecisionRow", "ledger_path"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS id_counters (entity TEXT PRIMARY KEY, last {bigint} NOT NULL)",
    """CREATE TABLE IF NOT EXISTS assignments (
        seq {autoincrement},
        record_key TEXT NOT NULL UNIQUE,
        source TEXT,
        source_record_id TEXT,
        person_id TEXT NOT NULL,
        household_id TEXT NOT NULL,
        match_probability {real},
        model_version TEXT,
        evidence TEXT NOT NULL,
        matched_record_key TEXT,
        match_weight {real},
        minted TEXT NOT NULL,
        record TEXT NOT NULL,
        linked_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS decisions (
        pair_id TEXT PRIMARY KEY,
        record_key_l TEXT NOT NULL,
        record_key_r TEXT NOT NULL,
        decision TEXT NOT NULL,
        decided_by TEXT,
        decided_at TEXT NOT NULL,
        note TEXT)""",
)


def ledger_path(home: Path) -> Path:
    return home / DATABASES["identities"]


@dataclass(frozen=True)
class Assignment:
    """A record linked in real time and the identity it was given."""

    record_key: str
    source: str | None
    source_record_id: str | None
    person_id: str
    household_id: str
    match_probability: float | None
    model_version: str
    evidence: list[dict[str, Any]] = field(default_factory=list)
    matched_record_key: str | None = None
    match_weight: float | None = None
    #: the entities whose id was minted for this record ("person", "household")
    minted: tuple[str, ...] = ()
    #: the canonical record as submitted (to be linked again by another process)
    record: Mapping[str, Any] = field(default_factory=dict)
    linked_at: datetime | None = None
    seq: int = 0


@dataclass(frozen=True)
class ReviewDecisionRow:
    pair_id: str
    record_key_l: str
    record_key_r: str
    decision: str
    decided_by: str | None
    decided_at: datetime
    note: str | None


class LedgerSession:
    """The ledger inside one write transaction: what a linker reads, mints and
    records while it holds the write lock."""

    def __init__(self, con: Conn) -> None:
        self._con = con

    def allocate(self, entity: str, count: int = 1, floor: int = 0) -> int:
        """Reserve `count` consecutive numbers for `entity` above every number
        handed out before and above `floor`; the first of them."""
        if count <= 0:
            return 0
        self._con.execute("INSERT INTO id_counters VALUES (?, 0) ON CONFLICT DO NOTHING", [entity])
        row = self._con.execute(
            "UPDATE id_counters SET last = CASE WHEN last > ? THEN last ELSE ? END + ?"
            " WHERE entity = ? RETURNING last",
            [floor, floor, count, entity],
        ).fetchone()
        assert row is not None
        return int(row[0]) - count + 1

    def since(self, seq: int) -> list[Assignment]:
        rows = self._con.execute(
            f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments WHERE seq > ? ORDER BY seq", [seq]
        ).fetchall()
        return [_assignment(row) for row in rows]

    def record(self, assignment: Assignment) -> int:
        """Keep an assignment (a record already kept keeps its first one); its seq."""
        a = assignment
        at = (a.linked_at or datetime.now(UTC)).isoformat()
        self._con.execute(
            f"INSERT INTO assignments ({_ASSIGNMENT_COLUMNS.replace('seq, ', '')}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                a.record_key,
                a.source,
                a.source_record_id,
                a.person_id,
                a.household_id,
                a.match_probability,
                a.model_version,
                json.dumps(a.evidence),
                a.matched_record_key,
                a.match_weight,
                json.dumps(list(a.minted)),
                json.dumps(dict(a.record), default=_jsonable, sort_keys=True),
                at,
            ],
        )
        row = self._con.execute(
            "SELECT seq FROM assignments WHERE record_key = ?", [a.record_key]
        ).fetchone()
        return int(row[0]) if row else 0


#: what writers serialise on (PostgreSQL's advisory lock; SQLite locks the file)
_LOCK = "identities"
_ASSIGNMENT_COLUMNS = (
    "seq, record_key, source, source_record_id, person_id, household_id, match_probability, "
    "model_version, evidence, matched_record_key, match_weight, minted, record, linked_at"
)


class IdentityLedger:
    """The ledger; thread-safe (one connection per thread)."""

    def __init__(self, db: Database | Path, *, owner: Closeable | None = None) -> None:
        """`owner`: what `close` closes besides a file opened here (a store of
        the instance's own)."""
        self._db, opened = open_database(db, "identities", timeout_s=60)
        self._owner = opened or owner
        self._db.apply(_SCHEMA)

    @classmethod
    def at_home(cls, home: Path) -> IdentityLedger:
        """The ledger file of a home (SQLite; tests and tools without settings)."""
        return cls(ledger_path(home))

    @classmethod
    def of(cls, settings: StoreSettings) -> IdentityLedger:
        """The ledger of the store the settings name (`HUB_DATABASE_URL`)."""
        db, store = settings_database(settings, "identities")
        return cls(db, owner=store)

    @contextmanager
    def exclusive(self) -> Iterator[LedgerSession]:
        """The write lock of every process, for the block: read, mint and
        record as one step (a second process waits)."""
        with self._db.write(lock=_LOCK) as con:
            yield LedgerSession(con)

    def allocate(self, entity: str, count: int = 1, floor: int = 0) -> int:
        """`LedgerSession.allocate` in a transaction of its own (`hub link`)."""
        with self.exclusive() as session:
            return session.allocate(entity, count, floor)

    def assignments(self) -> list[Assignment]:
        with self._db.read() as con:
            rows = con.execute(
                f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments ORDER BY seq"
            ).fetchall()
        return [_assignment(row) for row in rows]

    def assignment(self, record_key: str) -> Assignment | None:
        with self._db.read() as con:
            row = con.execute(
                f"SELECT {_ASSIGNMENT_COLUMNS} FROM assignments WHERE record_key = ?", [record_key]
            ).fetchone()
        return _assignment(row) if row else None

    def save_decision(self, decision: ReviewDecisionRow) -> None:
        d = decision
        with self.exclusive() as session:
            session._con.execute(
                "INSERT INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pair_id) DO UPDATE"
                " SET record_key_l = excluded.record_key_l, record_key_r = excluded.record_key_r,"
                " decision = excluded.decision, decided_by = excluded.decided_by,"
                " decided_at = excluded.decided_at, note = excluded.note",
                [
                    d.pair_id,
                    d.record_key_l,
                    d.record_key_r,
                    d.decision,
                    d.decided_by,
                    d.decided_at.isoformat(),
                    d.note,
                ],
            )

    def decisions(self) -> list[ReviewDecisionRow]:
        with self._db.read() as con:
            rows = con.execute(
                "SELECT pair_id, record_key_l, record_key_r, decision, decided_by, decided_at, note"
                " FROM decisions ORDER BY decided_at, pair_id"
            ).fetchall()
        return [
            ReviewDecisionRow(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]), r[6])
            for r in rows
        ]

    def forget(self, record_keys: Sequence[str] = (), person_ids: Sequence[str] = ()) -> int:
        """Erase the assignments of these records or people, and decisions
        naming those records (UU PDP erasure); how many assignments went."""
        with self.exclusive() as session:
            con = session._con
            keys = list(record_keys)
            for person in person_ids:
                keys += [
                    r[0]
                    for r in con.execute(
                        "SELECT record_key FROM assignments WHERE person_id = ?", [person]
                    ).fetchall()
                ]
            gone = 0
            for key in dict.fromkeys(keys):
                gone += con.execute("DELETE FROM assignments WHERE record_key = ?", [key]).rowcount
                con.execute(
                    "DELETE FROM decisions WHERE record_key_l = ? OR record_key_r = ?", [key, key]
                )
            return gone

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    return str(value)


def _assignment(row: Sequence[Any]) -> Assignment:
    (
        seq,
        key,
        source,
        sid,
        person,
        household,
        probability,
        version,
        evidence,
        matched,
        weight,
        minted,
        record,
        at,
    ) = row
    return Assignment(
        record_key=key,
        source=source,
        source_record_id=sid,
        person_id=person,
        household_id=household,
        match_probability=probability,
        model_version=version or "",
        evidence=json.loads(evidence),
        matched_record_key=matched,
        match_weight=weight,
        minted=tuple(json.loads(minted)),
        record=json.loads(record),
        linked_at=datetime.fromisoformat(at),
        seq=int(seq),
    )
