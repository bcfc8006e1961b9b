"""Reconcile: bring what the servers decided (linkage.ledger) into staging.

Run at the start of `hub link`, holding the staging database:

- every real-time assignment of a record that is now staged (`hub ingest` read
  it from the submissions) and not yet in `identity_map` goes into it, with
  its ids, so the link that follows treats them as the previous run's ids and
  keeps them (linkage.registry); ids minted in real time enter the registries
  with a `create` event. An assignment of a record not staged yet stays in the
  ledger only: the servers' linkers keep taking it in until a link has it.
- every API review decision goes into `review_decisions` (the newer decision
  of a pair wins) and closes its queued pair.

Safe to repeat: what is imported already is not imported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from linkage._sql import scalar, table_exists
from linkage.ledger import IdentityLedger
from linkage.registry import ensure_registry_tables
from linkage.review import ensure_review_tables

__all__ = ["Reconciled", "reconcile"]


@dataclass(frozen=True)
class Reconciled:
    assignments: int
    decisions: int


def reconcile(con: duckdb.DuckDBPyConnection, ledger: IdentityLedger) -> Reconciled:
    ensure_registry_tables(con)
    ensure_review_tables(con)
    return Reconciled(_assignments(con, ledger), _decisions(con, ledger))


def _assignments(con: duckdb.DuckDBPyConnection, ledger: IdentityLedger) -> int:
    found = ledger.assignments()
    if (
        not found
        or not table_exists(con, "identity_map")
        or not table_exists(con, "current_records")
    ):
        return 0
    table = pa.table(
        {
            "record_key": [a.record_key for a in found],
            "source": [a.source for a in found],
            "source_record_id": [a.source_record_id for a in found],
            "person_id": [a.person_id for a in found],
            "household_id": [a.household_id for a in found],
            "match_probability": pa.array([a.match_probability for a in found], pa.float64()),
            "model_version": [a.model_version for a in found],
            "linked_at": pa.array(
                [(a.linked_at or datetime.now(UTC)).replace(tzinfo=None) for a in found],
                pa.timestamp("us"),
            ),
        }
    )
    con.register("_ledger_assignments", table)
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _reconciled AS
               SELECT a.* FROM _ledger_assignments a
               WHERE a.record_key IN (SELECT record_key FROM current_records)
                 AND a.record_key NOT IN (SELECT record_key FROM identity_map)"""
        )
        _supersede(con)
    finally:
        con.unregister("_ledger_assignments")
    count = scalar(con, "SELECT count(*) FROM _reconciled")
    if not count:
        return 0
    con.begin()
    try:
        con.execute(
            """INSERT INTO identity_map
               SELECT record_key, source, source_record_id, person_id, household_id,
                      coalesce(match_probability, 1.0), model_version, linked_at
               FROM _reconciled"""
        )
        for entity in ("person", "household"):
            _register_minted(con, entity)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return count


def _supersede(con: duckdb.DuckDBPyConnection) -> None:
    """A record a server linked while `hub ingest` and an earlier link already
    gave it ids: the server's ids (handed to the submitter, written to the
    graph) join the registry as merged into the link's, so `hub load` retires
    them with a MERGED_INTO their survivor instead of leaving a ghost."""
    now = datetime.now(UTC).replace(tzinfo=None)
    for entity in ("person", "household"):
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _superseded AS
                SELECT DISTINCT a.{entity}_id AS old_id, m.{entity}_id AS survivor_id
                FROM _ledger_assignments a JOIN identity_map m USING (record_key)
                WHERE a.{entity}_id <> m.{entity}_id
                  AND a.{entity}_id NOT IN (SELECT {entity}_id FROM {entity}_registry)
                  AND a.{entity}_id NOT IN (SELECT {entity}_id FROM identity_map)"""
        )
        if not scalar(con, "SELECT count(*) FROM _superseded"):
            continue
        con.execute(
            f"INSERT INTO {entity}_registry SELECT old_id, 'merged', survivor_id, $now, $now "
            "FROM _superseded",
            {"now": now},
        )
        first = scalar(con, "SELECT coalesce(max(event_id), 0) + 1 FROM identity_events")
        con.execute(
            f"""INSERT INTO identity_events
                SELECT {first} - 1 + row_number() OVER (ORDER BY old_id), $now, 'merge',
                       '{entity}', [survivor_id, old_id], survivor_id,
                       'realtime id superseded by hub link'
                FROM _superseded""",
            {"now": now},
        )


def _register_minted(con: duckdb.DuckDBPyConnection, entity: str) -> None:
    """Ids minted in real time join the registry, each with its `create` event."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _minted AS
            SELECT {entity}_id AS id, min(linked_at) AS first_at FROM _reconciled
            WHERE {entity}_id NOT IN (SELECT {entity}_id FROM {entity}_registry)
            GROUP BY 1"""
    )
    con.execute(
        f"INSERT INTO {entity}_registry SELECT id, 'active', NULL, first_at, first_at FROM _minted"
    )
    first = scalar(con, "SELECT coalesce(max(event_id), 0) + 1 FROM identity_events")
    con.execute(
        f"""INSERT INTO identity_events
            SELECT {first} - 1 + row_number() OVER (ORDER BY id), first_at, 'create', '{entity}',
                   [id], NULL, 'realtime link'
            FROM _minted"""
    )


def _decisions(con: duckdb.DuckDBPyConnection, ledger: IdentityLedger) -> int:
    found = ledger.decisions()
    if not found:
        return 0
    table = pa.table(
        {
            "pair_id": [d.pair_id for d in found],
            "record_key_l": [d.record_key_l for d in found],
            "record_key_r": [d.record_key_r for d in found],
            "decision": [d.decision for d in found],
            "decided_by": [d.decided_by for d in found],
            "decided_at": pa.array(
                [
                    d.decided_at.astimezone(UTC).replace(tzinfo=None)
                    if d.decided_at.tzinfo
                    else d.decided_at
                    for d in found
                ],
                pa.timestamp("us"),
            ),
            "note": [d.note for d in found],
        }
    )
    con.register("_ledger_decisions", table)
    try:
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _new_decisions AS
               SELECT l.* FROM _ledger_decisions l
               LEFT JOIN review_decisions d USING (pair_id)
               WHERE d.pair_id IS NULL OR d.decided_at < l.decided_at"""
        )
    finally:
        con.unregister("_ledger_decisions")
    count = scalar(con, "SELECT count(*) FROM _new_decisions")
    if count:
        con.execute("INSERT OR REPLACE INTO review_decisions SELECT * FROM _new_decisions")
        con.execute(
            """UPDATE review_queue SET status = 'decided'
               WHERE pair_id IN (SELECT pair_id FROM _new_decisions)"""
        )
    return count
