"""The security database: `$HUB_HOME/security.sqlite`, shared by the server and
the CLI (separate processes), so it runs in WAL mode with a busy timeout.

One `SecurityDB` per process: `KeyStore` and `AuditLog` share it. It holds
two connections, each behind its own lock so either is safe from several
threads: one for reads and one for write transactions. WAL lets reads go on
while a write transaction waits for SQLite's write lock (which another process,
e.g. a second server worker appending to the audit log, may hold): an API key
look-up on the server's event loop never queues behind an audit write.

Writers queue for SQLite's write lock in the kernel first (`WriteTurn`): while
another process writes, SQLite's own busy handler would sleep 1, 2, 5, 10 ms
between tries, so `hub serve --workers 2` would take turns at the audit chain
in millisecond steps although each write holds it for a fraction of one.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType

from hub.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id       TEXT PRIMARY KEY,
    organization TEXT NOT NULL,
    role         TEXT NOT NULL,
    label        TEXT,
    salt         BLOB NOT NULL,
    secret_hash  BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT,
    replaces     TEXT
);

CREATE TABLE IF NOT EXISTS audit_log (
    seq           INTEGER PRIMARY KEY,
    ts            TEXT NOT NULL,
    subject       TEXT NOT NULL,
    organization  TEXT NOT NULL,
    role          TEXT NOT NULL,
    operation     TEXT NOT NULL,
    person_ids    TEXT NOT NULL,
    household_ids TEXT NOT NULL,
    purpose       TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);

-- where the keyed (HMAC) chain starts; the anchors files outside hold the same
CREATE TABLE IF NOT EXISTS audit_meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END;

CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END;
"""


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def security_db_path(settings: Settings) -> Path:
    return settings.home / "security.sqlite"


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


class SecurityDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._turn = WriteTurn(path)
        self._conn = _connect(path)
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.executescript(SCHEMA)
        self._reader = _connect(path)
        self._read_lock = threading.RLock()
        with suppress(OSError):  # e.g. a file owned by another user
            path.chmod(0o600)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecurityDB:
        return cls(security_db_path(settings))

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The read connection (autocommit: each statement sees the latest commit)."""
        with self._read_lock:
            yield self._reader

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes SQLite's write lock up front, so a
        read-then-write (the audit chain's last hash) cannot race another process."""
        with self._turn.held(), self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._read_lock:
            self._reader.close()
        with self._lock:
            self._conn.close()
        self._turn.close()

    def __enter__(self) -> SecurityDB:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["SCHEMA", "SecurityDB", "WriteTurn", "security_db_path"]
