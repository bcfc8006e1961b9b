"""Stable public ids for people and households.

Splink's cluster ids shift whenever data changes, so they are never shown. Each run
maps its new clusters onto the ids of the previous run by record overlap:

- every old id is inherited by the new cluster holding most of its records;
- a cluster that inherits several old ids keeps the one with the most records
  (ties: the older, lower id) and records the others as merged into it;
- a cluster that inherits none gets a freshly minted id; if it holds records of
  an old id it is the split-off part of that id and the split is recorded.

Ids are never renumbered or reused. Every change is an `identity_events` row.
New numbers come from an `IdAllocator` when one is given (the hub passes its
identity ledger, which the servers' real-time linkers mint from too, so a link
running next to a server never hands out an id the server has handed out).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import duckdb

from linkage._sql import scalar

__all__ = [
    "Entity",
    "IdAllocator",
    "RegistryChanges",
    "assign_stable_ids",
    "ensure_registry_tables",
    "highest_number",
]

Entity = Literal["person", "household"]

_PREFIX: dict[Entity, str] = {"person": "P", "household": "H"}


class IdAllocator(Protocol):
    """Hands out id numbers shared by every process (linkage.ledger.IdentityLedger)."""

    def allocate(self, entity: str, count: int = 1, floor: int = 0) -> int:
        """Reserve `count` numbers above `floor` and above all handed out before; the first."""
        ...


def highest_number(con: duckdb.DuckDBPyConnection, entity: str) -> int:
    """The highest id number in `entity`'s registry (0 when there is none)."""
    return _next_number(con, f"{entity}_registry", entity) - 1


def ensure_registry_tables(con: duckdb.DuckDBPyConnection) -> None:
    for entity in ("person", "household"):
        con.execute(
            f"""CREATE TABLE IF NOT EXISTS {entity}_registry (
                {entity}_id VARCHAR PRIMARY KEY,
                status VARCHAR NOT NULL,
                survivor_id VARCHAR,
                created_at TIMESTAMP NOT NULL,
                updated_at TIMESTAMP NOT NULL)"""
        )
    con.execute(
        """CREATE TABLE IF NOT EXISTS identity_events (
            event_id BIGINT PRIMARY KEY,
            "at" TIMESTAMP NOT NULL,
            kind VARCHAR NOT NULL,
            entity VARCHAR NOT NULL,
            ids VARCHAR[] NOT NULL,
            survivor_id VARCHAR,
            reason VARCHAR)"""
    )


@dataclass(frozen=True)
class RegistryChanges:
    created: int
    merges: int
    splits: int


def assign_stable_ids(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    clusters: str,
    previous: str,
    out: str,
    now: datetime,
    reason: str,
    allocator: IdAllocator | None = None,
) -> RegistryChanges:
    """Write `out(cluster_key, id)` for every cluster in `clusters(record_key, cluster_key)`.

    `previous(record_key, id)` holds the ids of the last run (empty on the first run).
    New numbers come from `allocator` when given, else after the registry's highest.
    """
    prefix = _PREFIX[entity]
    registry = f"{entity}_registry"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _overlap AS
        WITH new_size AS (SELECT cluster_key, count(*) AS n_new FROM {clusters} GROUP BY 1),
             old_size AS (SELECT id AS old_id, count(*) AS n_old FROM {previous} GROUP BY 1),
             overlap AS (
                SELECT c.cluster_key, p.id AS old_id, count(*) AS n
                FROM {clusters} c JOIN {previous} p USING (record_key) GROUP BY ALL)
        SELECT o.*, s.n_new, os.n_old
        FROM overlap o JOIN new_size s USING (cluster_key) JOIN old_size os USING (old_id)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _heir AS
        SELECT cluster_key, old_id, n_old,
               row_number() OVER (PARTITION BY cluster_key ORDER BY n_old DESC, old_id) AS rank
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY old_id ORDER BY n DESC, n_new DESC, cluster_key) AS pick
            FROM _overlap)
        WHERE pick = 1
        """
    )
    next_number = _next_number(con, registry, entity)
    if allocator is not None:
        fresh = scalar(
            con,
            f"""SELECT count(*) FROM (SELECT DISTINCT cluster_key FROM {clusters})
                WHERE cluster_key NOT IN (SELECT cluster_key FROM _heir WHERE rank = 1)""",
        )
        if fresh:
            next_number = allocator.allocate(entity, fresh, next_number - 1)
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {out} AS
        WITH keys AS (SELECT DISTINCT cluster_key FROM {clusters}),
             kept AS (SELECT cluster_key, old_id FROM _heir WHERE rank = 1),
             fresh AS (
                SELECT cluster_key,
                       printf('{prefix}-%09d', {next_number} - 1
                              + row_number() OVER (ORDER BY cluster_key)) AS new_id
                FROM keys ANTI JOIN kept USING (cluster_key))
        SELECT k.cluster_key, coalesce(kept.old_id, fresh.new_id) AS id,
               fresh.new_id IS NOT NULL AS is_new
        FROM keys k LEFT JOIN kept USING (cluster_key) LEFT JOIN fresh USING (cluster_key)
        """
    )
    created = _record_new_ids(con, entity, out, now, reason)
    merges = _record_merges(con, entity, out, now, reason)
    splits = _record_splits(con, entity, out, now, reason)
    return RegistryChanges(created=created, merges=merges, splits=splits)


