from __future__ import annotations

import pyarrow as pa
import pytest
from city import city
from neo4j import Driver

from graph.errors import GraphInputError
from graph.loader import last_load_at, load


def count(driver: Driver, cypher: str) -> int:
    return int(driver.execute_query(cypher).records[0][0])


def test_full_load_builds_the_graph(empty_graph: Driver) -> None:
    report = load(empty_graph, city(), batch_size=2)
    assert report.tables["persons"].rows == 5
    assert count(empty_graph, "MATCH (p:Person) RETURN count(p)") == 5
    assert count(empty_graph, "MATCH (:Person)-[:MEMBER_OF]->(h:Household) RETURN count(h)") == 5
    assert count(
        empty_graph,
        "MATCH (:Household {household_id:'H1'})-[:LIVES_IN]->(:Kelurahan)-[:IN]->"
        "(k:Kecamatan {code:'327301'}) RETURN count(k)",
    ) == 1
    served = "MATCH (:Organization {id:'YAY-A'})-[:SERVES]->(h) RETURN count(h)"
    assert count(empty_graph, served) == 1
    assert count(empty_graph, "MATCH (:Service)-[:UNDER]->(:Program)-[:ADDRESSES]->(:Problem) "
                              "RETURN count(*)") == 4
    assert count(empty_graph, "MATCH (:SourceRecord)-[m:MATCHED]->() RETURN count(m)") == 1
    assert last_load_at(empty_graph) is not None


def test_reload_of_the_same_data_changes_nothing(empty_graph: Driver) -> None:
    load(empty_graph, city())
    again = load(empty_graph, city())
    assert not again.changed, again.tables


def test_incremental_upsert_writes_only_what_changed(empty_graph: Driver) -> None:
    load(empty_graph, city())
    persons = city()["persons"].to_pylist()
    moved = dict(persons[3], household_id="H2", ppks=["PPKS08"])  # Jajang moves, new problem
    report = load(empty_graph, {"persons": pa.Table.from_pylist([*persons[:3], moved])})
    table = report.tables["persons"]
    assert table.rows == 4
    assert table.relationships_deleted == 2  # old MEMBER_OF and HAS_PROBLEM
    assert table.relationships_created == 2
    assert count(empty_graph, "MATCH (:Person {person_id:'P4'})-[:MEMBER_OF]->(h) "
                              "WHERE h.household_id = 'H2' RETURN count(h)") == 1
    assert count(empty_graph, "MATCH (:Person {person_id:'P4'})-[:HAS_PROBLEM]->(p) "
                              "RETURN count(p)") == 1


def test_rows_as_plain_mappings_and_clear_errors(empty_graph: Driver) -> None:
    load(empty_graph, {"organizations": [{"id": "YAY-C", "name": "Yayasan C"}]})
    assert count(empty_graph, "MATCH (o:Organization {id:'YAY-C'}) RETURN count(o)") == 1
    with pytest.raises(GraphInputError, match="column 'id' is empty"):
        load(empty_graph, {"organizations": [{"name": "no id"}]})
    with pytest.raises(GraphInputError, match="unknown table"):
        load(empty_graph, {"people": []})
