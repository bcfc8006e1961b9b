"""Targeting findings recover the errors the generator planted: exclusion and
inclusion errors, one program from three foundations and a forbidden pair, on
a ground-truth city of 1,500 households (`simulator.planted_aid`) in a real
Neo4j, read through GraphQL, with precision and recall of at least 0.99."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
import strawberry
from gqlkit import ADMIN, MemoryAudit
from neo4j import Driver

from connectors.reference import eligibility_rules
from graph import ensure_constraints, load
from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from schema.context import Context, Services
from simulator.graph_city import truth_city
from simulator.planted_aid import Planted, planting

pytestmark = [pytest.mark.anyio, pytest.mark.graph, pytest.mark.slow]

MONTH = date(2026, 8, 1)
HOUSEHOLDS = 1500
FINDINGS = """query($after: String) {
  targetingFindings(from: "2026-08-01", to: "2026-08-31", first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { household { id } kind programs rule services { id } } } } }"""


@pytest.fixture(scope="module")
def planted(neo4j_driver: Driver, graph_target: GraphTarget) -> Planted:
    truth = Planted()
    tables = truth_city(HOUSEHOLDS, planting(eligibility_rules(), MONTH, truth), seed=16)
    neo4j_driver.execute_query("MATCH (n) DETACH DELETE n", database_=graph_target.database)
    ensure_constraints(neo4j_driver, graph_target.database)
    load(neo4j_driver, tables, graph_target.database)
    return truth


@pytest.fixture
async def services(planted: Planted, graph_target: GraphTarget) -> AsyncIterator[Services]:
    driver = await open_async_driver(graph_target)
    yield Services(
        repository=GraphRepository(driver, graph_target.database),
        audit=MemoryAudit(),
        rules=eligibility_rules(),
    )
    await driver.close()


async def findings(schema: strawberry.Schema, services: Services) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        context = Context.for_request(services, ADMIN, purpose="planted truth")
        result = await schema.execute(
            FINDINGS, variable_values={"after": after}, context_value=context
        )
        assert result.errors is None, result.errors
        page = result.data["targetingFindings"]  # type: ignore[index]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def key(f: dict[str, Any]) -> tuple[str, str, str]:
    if f["kind"] == "DUPLICATION":
        return (f["household"]["id"], f["kind"], f"{f['rule']}:{'+'.join(f['programs'])}")
    return (f["household"]["id"], f["kind"], f["programs"][0])


async def test_findings_recover_the_planted_truth(
    gql_schema: strawberry.Schema, services: Services, planted: Planted
) -> None:
    got = {key(f) for f in await findings(gql_schema, services)}
    truth = planted.truth
    kinds = {t[1] for t in truth} | {t[2].split(":")[0] for t in truth if t[1] == "DUPLICATION"}
    assert {"EXCLUSION", "INCLUSION", "same_program", "not_allowed"} <= kinds  # all planted
    hits = len(got & truth)
    precision, recall = hits / len(got), hits / len(truth)
    assert precision >= 0.99 and recall >= 0.99, (
        f"precision {precision:.3f}, recall {recall:.3f}; missed {sorted(truth - got)[:5]}, "
        f"extra {sorted(got - truth)[:5]}"
    )


async def test_three_foundations_show_their_three_services(
    gql_schema: strawberry.Schema, services: Services, planted: Planted
) -> None:
    triples = [
        f
        for f in await findings(gql_schema, services)
        if f["kind"] == "DUPLICATION" and f["rule"] == "same_program"
    ]
    assert triples and all(len(f["services"]) == 3 for f in triples)
