"""Where the hub's shared server state lives: `open_store(settings)`.

SQLite files under `$HUB_HOME` by default (one server host); PostgreSQL when
`HUB_DATABASE_URL` names one, so several `hub serve` on different hosts share
keys, audit, rate limits, intake and the journal. See `store.base` for the
seam and the SQL both back-ends run.

A package of its own, below journal/, linkage/ and hub/ (which all keep state
in it): it imports nothing of ours, and takes the hub's settings as the three
values it reads (`StoreSettings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from store.base import (
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
from store.sqlite import SqliteDatabase, SqliteStore, WriteTurn


class StoreSettings(Protocol):
    """What a store is opened from (`hub.settings.Settings` has these)."""

    @property
    def database_url(self) -> str | None: ...
    @property
    def database_schema(self) -> str: ...
    @property
    def home(self) -> Path: ...


def open_store(settings: StoreSettings) -> Store:
    """The store the settings name; the caller closes it."""
    if settings.database_url:
        from store.postgres import PgStore  # psycopg only when it is used

        return PgStore(settings.database_url, settings.database_schema)
    return SqliteStore(settings.home)


def describe_store(settings: StoreSettings) -> str:
    """Which store the settings name, without opening it or showing a password."""
    if settings.database_url:
        from store.postgres import describe_url

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
    "StoreSettings",
    "WriteTurn",
    "describe_store",
    "open_store",
]
