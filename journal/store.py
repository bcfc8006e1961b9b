"""`Journal`: the facts, in the store's "journal" database
(`$HUB_HOME/journal.sqlite`, or the shared PostgreSQL of `HUB_DATABASE_URL`).

Any number of processes read while one appends, and every append holds the
journal's write lock (SQLite's `BEGIN IMMEDIATE`; in PostgreSQL an advisory
lock held to commit, since a sequence hands out numbers at insert, not at
commit), so sequence numbers are handed out in commit order and a reader that
has seen `seq` n will never later find a fact below n appear (the feed's cursor
relies on it).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal.facts import Fact, NewFact, jsonable
from journal.kinds import origin_of
from journal.sqlite import Closeable, open_database, settings_database
from store.base import DATABASES

if TYPE_CHECKING:
    from store import StoreSettings
    from store.base import Conn, Database

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS facts (
        seq {autoincrement},
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        origin TEXT NOT NULL,
        subject TEXT,
        actor TEXT,
        organization TEXT,
        household_ids TEXT NOT NULL,
        person_ids TEXT NOT NULL,
        payload TEXT NOT NULL,
        key TEXT UNIQUE
    )""",
    "CREATE INDEX IF NOT EXISTS facts_kind_at ON facts (kind, at)",
    "CREATE TABLE IF NOT EXISTS fact_households (seq INTEGER NOT NULL, household_id TEXT NOT NULL,"
    " PRIMARY KEY (household_id, seq))",
)
_COLUMNS = "seq, at, kind, origin, payload, household_ids, person_ids, subject, actor, organization"
#: what appends serialise on (PostgreSQL's advisory lock; SQLite locks the file)
_LOCK = "journal"
#: the most facts one read returns
MAX_READ = 1000


def journal_path(home: Path) -> Path:
    return home / DATABASES["journal"]


