"""Helpers for tests that run on both store back-ends (the `store_backend` fixture)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg

from hub.security.db import SecurityDB
from store import Store
from store.postgres import PgDatabase, PgStore
from store.sqlite import SqliteStore

#: what refusing an UPDATE or DELETE of the audit log raises on either back-end
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.errors.IntegrityConstraintViolation)


def another(store: Store) -> Store:
    """The same state opened again, as a second server process would."""
    if isinstance(store, PgStore):
        return PgStore(store.url, store.schema, max_size=4)
    assert isinstance(store, SqliteStore)
    return SqliteStore(store.home)


def security_again(db: SecurityDB, home: Path) -> SecurityDB:
    """A second SecurityDB on the same state with connections of its own."""
    if isinstance(db.database, PgDatabase):
        store = another(db.database.store)
        return SecurityDB(
            home / "security.sqlite", database=store.database("security"), owned=store
        )
    return SecurityDB(db.path)


def tamper(db: SecurityDB, *statements: str) -> None:
    """What an attacker with access to the database does: switch the append-only
    guard off and edit."""
    if not db.shared:
        conn = sqlite3.connect(db.path)
        conn.executescript(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            + ";".join(statements)
        )
        conn.close()
        return
    with db.write() as conn:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change")


def store_settings(store: Store) -> dict[str, Any]:
    """The `Settings` fields that point at this store (none for SQLite files in the home)."""
    if isinstance(store, PgStore):
        return {"database_url": store.url, "database_schema": store.schema}
    return {}


def store_env(store: Store) -> dict[str, str]:
    """The environment that points a `hub` subprocess at this store."""
    if isinstance(store, PgStore):
        return {"HUB_DATABASE_URL": store.url, "HUB_DATABASE_SCHEMA": store.schema}
    return {}
