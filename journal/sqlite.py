"""Opening one logical database of the store for a class that keeps state in it.

The journal, linkage's identity ledger, the intake, the outbox and the program
cycles each take either a `Database` of the store (`store`: SQLite files
under `$HUB_HOME`, or the shared PostgreSQL of `HUB_DATABASE_URL`), which its
store closes, or a file path (tests, tools without settings), which they open
as SQLite and close themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from store import StoreSettings
    from store.base import Database


class Closeable(Protocol):
    def close(self) -> None: ...


def open_database(
    source: Database | Path, name: str, *, timeout_s: float = 30.0
) -> tuple[Database, Closeable | None]:
    """The database, and what its user must close (None: its store's)."""
    if isinstance(source, Path):
        from store.sqlite import SqliteDatabase

        db = SqliteDatabase(source, name=name, timeout_s=timeout_s)
        return db, db
    return source, None


def settings_database(settings: StoreSettings, name: str) -> tuple[Database, Closeable]:
    """The database `name` of a store of its own for these settings (a one-shot
    command's), and the store to close with it."""
    from store import open_store

    store = open_store(settings)
    return store.database(name), store
