from __future__ import annotations

from neo4j import Driver

from graph.constraints import NAME_INDEX, UNIQUE_KEYS, ensure


def test_ensure_is_idempotent_and_covers_every_merge_key(neo4j_driver: Driver) -> None:
    ensure(neo4j_driver)
    before = neo4j_driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")
    ensure(neo4j_driver)
    after = neo4j_driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN count(*) AS n")
    assert before.records[0]["n"] == after.records[0]["n"]
    rows = neo4j_driver.execute_query(
        "SHOW CONSTRAINTS YIELD labelsOrTypes, properties RETURN labelsOrTypes[0] AS label, "
        "properties[0] AS prop"
    ).records
    assert {(r["label"], r["prop"]) for r in rows} >= set(UNIQUE_KEYS)
    names = neo4j_driver.execute_query(
        "SHOW INDEXES YIELD name, type, state RETURN name, type, state"
    ).records
    fulltext = [r for r in names if r["name"] == NAME_INDEX]
    assert fulltext and fulltext[0]["type"] == "FULLTEXT" and fulltext[0]["state"] == "ONLINE"
