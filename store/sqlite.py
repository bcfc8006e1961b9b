"""The embedded back-end: one SQLite file per logical database under `$HUB_HOME`.

WAL mode, so readers never wait for the writer; one connection per thread.
`write()` queues for the file in the kernel first (`WriteTurn`), then takes
SQLite's write lock up front (`BEGIN IMMEDIATE`): what a block reads and then
writes is one step across every process, and while another process writes,
the next writer wakes the moment it is done instead of sleeping in SQLite's
busy-handler steps of 1, 2, 5, 10 ms.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from store.base import (
    DATABASES,
    SQLITE,
    Conn,
    Cursor,
    Dialect,
    Params,
    Schema,
    StoreError,
    statements,
)


class WriteTurn:
    """Whose turn it is to write one SQLite file, across threads and processes.

    A thread lock, then an exclusive `flock` on `<file>.lock`: the kernel wakes
    the next waiting process the moment the holder lets go, where SQLite's busy
    handler would sleep in steps of milliseconds. It only orders writers; a
    writer that does not take it (another program) is still kept out by
    SQLite's own lock and busy timeout. One per process and file (the server's
    workers are spawned, not forked, so none shares another's open file).
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._lock = threading.RLock()
        self._depth = 0

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


class SqliteConn:
    """A `Conn` over one sqlite3 connection."""

    dialect: Dialect = SQLITE

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Params = ()) -> Cursor:
        return self.raw.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Params]) -> Cursor:
        return self.raw.executemany(sql, rows)


class SqliteDatabase:
    """One SQLite file shared by several processes and threads."""

    dialect: Dialect = SQLITE

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        timeout_s: float = 30.0,
        synchronous: str = "NORMAL",
    ) -> None:
        self._path = path
        self._name = name or path.stem
        self._timeout = timeout_s
        self._synchronous = synchronous
        path.parent.mkdir(parents=True, exist_ok=True)
        self._turn = WriteTurn(path)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        # blocks in progress: close() waits for them (closing a connection another
        # thread is using crashes sqlite3)
        self._busy = 0
        self._idle = threading.Condition(self._guard)
        self._closed = False
        self.connection()  # made now: a file that cannot be opened fails here
        with suppress(OSError):  # e.g. a file owned by another user
            path.chmod(0o600)

    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> Path:
        return self._path

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit outside `write()`)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            if self._closed:
                raise StoreError(f"{self._path} was closed")
            con = sqlite3.connect(
                self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            con.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
            con.execute("PRAGMA journal_mode=WAL")
            con.execute(f"PRAGMA synchronous={self._synchronous}")
            self._local.con = con
            self._local.depth = 0
            with self._guard:
                self._opened.append(con)
        return con

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        with self._guard:
            self._busy += 1
        try:
            yield self.connection()
        finally:
            with self._guard:
                self._busy -= 1
                if not self._busy:
                    self._idle.notify_all()

    @contextmanager
    def read(self) -> Iterator[Conn]:
        with self._using() as con:
            yield SqliteConn(con)

    @contextmanager
    def write(self, lock: str | None = None) -> Iterator[Conn]:
        """One transaction holding the file's write lock in every process (the
        whole file is the lock, so `lock` is not needed here); rolled back if
        the block fails. Nested on one thread: part of the outer one."""
        with self._using() as con:
            if self._local.depth:
                self._local.depth += 1
                try:
                    yield SqliteConn(con)
                finally:
                    self._local.depth -= 1
                return
            with self._turn.held():
                con.execute("BEGIN IMMEDIATE")
                self._local.depth = 1
                try:
                    yield SqliteConn(con)
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                finally:
                    self._local.depth = 0
                try:
                    con.execute("COMMIT")
                except BaseException:  # a failed COMMIT leaves the transaction open
                    with suppress(sqlite3.Error):
                        con.execute("ROLLBACK")
                    raise

    def apply(self, schema: Schema) -> None:
        with self.write() as con:
            for statement in statements(schema, SQLITE):
                con.execute(statement)

    def columns(self, table: str) -> set[str]:
        with self.read() as con:
            return {row[1] for row in con.execute(f"PRAGMA table_info({table})").fetchall()}

    def close(self) -> None:
        """Close the connections of every thread (a worker thread's too), once
        the blocks in progress on other threads are done."""
        with self._guard:
            self._idle.wait_for(lambda: self._busy == 0, timeout=60)
            opened, self._opened = self._opened, []
            self._closed = True
        for con in opened:
            con.close()
        self._local = threading.local()
        self._turn.close()


class SqliteStore:
    """Today's layout: `$HUB_HOME/<name>.sqlite` per logical database."""

    dialect: Dialect = SQLITE
    shared = False

    def __init__(self, home: Path) -> None:
        self.home = home
        self._databases: dict[str, SqliteDatabase] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        return self.home / DATABASES.get(name, f"{name}.sqlite")

    def database(self, name: str) -> SqliteDatabase:
        with self._lock:
            found = self._databases.get(name)
            if found is None:
                found = SqliteDatabase(
                    self.path(name),
                    name=name,
                    # the ledger's long linkage transactions wait longer
                    timeout_s=60.0 if name == "identities" else 30.0,
                    # losing the last refills on a crash is fine
                    synchronous="OFF" if name == "ratelimit" else "NORMAL",
                )
                self._databases[name] = found
            return found

    def describe(self) -> str:
        return f"SQLite files in {self.home}"

    def close(self) -> None:
        with self._lock:
            opened, self._databases = list(self._databases.values()), {}
        for db in opened:
            db.close()


__all__ = ["SqliteConn", "SqliteDatabase", "SqliteStore", "WriteTurn"]