def _next_number(con: duckdb.DuckDBPyConnection, registry: str, entity: str) -> int:
    return scalar(
        con, f"SELECT coalesce(max(CAST(substr({entity}_id, 3) AS BIGINT)), 0) + 1 FROM {registry}"
    )


def _next_event(con: duckdb.DuckDBPyConnection) -> int:
    return scalar(con, "SELECT coalesce(max(event_id), 0) + 1 FROM identity_events")


def _record_new_ids(
    con: duckdb.DuckDBPyConnection, entity: str, out: str, now: datetime, reason: str
) -> int:
    con.execute(
        f"""INSERT INTO {entity}_registry
            SELECT id, 'active', NULL, $now, $now FROM {out} WHERE is_new""",
        {"now": now},
    )
    first = _next_event(con)
    con.execute(
        f"""INSERT INTO identity_events
            SELECT {first} - 1 + row_number() OVER (ORDER BY o.id), $now, 'create', '{entity}',
                   [o.id], NULL, $reason
            FROM {out} o
            WHERE o.is_new AND o.cluster_key NOT IN (SELECT cluster_key FROM _overlap)""",
        {"now": now, "reason": reason},
    )
    return scalar(con, f"SELECT count(*) FROM {out} WHERE is_new")


def _record_merges(
    con: duckdb.DuckDBPyConnection, entity: str, out: str, now: datetime, reason: str
) -> int:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _merged AS
            SELECT o.id AS survivor_id, list(h.old_id ORDER BY h.old_id) AS merged_ids
            FROM _heir h JOIN {out} o USING (cluster_key)
            WHERE h.rank > 1 GROUP BY 1"""
    )
    con.execute(
        f"""UPDATE {entity}_registry r SET status = 'merged', survivor_id = m.survivor_id,
                updated_at = $now
            FROM (SELECT survivor_id, unnest(merged_ids) AS merged_id FROM _merged) m
            WHERE r.{entity}_id = m.merged_id""",
        {"now": now},
    )
    first = _next_event(con)
    con.execute(
        f"""INSERT INTO identity_events
            SELECT {first} - 1 + row_number() OVER (ORDER BY survivor_id), $now, 'merge',
                   '{entity}', list_prepend(survivor_id, merged_ids), survivor_id, $reason
            FROM _merged""",
        {"now": now, "reason": reason},
    )
    return scalar(con, "SELECT count(*) FROM _merged")


def _record_splits(
    con: duckdb.DuckDBPyConnection, entity: str, out: str, now: datetime, reason: str
) -> int:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _split AS
            SELECT ov.old_id, list(DISTINCT o.id ORDER BY o.id) AS part_ids
            FROM _overlap ov JOIN {out} o USING (cluster_key)
            WHERE o.is_new GROUP BY 1"""
    )
    con.execute(
        f"""UPDATE {entity}_registry SET updated_at = $now
            WHERE {entity}_id IN (SELECT old_id FROM _split)""",
        {"now": now},
    )
    first = _next_event(con)
    con.execute(
        f"""INSERT INTO identity_events
            SELECT {first} - 1 + row_number() OVER (ORDER BY old_id), $now, 'split',
                   '{entity}', list_prepend(old_id, part_ids), old_id, $reason
            FROM _split""",
        {"now": now, "reason": reason},
    )
    return scalar(con, "SELECT count(*) FROM _split")
