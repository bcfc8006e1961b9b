"""One SQL for both back-ends (store.base): placeholders, literals holding `?`
and `%`, the DDL tokens, json_each, upserts with RETURNING, nested writes."""

from __future__ import annotations

import json
import threading

import pytest

import store
import store.base
import store.postgres
import store.sqlite
from store import Ddl, Store


def test_the_same_sql_runs_on_both_back_ends(store_backend: Store) -> None:
    db = store_backend.database("scratch")
    db.apply(
        [
            "CREATE TABLE IF NOT EXISTS notes ({rowid} id {autoincrement}, body TEXT NOT NULL,"
            " tags TEXT NOT NULL, weight {real}, blob {blob})",
            Ddl(
                sqlite="CREATE INDEX IF NOT EXISTS notes_body ON notes (body)",
                postgres="CREATE INDEX IF NOT EXISTS notes_body ON notes (body text_pattern_ops)",
            ),
        ]
    )
    db.apply(["CREATE TABLE IF NOT EXISTS notes (id {bigint})"])  # idempotent
    with db.write(lock="notes") as con:
        first = con.execute(
            "INSERT INTO notes (body, tags, weight, blob) VALUES (?, ?, ?, ?) RETURNING id",
            ("100% sure?", json.dumps(["a", "b"]), 0.5, b"\x00\x01"),
        ).fetchone()[0]
        con.executemany(
            "INSERT INTO notes (body, tags) VALUES (?, ?)",
            [("why?", json.dumps(["b"])), ("'quoted' ?", "[]")],
        )
        with db.write(lock="notes") as inner, db.read() as seen:  # one transaction
            inner.execute("UPDATE notes SET weight = 1.5 WHERE id = ?", (first,))
            assert seen.execute("SELECT count(*) FROM notes").fetchone()[0] == 3
    with db.read() as con:
        literal = con.execute(
            "SELECT body FROM notes WHERE body LIKE '%?' AND body <> '?' ORDER BY rowid"
        ).fetchall()
        assert literal == [("100% sure?",), ("why?",), ("'quoted' ?",)]
        tagged = con.execute(
            f"SELECT body FROM notes WHERE EXISTS (SELECT 1 FROM {con.dialect.json_each('tags')}"
            " WHERE value = ?) ORDER BY id",
            ("b",),
        ).fetchall()
        assert tagged == [("100% sure?",), ("why?",)]
        row = con.execute("SELECT weight, blob FROM notes WHERE id = ?", (first,)).fetchone()
        assert (row[0], bytes(row[1])) == (1.5, b"\x00\x01")
    assert {"id", "body", "tags", "weight", "blob"} <= db.columns("notes")


def test_a_failed_write_leaves_nothing(store_backend: Store) -> None:
    db = store_backend.database("scratch")
    db.apply(["CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, n {bigint})"])
    with pytest.raises(RuntimeError), db.write(lock="counters") as con:
        con.execute("INSERT INTO counters (name, n) VALUES ('a', 1)")
        raise RuntimeError("the block failed")
    with db.write() as con:
        for _ in range(2):
            n = con.execute(
                "INSERT INTO counters (name, n) VALUES ('a', 1) ON CONFLICT (name)"
                " DO UPDATE SET n = counters.n + 1 RETURNING n"
            ).fetchone()[0]
    assert n == 2


def test_a_write_whose_commit_fails_leaves_nothing_open(store_backend: Store) -> None:
    """A COMMIT can fail (a deferred constraint, here; a full disk in the field).
    The transaction must not stay open on the thread's connection: it would hold
    the write lock against every other writer and refuse this thread's next
    BEGIN for the life of the process."""
    db = store_backend.database("scratch")
    db.apply(
        [
            "CREATE TABLE IF NOT EXISTS parents (id TEXT PRIMARY KEY)",
            "CREATE TABLE IF NOT EXISTS children (id TEXT PRIMARY KEY, parent TEXT"
            " REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)",
        ]
    )
    if store_backend.dialect.name == "sqlite":
        with db.read() as con:  # per connection, and off by default in SQLite
            con.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(store.base.DB_ERRORS), db.write() as con:
        con.execute("INSERT INTO children (id, parent) VALUES ('c', 'nobody')")
    with db.write() as con:  # this thread writes again
        con.execute("INSERT INTO parents (id) VALUES ('p')")
    seen: list[int] = []

    def elsewhere() -> None:  # and so does another thread, not kept waiting
        with db.write() as con:
            con.execute("INSERT INTO children (id, parent) VALUES ('c', 'p')")
        with db.read() as con:
            seen.append(con.execute("SELECT count(*) FROM children").fetchone()[0])

    worker = threading.Thread(target=elsewhere)
    worker.start()
    worker.join(timeout=60)
    assert seen == [1]


def test_the_seams_public_surface_is_importable() -> None:
    for module in (store, store.base, store.sqlite, store.postgres):
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert missing == []
        assert len(set(module.__all__)) == len(module.__all__)
