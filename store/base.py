"""The seam under every store of shared server state.

A `Store` holds the hub's logical databases ("security", "ratelimit",
"journal", "identities", "intake", "notify", "cycles", ...). Each is a
`Database`: SQLite keeps one file per logical database under `$HUB_HOME`
(`store.sqlite`), PostgreSQL keeps them all as tables of one schema
(`store.postgres`), so table names must not clash between databases.

Code above the seam writes one SQL that both run:

- placeholders are `?` (PostgreSQL's backend rewrites them, outside quoted
  literals; so no `?` in SQL comments);
- upserts are `INSERT ... ON CONFLICT (...) DO UPDATE SET c = excluded.c` or
  `DO NOTHING` (no `INSERT OR REPLACE/IGNORE`); new ids come back by `RETURNING`
  (no `lastrowid`); `greatest`/`max(a, b)` is spelt `CASE WHEN`;
- booleans are stored as 0/1 integers and tested as `x <> 0`;
- a parameter tested for NULL is cast: `CAST(? AS TEXT) IS NULL`;
- times are ISO-8601 UTC text, compared as text;
- what differs goes through `Dialect` (`json_each`) or DDL tokens
  (`Dialect.ddl`: `{bigint}`, `{blob}`, `{real}`, `{rowid}`).

`Database.read()` yields a connection on which each statement sees the latest
commit. `Database.write(lock=...)` yields one transaction, committed at the end
of the block and rolled back if it raises. SQLite takes the whole file's write
lock up front (`BEGIN IMMEDIATE`), so everything a block reads and then writes
is one step across processes; PostgreSQL runs at READ COMMITTED and takes
`pg_advisory_xact_lock` on `lock` when given, so a block that reads then writes
(the audit chain's head, a check-then-insert) names what it serialises on.
Blocks that only write, or whose single statements are atomic, pass no lock.
Nested `write()`/`read()` on the same thread inside a `write()` join that
transaction (and see its writes) on both back-ends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

DialectName = Literal["sqlite", "postgres"]

#: the logical databases and, for SQLite, their files under $HUB_HOME
DATABASES: dict[str, str] = {
    "security": "security.sqlite",
    "ratelimit": "ratelimit.sqlite",
    "journal": "journal.sqlite",
    "identities": "identities.sqlite",
    "intake": "intake.sqlite",
    "notify": "notify.sqlite",
    "cycles": "cycles.sqlite",
}

Params = Sequence[Any] | Mapping[str, Any]


class StoreError(RuntimeError):
    """The store could not be opened or used (PostgreSQL unreachable, a key
    file that does not match the shared store, ...)."""


def _errors() -> tuple[type[Exception], ...]:
    import psycopg

    return (sqlite3.Error, psycopg.Error, StoreError)


#: what either back-end raises when the database fails (for `except`)
DB_ERRORS: tuple[type[Exception], ...] = _errors()


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Conn(Protocol):
    """A connection inside `read()` or `write()`; rows are tuples."""

    @property
    def dialect(self) -> Dialect: ...

    def execute(self, sql: str, params: Params = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor: ...


@dataclass(frozen=True)
class Dialect:
    """What differs between the back-ends, in one place."""

    name: DialectName

    def json_each(self, expr: str) -> str:
        """A FROM item over the elements of a JSON array held as text in `expr`,
        one row per element with its text in column `value`."""
        if self.name == "sqlite":
            return f"json_each({expr})"
        return f"jsonb_array_elements_text(({expr})::jsonb) AS je(value)"

    def ddl(self, statement: str) -> str:
        """A CREATE statement with type tokens filled in: `{bigint}` (64-bit
        integer; SQLite's INTEGER, so an `INTEGER PRIMARY KEY` stays the rowid),
        `{blob}`, `{real}` (double precision), `{rowid}` (SQLite's implicit
        insertion order: a `rowid BIGSERIAL,` column in PostgreSQL, nothing in
        SQLite; write it first in the column list) and `{autoincrement}` (an
        ever-growing integer key: `INTEGER PRIMARY KEY AUTOINCREMENT` /
        `BIGSERIAL PRIMARY KEY`)."""
        if self.name == "sqlite":
            tokens = {
                "bigint": "INTEGER",
                "blob": "BLOB",
                "real": "REAL",
                "rowid": "",
                "autoincrement": "INTEGER PRIMARY KEY AUTOINCREMENT",
            }
        else:
            tokens = {
                "bigint": "BIGINT",
                "blob": "BYTEA",
                "real": "DOUBLE PRECISION",
                "rowid": "rowid BIGSERIAL,",
                "autoincrement": "BIGSERIAL PRIMARY KEY",
            }
        return statement.format(**tokens)


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")


@dataclass(frozen=True)
class Ddl:
    """One schema change, written once (`Dialect.ddl` tokens) or per dialect
    (a trigger, a function). `apply` runs each statement in order; every one
    must be idempotent (IF NOT EXISTS, CREATE OR REPLACE)."""

    both: str | None = None
    sqlite: str | None = None
    postgres: str | None = None

    def for_dialect(self, dialect: Dialect) -> str | None:
        own = self.sqlite if dialect.name == "sqlite" else self.postgres
        text = own if own is not None else self.both
        return None if text is None else dialect.ddl(text) if own is None else text


Schema = Iterable[str | Ddl]


class Database(Protocol):
    """One logical database of the store."""

    @property
    def name(self) -> str: ...

    @property
    def dialect(self) -> Dialect: ...

    @property
    def path(self) -> Path | None:
        """The SQLite file; None in PostgreSQL."""
        ...

    def read(self) -> AbstractContextManager[Conn]: ...

    def write(self, lock: str | None = None) -> AbstractContextManager[Conn]: ...

    def apply(self, schema: Schema) -> None:
        """Create tables, indexes, triggers (idempotent; run at open)."""
        ...

    def columns(self, table: str) -> set[str]:
        """The columns a table has now (for ADD COLUMN of later versions)."""
        ...

    def close(self) -> None: ...


class Store(Protocol):
    """Every logical database of one hub (or of all hubs sharing PostgreSQL)."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def shared(self) -> bool:
        """True when several homes may share it (PostgreSQL): key files must
        then be the same everywhere."""
        ...

    def database(self, name: str) -> Database:
        """The logical database `name` (one handle per store and name)."""
        ...

    def describe(self) -> str:
        """Where the state is, for `hub status` (never a password)."""
        ...

    def close(self) -> None: ...


def statements(schema: Schema, dialect: Dialect) -> Iterator[str]:
    for item in schema:
        text = dialect.ddl(item) if isinstance(item, str) else item.for_dialect(dialect)
        if text:
            yield text


__all__ = [
    "DATABASES",
    "DB_ERRORS",
    "POSTGRES",
    "SQLITE",
    "Conn",
    "Cursor",
    "Database",
    "Ddl",
    "Dialect",
    "DialectName",
    "Params",
    "Schema",
    "Store",
    "StoreError",
    "statements",
]
