"""The local Neo4j the launcher runs (scripts/test.sh starts one for the suite)."""

from __future__ import annotations

from neo4j import Driver


def test_transaction_logs_are_bounded(neo4j_driver: Driver) -> None:
    """Neo4j's default keeps two days of transaction logs; a day of repeated
    loads wrote 12 GB. The graph is rebuilt from staging and the journal, so
    the launcher keeps only what recovery needs."""
    records, _, _ = neo4j_driver.execute_query(
        "CALL dbms.listConfig('db.tx_log.rotation.retention_policy') YIELD name, value"
        " RETURN name, value"
    )
    assert [(r["name"], r["value"]) for r in records] == [
        ("db.tx_log.rotation.retention_policy", "512M size")
    ]
