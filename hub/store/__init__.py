"""Where the hub's shared server state lives: `open_store(settings)`.

SQLite files under `$HUB_HOME` by default (one server host); PostgreSQL when
`HUB_DATABASE_URL` names one, so several `hub serve` on different hosts share
keys, audit, rate limits, intake and the journal. See `hub.store.base` for the
seam and the SQL both back-ends run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.store.base import (
    DATABASES,
    DB_ERRORS,
    POSTGRES,
    SQLITE,
    Conn,
    Cursor,
    Database,
    Ddl,
    Dialect,
    Schema,
    Store,
    StoreError,
)
from hub.store.sqlite import SqliteDatabase, SqliteStore, WriteTurn

if TYPE_CHECKING:  # not at run time: a process opening a store needs no graph imports
    from hub.settings import Settings


def open_store(settings: Settings) -> Store:
    """The store the settings name; the caller closes it."""
    if settings.database_url:
        from hub.store.postgres import PgStore  # psycopg only when it is used

        return PgStore(settings.database_url, settings.database_schema)
    return SqliteStore(settings.home)


def describe_store(settings: Settings) -> str:
    """Which store the settings name, without opening it or showing a password."""
    if settings.database_url:
        from hub.store.postgres import describe_url

        return describe_url(settings.database_url, settings.database_schema)
    return f"SQLite files in {settings.home}"


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
    "Schema",
    "SqliteDatabase",
    "SqliteStore",
    "Store",
    "StoreError",
    "WriteTurn",
    "describe_store",
    "open_store",
]