class Journal:
    """Append and read facts. Thread-safe; one connection per thread."""

    def __init__(self, db: Database | Path, *, owner: Closeable | None = None) -> None:
        """`owner`: what `close` closes besides a file opened here (a store of
        the instance's own)."""
        self._db, opened = open_database(db, "journal")
        self._owner = opened or owner
        self._db.apply(_SCHEMA)

    @classmethod
    def at_home(cls, home: Path) -> Journal:
        """The journal file of a home (SQLite; tests and tools without settings)."""
        return cls(journal_path(home))

    @classmethod
    def of(cls, settings: StoreSettings) -> Journal:
        """The journal of the store the settings name (`HUB_DATABASE_URL`)."""
        db, store = settings_database(settings, "journal")
        return cls(db, owner=store)

    def append(self, facts: Sequence[NewFact]) -> list[int]:
        """Store the facts in order, in one transaction; their sequence numbers
        (a fact whose key is already stored gets the stored one's)."""
        if not facts:
            return []
        now = datetime.now(UTC)
        with self._db.write(lock=_LOCK) as con:
            return [_insert(con, fact, now)[0] for fact in facts]

    def claim(self, fact: NewFact, also: Sequence[NewFact] = ()) -> bool:
        """Append a keyed fact unless its key is stored already; whether this
        call stored it. Of several processes racing on one key exactly one wins
        (a change request's step out of a status is claimed this way). `also`:
        facts stored after it in the same transaction, only when it wins (a
        referral referred onward: its move, then the onward referral made)."""
        if fact.key is None:
            raise ValueError("only a fact with a key can be claimed")
        now = datetime.now(UTC)
        with self._db.write(lock=_LOCK) as con:
            if not _insert(con, fact, now)[1]:
                return False
            for other in also:
                _insert(con, other, now)
            return True

    def keyed(self, key: str) -> Fact | None:
        """The fact stored under this key, if any (a claim's winner)."""
        with self._db.read() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM facts WHERE key = ?", [key]).fetchone()
        return _fact(row) if row else None

    def head(self) -> int:
        """The newest sequence number (0 for an empty journal)."""
        with self._db.read() as con:
            row = con.execute("SELECT coalesce(max(seq), 0) FROM facts").fetchone()
        return int(row[0]) if row else 0

    def read(
        self,
        after: int = 0,
        limit: int = 100,
        *,
        kinds: Collection[str] | None = None,
        household_ids: Collection[str] | None = None,
    ) -> list[Fact]:
        """Facts with `seq > after`, oldest first, at most `limit` (≤ MAX_READ);
        only these kinds, only facts about these households, when given."""
        limit = max(0, min(limit, MAX_READ))
        where: list[str] = ["f.seq > ?"]
        params: list[object] = [after]
        if kinds is not None:
            where.append(f"f.kind IN ({', '.join('?' for _ in kinds)})")
            params.extend(kinds)
        if household_ids is not None:
            ids = list(household_ids)
            if not ids:
                return []
            where.append(
                "f.seq IN (SELECT seq FROM fact_households WHERE household_id IN "
                f"({', '.join('?' for _ in ids)}))"
            )
            params.extend(ids)
        with self._db.read() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM facts f WHERE {' AND '.join(where)} "
                "ORDER BY f.seq LIMIT ?",
                [*params, limit],
            ).fetchall()
        return [_fact(row) for row in rows]

    def between(self, start: datetime, end: datetime, kinds: Collection[str]) -> list[Fact]:
        """Every fact of these kinds with `start <= at < end`, oldest first
        (the report's month)."""
        with self._db.read() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM facts WHERE at >= ? AND at < ? AND kind IN "
                f"({_marks(kinds)}) ORDER BY seq",
                [_utc(start), _utc(end), *kinds],
            ).fetchall()
        return [_fact(row) for row in rows]

    def about(
        self,
        *,
        persons: Collection[str] = (),
        households: Collection[str] = (),
        kinds: Collection[str],
    ) -> list[Fact]:
        """Every fact of these kinds about these persons or households, oldest
        first (an erasure reads what it must reach beyond the journal)."""
        people, homes, wanted = list(persons), list(households), list(kinds)
        if not (people or homes) or not wanted:
            return []
        with self._db.read() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM facts WHERE kind IN ({_marks(wanted)}) AND seq IN ("
                f"SELECT f.seq FROM facts f, {con.dialect.json_each('f.person_ids')} WHERE value"
                f" IN ({_marks(people)}) UNION SELECT seq FROM fact_households WHERE household_id"
                f" IN ({_marks(homes)})) ORDER BY seq",
                [*wanted, *people, *homes],
            ).fetchall()
        return [_fact(row) for row in rows]

    def forget(
        self,
        *,
        persons: Collection[str] = (),
        households: Collection[str] = (),
        subjects: Collection[str] = (),
    ) -> int:
        """Erasure (UU PDP): delete every fact about these persons or these
        households, and every fact whose subject is one of `subjects` (the
        front desk's first fact of a web-form request names no one yet); how
        many went. Sequence numbers are never reused, so a reader's cursor
        stays valid."""
        people, homes, ids = list(persons), list(households), list(subjects)
        if not people and not homes and not ids:
            return 0
        with self._db.write() as con:
            seqs = [
                int(r[0])
                for r in con.execute(
                    f"SELECT f.seq FROM facts f, {con.dialect.json_each('f.person_ids')} "
                    f"WHERE value IN ({_marks(people)})"
                    " UNION SELECT seq FROM fact_households"
                    f" WHERE household_id IN ({_marks(homes)})"
                    f" UNION SELECT seq FROM facts WHERE subject IN ({_marks(ids)})",
                    [*people, *homes, *ids],
                ).fetchall()
            ]
            for i in range(0, len(seqs), 500):
                chunk = seqs[i : i + 500]
                marks = ", ".join("?" for _ in chunk)
                con.execute(f"DELETE FROM fact_households WHERE seq IN ({marks})", chunk)
                con.execute(f"DELETE FROM facts WHERE seq IN ({marks})", chunk)
        return len(seqs)

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _fact(row: Sequence[Any]) -> Fact:
    seq, at, kind, origin, payload, households, persons, subject, actor, organization = row
    return Fact(
        seq=int(seq),
        at=datetime.fromisoformat(at),
        kind=str(kind),
        origin=str(origin),
        payload=json.loads(payload),
        household_ids=tuple(json.loads(households)),
        person_ids=tuple(json.loads(persons)),
        subject=subject,
        actor=actor,
        organization=organization,
    )


def _insert(con: Conn, fact: NewFact, now: datetime) -> tuple[int, bool]:
    """Store one fact inside the caller's write transaction: its sequence
    number, and whether it was stored now (False: its key was stored before)."""
    if fact.key is not None:
        found = con.execute("SELECT seq FROM facts WHERE key = ?", [fact.key]).fetchone()
        if found is not None:
            return int(found[0]), False
    at = (fact.at or now).astimezone(UTC).isoformat()
    row = con.execute(
        "INSERT INTO facts (at, kind, origin, subject, actor, organization,"
        " household_ids, person_ids, payload, key) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING seq",
        [
            at,
            fact.kind,
            origin_of(fact.kind),
            fact.subject,
            fact.actor,
            fact.organization,
            json.dumps(list(fact.household_ids)),
            json.dumps(list(fact.person_ids)),
            json.dumps(dict(fact.payload), default=jsonable, sort_keys=True),
            fact.key,
        ],
    ).fetchone()
    seq = int(row[0])
    con.executemany(
        "INSERT INTO fact_households VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(seq, h) for h in dict.fromkeys(fact.household_ids)],
    )
    return seq, True
