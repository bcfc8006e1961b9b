"""graph.pipeline_facts: what a load changes about identities, as journal facts,
derived against a real graph before the load writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from neo4j import Driver

from graph.driver import GraphTarget
from graph.pipeline_facts import derive
from journal import Journal, kinds

BEFORE = """
CREATE (h1:Household {household_id: 'H1', welfare_decile: 3}),
       (h2:Household {household_id: 'H2', welfare_decile: 5}),
       (:Person {person_id: 'P1'})-[:MEMBER_OF]->(h1),
       (:Person {person_id: 'P2'})-[:MEMBER_OF]->(h1),
       (:Person {person_id: 'P5', status: 'active'})-[:MEMBER_OF]->(h1),
       (:Person {person_id: 'P3'})-[:MEMBER_OF]->(h2),
       (:Person {person_id: 'P4'})-[:MEMBER_OF]->(h2),
       (:Service {service_id: 'S-1'})-[:RECEIVED_BY]->(h1)
"""

TABLES = {
    "households": [
        {"household_id": "H1", "welfare_decile": 2},
        {"household_id": "H9", "welfare_decile": 1},
    ],
    "persons": [
        {"person_id": "P2", "household_id": "H9", "full_name": "Siti Aminah"},
        {"person_id": "P5", "household_id": "H1", "status": "moved"},
    ],
    "services": [
        {"service_id": "S-1", "household_id": "H1", "person_id": "P1", "program": "PKH"},
        {
            "service_id": "S-2",
            "household_id": "H1",
            "person_id": "P1",
            "program": "BPNT",
            "service_date": date(2026, 11, 3),
            "organization": "ORG-DINSOS",
            "source": "dinsos",
        },
    ],
}
RETIRED = {
    "person": [
        {"id": "P3", "status": "merged", "survivor_id": "P1"},
        {"id": "P4", "status": "deceased", "survivor_id": None},
    ],
    "household": [{"id": "H2", "status": "merged", "survivor_id": "H1"}],
}


def test_a_load_tells_merges_splits_retirements_deciles_and_new_services(
    empty_graph: Driver, graph_target: GraphTarget, tmp_path: Path
) -> None:
    empty_graph.execute_query(BEFORE, database_=graph_target.database)
    facts = derive(empty_graph, graph_target.database, TABLES, RETIRED, epoch="e1")
    by_kind = {f.kind: f for f in facts}
    assert sorted(by_kind) == sorted(
        [
            kinds.HOUSEHOLD_MERGED,
            kinds.PERSON_MERGED,
            kinds.PERSON_RETIRED,
            kinds.HOUSEHOLD_SPLIT,
            kinds.DECILE_CHANGED,
            kinds.SERVICE_LOADED,
            kinds.HOUSEHOLD_REGISTERED,
            kinds.HOUSEHOLD_MEMBERS_CHANGED,
        ]
    )
    # S-1 was in the graph: not news; P4 retired and P5 moved away: two retirements
    assert len(facts) == len(by_kind) + 1
    merged = by_kind[kinds.HOUSEHOLD_MERGED]
    assert (merged.household_ids, dict(merged.payload)) == (
        ("H2", "H1"),
        {"household_id": "H2", "survivor_id": "H1"},
    )
    person = by_kind[kinds.PERSON_MERGED]
    assert set(person.household_ids) == {"H2", "H1"} and person.person_ids == ("P3", "P1")
    retired = {
        f.subject: (f.payload["status"], f.household_ids)
        for f in facts
        if f.kind == kinds.PERSON_RETIRED
    }
    assert retired == {"P4": ("deceased", ("H2",)), "P5": ("moved", ("H1",))}
    split = by_kind[kinds.HOUSEHOLD_SPLIT]
    assert (split.household_ids, split.payload["into"], split.person_ids) == (
        ("H1", "H9"),
        ["H9"],
        ("P2",),
    )
    decile = by_kind[kinds.DECILE_CHANGED]
    assert (decile.household_ids, decile.payload["from"], decile.payload["to"]) == (("H1",), 3, 2)
    loaded = by_kind[kinds.SERVICE_LOADED]
    assert (loaded.subject, loaded.household_ids, loaded.payload["program"]) == (
        "S-2",
        ("H1",),
        "BPNT",
    )
    # H9 is new (the split's): registered with the member the load gives it
    registered = by_kind[kinds.HOUSEHOLD_REGISTERED]
    assert (registered.household_ids, registered.person_ids, registered.payload["members"]) == (
        ("H9",),
        ("P2",),
        1,
    )
    assert registered.payload["welfare_decile"] == 1
    # H1 stays: P2 moved out and P5 moved away; H2 is merged away (its own fact),
    # and P3's merge into P1 is no member leaving
    members = by_kind[kinds.HOUSEHOLD_MEMBERS_CHANGED]
    assert (members.household_ids, members.payload["joined"], members.payload["left"]) == (
        ("H1",),
        [],
        ["P2", "P5"],
    )
    # ids, codes, dates and deciles only: no name reaches a payload
    assert "Siti" not in repr([f.payload for f in facts])

    journal = Journal.at_home(tmp_path)
    first = journal.append(facts)
    again = journal.append(derive(empty_graph, graph_target.database, TABLES, RETIRED, epoch="e1"))
    assert again == first and journal.head() == len(facts)  # a re-run load adds nothing
    later = journal.append(derive(empty_graph, graph_target.database, TABLES, RETIRED, epoch="e2"))
    assert min(later) > max(first)  # the same change in a later load is news again


def test_a_new_family_card_and_a_newborn_are_registry_events(
    empty_graph: Driver, graph_target: GraphTarget
) -> None:
    """A household new to the graph is `household.registered`; a person new to
    a household it held is `household.members_changed`; a row sent again with
    the same household is neither."""
    empty_graph.execute_query(
        "CREATE (h:Household {household_id: 'H1', welfare_decile: 3}),"
        " (:Person {person_id: 'P1', status: 'active'})-[:MEMBER_OF]->(h)",
        database_=graph_target.database,
    )
    tables = {
        "households": [
            {"household_id": "H8", "kelurahan_code": "3273010001", "welfare_decile": 2},
            {"household_id": "H1", "welfare_decile": 3},
        ],
        "persons": [
            {"person_id": "P1", "household_id": "H1", "full_name": "Asep", "status": "active"},
            {"person_id": "P7", "household_id": "H1", "status": "active"},
            {"person_id": "P8", "household_id": "H8"},
            {"person_id": "P9", "household_id": "H8"},
        ],
    }
    facts = derive(empty_graph, graph_target.database, tables, {}, epoch="e1")
    assert [(f.kind, f.household_ids, dict(f.payload)) for f in facts] == [
        (
            kinds.HOUSEHOLD_REGISTERED,
            ("H8",),
            {
                "household_id": "H8",
                "kelurahan_code": "3273010001",
                "kecamatan_code": None,
                "welfare_decile": 2,
                "members": 2,
            },
        ),
        (
            kinds.HOUSEHOLD_MEMBERS_CHANGED,
            ("H1",),
            {"household_id": "H1", "joined": ["P7"], "left": []},
        ),
    ]
