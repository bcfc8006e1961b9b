"""graph.lifecycle on the tiny city: retiring merged and withdrawn ids, and
dropping gone rows. Expectations are read back with plain Cypher."""

from __future__ import annotations

from typing import Any

import pytest
from neo4j import Driver

from graph.driver import GraphTarget
from graph.errors import GraphInputError
from graph.lifecycle import drop, load_token, retire, set_load_token

pytestmark = pytest.mark.graph


def one(driver: Driver, query: str, **params: Any) -> dict[str, Any]:
    records = driver.execute_query(query, params).records
    assert len(records) == 1, records
    return dict(records[0])


def test_a_merged_household_keeps_its_node_and_hands_its_facts_to_the_survivor(
    city_graph: Driver, graph_target: GraphTarget
) -> None:
    # H1 (two members, two services, an assessment, BPNT, served by DINSOS and YAY-A)
    # turns out to be H2 (PKH and BPNT since 2025)
    merged = retire(
        city_graph,
        "household",
        [{"id": "H1", "status": "merged", "survivor_id": "H2"}],
        graph_target.database,
    )
    assert merged == 1
    ghost = one(
        city_graph,
        """MATCH (h:Household {household_id: 'H1'})
        RETURN h.status AS status, h.survivor_id AS survivor,
        [(h)-[:MERGED_INTO]->(s) | s.household_id] AS into,
        COUNT { (h)--() WHERE NOT (h)-[:MERGED_INTO]->() } AS other""",
    )
    assert ghost["status"] == "merged" and ghost["survivor"] == "H2" and ghost["into"] == ["H2"]
    survivor = one(
        city_graph,
        """MATCH (h:Household {household_id: 'H2'}) RETURN
        [(h)<-[:MEMBER_OF]-(p) | p.person_id] AS members,
        [(h)<-[:RECEIVED_BY]-(s) | s.service_id] AS services,
        [(h)<-[:ASSESSES]-(a) | a.assessment_id] AS assessments,
        [(h)<-[:SERVES]-(o) | o.id] AS served_by,
        [(h)-[e:ENROLLED_IN]->(p) | [p.code, toString(e.since)]] AS enrolled,
        COUNT { (h)-[:LIVES_IN]->() } AS homes""",
    )
    assert sorted(survivor["members"]) == ["P1", "P2", "P3"]
    assert sorted(survivor["services"]) == ["S1", "S2", "S3", "S4"]
    assert survivor["assessments"] == ["A1"]
    assert sorted(survivor["served_by"]) == ["DINSOS", "YAY-A"]
    # one BPNT enrolment, from the earlier start of the two
    assert sorted(survivor["enrolled"]) == [["BPNT", "2025-01-01"], ["PKH", "2025-01-01"]]
    assert survivor["homes"] == 1
    # H1's own LIVES_IN stays: a retired node keeps where it was, nothing more
    assert one(
        city_graph,
        "MATCH (:Household {household_id: 'H1'})-[r]-() RETURN collect(DISTINCT type(r)) AS t",
    )["t"] in (["LIVES_IN", "MERGED_INTO"], ["MERGED_INTO", "LIVES_IN"])


def test_a_merged_person_leaves_its_household_and_chains_end_at_the_last_survivor(
    city_graph: Driver, graph_target: GraphTarget
) -> None:
    db = graph_target.database
    retire(city_graph, "person", [{"id": "P2", "status": "merged", "survivor_id": "P1"}], db)
    # later P1 itself turns out to be P3: the caller names the final survivor for both
    retire(
        city_graph,
        "person",
        [
            {"id": "P1", "status": "merged", "survivor_id": "P3"},
            {"id": "P2", "status": "merged", "survivor_id": "P3"},
        ],
        db,
    )
    for pid in ("P1", "P2"):
        row = one(
            city_graph,
            """MATCH (p:Person {person_id: $id}) RETURN p.status AS status,
            [(p)-[:MERGED_INTO]->(s) | s.person_id] AS into, COUNT { (p)-[:MEMBER_OF]->() } AS
            homes, COUNT { (p)<-[:RECEIVED_BY|ABOUT|IDENTIFIES]-() } AS facts""",
            id=pid,
        )
        assert row == {"status": "merged", "into": ["P3"], "homes": 0, "facts": 0}
    survivor = one(
        city_graph,
        """MATCH (p:Person {person_id: 'P3'}) RETURN
        [(p)<-[:IDENTIFIES]-(r) | r.record_key] AS records,
        [(p)<-[:ABOUT]-(a) | a.assessment_id] AS about,
        [(p)<-[:RECEIVED_BY]-(s) | s.service_id] AS services""",
    )
    assert survivor["about"] == ["A1"]
    assert {"S1", "S2"} <= set(survivor["services"])


def test_withdrawn_ids_keep_their_place_and_gone_rows_drop(
    city_graph: Driver, graph_target: GraphTarget
) -> None:
    db = graph_target.database
    assert retire(city_graph, "person", [{"id": "P5", "status": "deceased"}], db) == 0
    row = one(
        city_graph,
        """MATCH (p:Person {person_id: 'P5'}) RETURN p.status AS status,
        [(p)-[:MEMBER_OF]->(h) | h.household_id] AS homes""",
    )
    assert row == {"status": "deceased", "homes": ["H4"]}
    keys = [
        r["k"]
        for r in city_graph.execute_query(
            "MATCH (s:SourceRecord) RETURN s.record_key AS k ORDER BY k LIMIT 1"
        ).records
    ]
    assert drop(city_graph, "source_records", keys, db) >= 1
    assert (
        city_graph.execute_query(
            "MATCH (s:SourceRecord {record_key: $k}) RETURN s", k=keys[0]
        ).records
        == []
    )
    # services recorded through the API (no record_key) are never dropped as gone
    assert drop(city_graph, "services", ["S1"], db) == 0
    assert drop(city_graph, "enrolments", [["H2", "PKH"]], db) == 1
    assert (
        city_graph.execute_query(
            "MATCH (:Household {household_id: 'H2'})-[e:ENROLLED_IN]->"
            "(:Program {code: 'PKH'}) RETURN e"
        ).records
        == []
    )


def test_bad_retire_and_drop_input_is_refused(
    city_graph: Driver, graph_target: GraphTarget
) -> None:
    db = graph_target.database
    for bad in (
        {"id": "H1", "status": "merged"},  # no survivor
        {"id": "H1", "status": "withdrawn", "survivor_id": "H2"},
        {"id": "H1", "status": "merged", "survivor_id": "H1"},
        {"id": "", "status": "withdrawn"},
        {"id": "H1", "status": "gone"},
    ):
        with pytest.raises(GraphInputError):
            retire(city_graph, "household", [bad], db)
    with pytest.raises(GraphInputError):
        drop(city_graph, "persons", ["P1"], db)
    assert one(city_graph, "MATCH (h:Household {household_id: 'H1'}) RETURN h.status AS s") == {
        "s": "active"
    }


def test_the_load_token_names_the_graph(empty_graph: Driver, graph_target: GraphTarget) -> None:
    db = graph_target.database
    assert load_token(empty_graph, db) is None
    set_load_token(empty_graph, "abc", db)
    assert load_token(empty_graph, db) == "abc"
