"""`SqliteFile`: one SQLite file shared by several processes and threads.

WAL mode, so readers never wait for the writer; one connection per thread;
`write()` takes the file's write lock first (`BEGIN IMMEDIATE`), so what a
block reads and then writes is one step across every process. The journal and
linkage's identity ledger are both kept this way.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SqliteFile:
    def __init__(self, path: Path, *, timeout_s: float = 30) -> None:
        self.path = path
        self._timeout = timeout_s
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._guard = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit outside `write()`)."""
        con: sqlite3.Connection | None = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
            )
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
            with self._guard:
                self._opened.append(con)
        return con

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction holding the write lock of every process; rolled
        back if the block fails."""
        con = self.connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def close(self) -> None:
        """Close the connections of every thread (a worker thread's too)."""
        with self._guard:
            opened, self._opened = self._opened, []
        for con in opened:
            con.close()
        self._local = threading.local()
