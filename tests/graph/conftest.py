"""A real Neo4j for graph tests: NEO4J_TEST_URI / NEO4J_TEST_USER / NEO4J_TEST_PASSWORD.

An unreachable server fails the tests (it never skips them): the graph is the
product, and a silently skipped suite proves nothing.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from neo4j import Driver

from graph.constraints import ensure
from graph.driver import GraphTarget, open_async_driver, open_driver
from graph.repository import GraphRepository


def connection() -> GraphTarget:
    return GraphTarget(
        uri=os.environ.get("NEO4J_TEST_URI", "bolt://127.0.0.1:7687"),
        user=os.environ.get("NEO4J_TEST_USER", "neo4j"),
        password=os.environ.get("NEO4J_TEST_PASSWORD", ""),
        database=os.environ.get("NEO4J_TEST_DATABASE", "neo4j"),
    )


@pytest.fixture(scope="session")
def graph_target() -> GraphTarget:
    return connection()


@pytest.fixture(scope="session")
def neo4j_driver(graph_target: GraphTarget) -> Iterator[Driver]:
    try:
        driver = open_driver(graph_target)
    except Exception as exc:
        pytest.fail(f"the test Neo4j is unreachable: {exc}", pytrace=False)
    ensure(driver, graph_target.database)
    yield driver
    driver.close()


@pytest.fixture
def empty_graph(neo4j_driver: Driver, graph_target: GraphTarget) -> Driver:
    neo4j_driver.execute_query(
        "MATCH (n) DETACH DELETE n",
        database_=graph_target.database,
    )
    return neo4j_driver


@pytest.fixture
def city_graph(empty_graph: Driver, graph_target: GraphTarget) -> Driver:
    from city import city

    from graph.loader import load

    load(empty_graph, city(), graph_target.database)
    return empty_graph


@pytest.fixture
async def repository(
    city_graph: Driver, graph_target: GraphTarget
) -> AsyncIterator[GraphRepository]:
    driver = await open_async_driver(graph_target)
    yield GraphRepository(driver, graph_target.database, graph_target.uri)
    await driver.close()
