"""The shared back-end: every logical database as tables of one PostgreSQL schema.

psycopg 3 with a connection pool (synchronous: the stores already run off the
event loop, in `asyncio.to_thread`). Reads run in autocommit, so each statement
sees the latest commit. `write(lock=...)` is one READ COMMITTED transaction
that first takes `pg_advisory_xact_lock` on the schema and the lock's name, so
blocks that read and then write (the audit chain's head, an alert checked then
raised) are serialised across every server sharing the database, as
`BEGIN IMMEDIATE` serialises them on one SQLite file. The lock is let go at
commit or rollback. The pool checks each connection as it hands it out (one
round trip), so after PostgreSQL restarts the next call succeeds.

The SQL is the SQLite one (`store.base`): `?` becomes `%s` (outside quoted
literals) and `%` becomes `%%`, once per statement text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from store.base import POSTGRES, Conn, Cursor, Dialect, Params, Schema, StoreError, statements

DEFAULT_SCHEMA = "satupintu"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%")


@lru_cache(maxsize=1024)
def to_pg(statement: str) -> str:
    """`?` placeholders to psycopg's `%s`; a literal `%` doubled."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return token.replace("%", "%%")

    return _TOKENS.sub(swap, statement)


def describe_url(url: str, schema: str) -> str:
    """Where the store is, without the password."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return f"PostgreSQL (unparseable HUB_DATABASE_URL), schema {schema}"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    user = parts.get("user")
    db = parts.get("dbname") or user or "postgres"
    who = f"{user}@" if user else ""
    return f"PostgreSQL {who}{host}:{port}/{db}, schema {schema}"


class PgConn:
    """A `Conn` over one psycopg connection."""

    dialect: Dialect = POSTGRES

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        return self.raw.execute(to_pg(sql), params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor:
        cur = self.raw.cursor()
        cur.executemany(to_pg(sql), rows)
        return cur


class PgDatabase:
    """One logical database: a name, over the store's pool and schema."""

    dialect: Dialect = POSTGRES
    path = None

    def __init__(self, store: PgStore, name: str) -> None:
        self._store = store
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def store(self) -> PgStore:
        return self._store

    def read(self) -> AbstractContextManager[Conn]:
        return self._store.read()

    def write(self, lock: str | None = None) -> AbstractContextManager[Conn]:
        return self._store.write(lock)

    def apply(self, schema: Schema) -> None:
        self._store.apply(schema)

    def columns(self, table: str) -> set[str]:
        with self.read() as con:
            rows = con.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = ? AND table_name = ?",
                (self._store.schema, table),
            ).fetchall()
        return {r[0] for r in rows}

    def close(self) -> None:
        """Nothing of its own: the store's pool is closed with the store."""


class PgStore:
    """One database, one schema (`HUB_DATABASE_SCHEMA`, default `satupintu`)."""

    dialect: Dialect = POSTGRES
    shared = True

    def __init__(
        self,
        url: str,
        schema: str = DEFAULT_SCHEMA,
        *,
        max_size: int = 8,
        timeout_s: float = 10.0,
    ) -> None:
        if not _SCHEMA_NAME.match(schema):
            raise StoreError(
                f"HUB_DATABASE_SCHEMA {schema!r}: use lower-case letters, digits and _"
                " (for example satupintu)."
            )
        self.url = url
        self.schema = schema
        self._local = threading.local()
        self._databases: dict[str, PgDatabase] = {}
        self._lock = threading.Lock()
        self._create_schema(timeout_s)
        self._pool: ConnectionPool[Any] = ConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            configure=self._configure,
            # a connection the server closed since (a restart, an idle timeout) is
            # replaced before it is handed out, not failed on in a request
            check=ConnectionPool.check_connection,
            timeout=timeout_s,
            name=f"satupintu-{schema}",
            open=True,
        )
        try:
            self._pool.wait(timeout=timeout_s)
        except PoolTimeout as exc:
            self._pool.close()
            raise StoreError(f"{self.describe()}: no connection within {timeout_s:g} s") from exc

    def _create_schema(self, timeout_s: float) -> None:
        try:
            with psycopg.connect(self.url, connect_timeout=max(1, int(timeout_s))) as con:
                con.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    (f"satupintu-schema:{self.schema}",),
                )
                con.execute(
                    pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                        pgsql.Identifier(self.schema)
                    )
                )
        except psycopg.OperationalError as exc:
            why = " ".join(str(exc).split())  # libpq's hint on a line of its own: one line
            raise StoreError(f"{self.describe()} cannot be reached: {why}") from exc

    def _configure(self, con: psycopg.Connection[Any]) -> None:
        con.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(self.schema)))

    # --- the Store protocol -----------------------------------------------------
    def database(self, name: str) -> PgDatabase:
        with self._lock:
            found = self._databases.get(name)
            if found is None:
                found = self._databases[name] = PgDatabase(self, name)
            return found

    def describe(self) -> str:
        return describe_url(self.url, self.schema)

    def close(self) -> None:
        self._pool.close()

    # --- connections ------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[PgConn]:
        current: PgConn | None = getattr(self._local, "con", None)
        if current is not None:  # inside this thread's write(): see its writes
            yield current
            return
        with self._pool.connection() as raw:
            yield PgConn(raw)

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[PgConn]:
        current: PgConn | None = getattr(self._local, "con", None)
        if current is not None:
            if lock is not None:  # re-taking a held xact lock is free
                self._take(current, lock)
            yield current
            return
        with self._pool.connection() as raw, raw.transaction():
            con = PgConn(raw)
            if lock is not None:
                self._take(con, lock)
            self._local.con = con
            try:
                yield con
            finally:
                self._local.con = None

    def _take(self, con: PgConn, lock: str) -> None:
        con.raw.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"{self.schema}:{lock}",)
        )

    def apply(self, schema: Schema) -> None:
        """DDL under one lock: two servers starting at once do not race on
        CREATE ... IF NOT EXISTS."""
        with self.write(lock="ddl") as con:
            for statement in statements(schema, POSTGRES):
                con.raw.execute(statement)

    def drop_schema(self) -> None:
        """Remove the schema and everything in it (tests' throw-away schemas)."""
        with self._pool.connection() as raw:
            raw.execute(
                pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(self.schema))
            )


__all__ = ["DEFAULT_SCHEMA", "PgConn", "PgDatabase", "PgStore", "describe_url", "to_pg"]
