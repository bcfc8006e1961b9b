"""Forgetting erased records in the linkage tables: the identity map, its
lineage, the standardised records, pairs, evidence and review items. A person
(or household) left with no record is marked `erased` in its registry, so its
id is never given to anyone else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

#: columns that hold a record key in linkage's tables (and its working tables)
_KEY_COLUMNS = ("record_key", "record_key_l", "record_key_r", "node")
_STAGING = frozenset({"records", "services", "raw_rows", "quarantine", "erased_records"})


@dataclass(frozen=True)
class Forgotten:
    persons: tuple[str, ...]
    """People left with no record: gone from the identity map."""
    households: tuple[str, ...]
    touched_persons: tuple[str, ...]
    """Everyone who held one of the records (including the above)."""
    touched_households: tuple[str, ...] = ()
    """Every household one of the records was in (including the above)."""


def merge_chain(con: duckdb.DuckDBPyConnection, entity: str, ids: Sequence[str]) -> list[str]:
    """These ids with every id joined to them by the registry's merges, both
    ways: the ids merged into them (at any depth) and those they were merged
    into. One person (or household) under all the ids it ever had."""
    table = f"{entity}_registry"
    found = set(ids)
    if not found or not _exists(con, table):
        return sorted(found)
    rows = con.execute(
        f"""WITH RECURSIVE edge(a, b) AS (
                SELECT {entity}_id, survivor_id FROM {table} WHERE survivor_id IS NOT NULL
                UNION ALL
                SELECT survivor_id, {entity}_id FROM {table} WHERE survivor_id IS NOT NULL),
            reach(id) AS (
                SELECT unnest($ids::VARCHAR[])
                UNION
                SELECT e.b FROM reach r JOIN edge e ON e.a = r.id)
            SELECT id FROM reach""",
        {"ids": sorted(found)},
    ).fetchall()
    return sorted(found | {r[0] for r in rows})


def records_of_person(con: duckdb.DuckDBPyConnection, person_id: str) -> list[str]:
    """Every record key linked to this person, under any id it had (merges
    followed both ways), now or before (lineage)."""
    ids = merge_chain(con, "person", [person_id])
    sql = " UNION ".join(
        f"SELECT record_key FROM {t} WHERE person_id IN (SELECT unnest($ids))"
        for t in ("identity_map", "identity_retired")
        if _exists(con, t)
    )
    if not sql:
        return []
    rows = con.execute(sql + " ORDER BY 1", {"ids": ids}).fetchall()
    return [r[0] for r in rows]


def known_person(con: duckdb.DuckDBPyConnection, person_id: str) -> bool:
    """Whether the registry has ever given out this id (erased ones included)."""
    return _exists(con, "person_registry") and bool(
        con.execute(  # type: ignore[index]
            "SELECT count(*) FROM person_registry WHERE person_id = ?", [person_id]
        ).fetchone()[0]
    )


def forget_records(
    con: duckdb.DuckDBPyConnection, record_keys: Sequence[str], now: dt.datetime
) -> Forgotten:
    keys = list(record_keys)
    persons, households = _owners(con, keys)
    tables = con.execute(
        "SELECT table_name, list(column_name) FROM duckdb_columns()"
        " WHERE schema_name = 'main' AND database_name = current_database()"
        f" AND column_name IN {_KEY_COLUMNS} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views()").fetchall()}
    for table, columns in tables:
        if table in _STAGING or table in views:
            continue
        where = " OR ".join(f'"{c}" IN (SELECT unnest($keys))' for c in columns)
        con.execute(f'DELETE FROM "{table}" WHERE {where}', {"keys": keys})
    # an id left with no record goes, with every old id merged into it
    gone_p = _without_records(
        con, "person_id", merge_chain(con, "person", _without_records(con, "person_id", persons))
    )
    gone_h = _without_records(
        con,
        "household_id",
        merge_chain(con, "household", _without_records(con, "household_id", households)),
    )
    for entity, ids in (("person", gone_p), ("household", gone_h)):
        if ids and _exists(con, f"{entity}_registry"):
            con.execute(
                f"UPDATE {entity}_registry SET status = 'erased', updated_at = $now"
                f" WHERE {entity}_id IN (SELECT unnest($ids))",
                {"now": now, "ids": ids},
            )
    return Forgotten(tuple(gone_p), tuple(gone_h), tuple(persons), tuple(households))


def _owners(con: duckdb.DuckDBPyConnection, keys: list[str]) -> tuple[list[str], list[str]]:
    persons: set[str] = set()
    households: set[str] = set()
    for table in ("identity_map", "identity_retired"):
        if _exists(con, table):
            for p, h in con.execute(
                f"SELECT person_id, household_id FROM {table}"
                " WHERE record_key IN (SELECT unnest($k))",
                {"k": keys},
            ).fetchall():
                persons.add(p)
                households.add(h)
    return sorted(persons), sorted(households)


def _without_records(con: duckdb.DuckDBPyConnection, column: str, ids: list[str]) -> list[str]:
    if not ids or not _exists(con, "identity_map"):
        return ids
    left = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT {column} FROM identity_map WHERE {column} IN (SELECT unnest($i))",
            {"i": ids},
        ).fetchall()
    }
    return [i for i in ids if i not in left]


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(
        con.execute(  # type: ignore[index]
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?"
            " AND schema_name = 'main' AND database_name = current_database()",
            [table],
        ).fetchone()[0]
    )


__all__ = ["Forgotten", "forget_records", "known_person", "merge_chain", "records_of_person"]
