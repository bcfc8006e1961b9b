"""Reconcile brings the servers' real-time ids into staging; an id a server
handed out for a record that a link had already given other ids is retired
into those ids, never left behind as a second identity."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from linkage.ledger import Assignment, IdentityLedger
from linkage.reconcile import reconcile
from linkage.registry import ensure_registry_tables
from store import Store


def _staging() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ensure_registry_tables(con)
    con.execute("CREATE TABLE current_records (record_key VARCHAR)")
    con.execute("""CREATE TABLE identity_map (record_key VARCHAR, source VARCHAR,
        source_record_id VARCHAR, person_id VARCHAR, household_id VARCHAR,
        match_probability DOUBLE, model_version VARCHAR, linked_at TIMESTAMP)""")
    return con


def _assign(ledger: IdentityLedger, key: str, person: str, household: str) -> None:
    with ledger.exclusive() as session:
        session.record(
            Assignment(
                key,
                "api-yay-a",
                key.split(":")[1],
                person,
                household,
                None,
                "m1",
                minted=("person", "household"),
                linked_at=datetime(2026, 12, 2, tzinfo=UTC),
            )
        )


def test_a_realtime_id_the_link_superseded_is_merged_into_the_links(store_backend: Store) -> None:
    con = _staging()
    ledger = IdentityLedger(store_backend.database("identities"))
    # the batch link got there first: api-yay-a:1 is P-000000007 in H-000000003
    con.execute("INSERT INTO current_records VALUES ('api-yay-a:1'), ('api-yay-a:2')")
    con.execute(
        "INSERT INTO identity_map VALUES ('api-yay-a:1', 'api-yay-a', '1', "
        "'P-000000007', 'H-000000003', 0.99, 'm1', now())"
    )
    _assign(ledger, "api-yay-a:1", "P-000000050", "H-000000040")  # the server's, too late
    _assign(ledger, "api-yay-a:2", "P-000000051", "H-000000041")  # a plain new one
    done = reconcile(con, ledger)
    assert done.assignments == 1
    registry = dict(
        con.execute(
            "SELECT person_id, coalesce(survivor_id, status) FROM person_registry"
        ).fetchall()
    )
    assert registry == {"P-000000050": "P-000000007", "P-000000051": "active"}
    households = dict(
        con.execute(
            "SELECT household_id, coalesce(survivor_id, status) FROM household_registry"
        ).fetchall()
    )
    assert households == {"H-000000040": "H-000000003", "H-000000041": "active"}
    merges = con.execute(
        "SELECT entity, ids FROM identity_events WHERE kind = 'merge' ORDER BY entity"
    ).fetchall()
    assert merges == [
        ("household", ["H-000000003", "H-000000040"]),
        ("person", ["P-000000007", "P-000000050"]),
    ]
    # safe to repeat
    reconcile(con, ledger)
    assert con.execute("SELECT count(*) FROM identity_events").fetchone() == (len(merges) + 2,)
