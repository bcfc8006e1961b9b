"""`hub load` is safe to retry (issue 17, Neo4j clusters): every transaction of a
load may run twice, as when a commit's answer is lost and the transaction is run
again, and the graph ends as one run leaves it; a generation begun twice under
one token is one generation. Against the real test Neo4j."""

from __future__ import annotations

from typing import Any

import pytest
from city import city
from neo4j import Driver
from retries import Twice, snapshot

from graph.driver import GraphTarget
from graph.generation import begin, generations
from graph.lifecycle import drop_step, retire_step
from graph.loader import load

pytestmark = pytest.mark.graph


def first_then_second_load(driver: Any, target: GraphTarget) -> list[tuple[list[str], list[str]]]:
    """A first load of the tiny city (the create path), then a second one that
    changes a household, merges H1 into H2 and P2 into P1, and drops an
    enrolment (the upsert path and the lifecycle steps): the graph after each."""
    db = target.database
    real = driver.driver if isinstance(driver, Twice) else driver
    real.execute_query("MATCH (n) DETACH DELETE n", database_=db)
    tables = city()
    load(driver, tables, db)
    after = [snapshot(real)]
    households = tables["households"]
    changed = households.filter([h == "H3" for h in households.column("household_id").to_pylist()])
    changed = changed.set_column(
        changed.column_names.index("welfare_decile"),
        "welfare_decile",
        [[4] * changed.num_rows],
    )
    steps = [
        retire_step(driver, "person", [{"id": "P2", "status": "merged", "survivor_id": "P1"}], db),
        retire_step(
            driver, "household", [{"id": "H1", "status": "merged", "survivor_id": "H2"}], db
        ),
        drop_step(driver, "enrolments", [["H2", "PKH"]], db),
    ]
    load(driver, {"households": changed}, db, steps=steps)
    after.append(snapshot(real))
    return after


def test_every_load_transaction_run_twice_leaves_the_graph_as_one_run_does(
    neo4j_driver: Driver, graph_target: GraphTarget
) -> None:
    once = first_then_second_load(neo4j_driver, graph_target)
    twice = first_then_second_load(Twice(neo4j_driver), graph_target)
    # the second load did change the graph, so the comparison compares something
    assert once[0] != once[1]
    assert twice[0] == once[0]
    assert twice[1] == once[1]


def test_a_generation_begun_twice_under_one_token_is_one_generation(
    empty_graph: Driver, graph_target: GraphTarget
) -> None:
    db = graph_target.database
    first = begin(empty_graph, "load-a", db)
    assert begin(empty_graph, "load-a", db) == first  # its commit's answer was lost
    assert begin(Twice(empty_graph), "load-b", db) == first + 1  # type: ignore[arg-type]
    current, loading = generations(empty_graph, db)
    assert current is None and loading is not None and loading.number == first + 1
    assert (
        empty_graph.execute_query(
            "MATCH (g:LoadGeneration) RETURN count(g) AS n", database_=db
        ).records[0]["n"]
        == 2
    )
