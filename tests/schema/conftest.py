"""API tests run against a real Neo4j holding the tiny city of tests/graph/city.py."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import strawberry
from generated_city import (
    FOUNDATIONS,
    HOUSEHOLDS,
    SEED,
    GeneratedCity,
    build_city,
    load_city_graph,
)
from gqlkit import Api, CityAnalytics, CountingDriver, FakeIntake, FakeReview, MemoryAudit
from neo4j import Driver

from connectors.reference import worker_areas
from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.cycles import SqliteCycles
from hub.notify import Outbox, OutboxSender
from hub.security.db import SecurityDB
from hub.security.grants import SqliteGrants
from hub.security.submissions import SubmissionLimits, SubmissionWatch
from hub.status_check import FailedChecks
from journal import Journal
from schema import build_schema
from schema.context import Services
from schema.pubsub import PubSub
from schema.tailer import JournalTailer

_GRAPH_TESTS = Path(__file__).resolve().parents[1] / "graph"
if str(_GRAPH_TESTS) not in sys.path:
    sys.path.insert(0, str(_GRAPH_TESTS))


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tiny_city = _load("satupintu_graph_city", _GRAPH_TESTS / "city.py").city
_graph_conftest = _load("satupintu_graph_conftest", _GRAPH_TESTS / "conftest.py")
graph_target = _graph_conftest.graph_target
neo4j_driver = _graph_conftest.neo4j_driver
empty_graph = _graph_conftest.empty_graph
city_graph = _graph_conftest.city_graph


@pytest.fixture(scope="session")
def generated_city(
    tmp_path_factory: pytest.TempPathFactory, neo4j_driver: Driver, graph_target: GraphTarget
) -> GeneratedCity:
    """A generated city, staged and linked once for the session; a module serving it
    loads it into the graph first (`generated_city.load_city_graph`)."""
    root = tmp_path_factory.mktemp("generated-city")
    return build_city(
        root, graph_target, neo4j_driver, households=HOUSEHOLDS, seed=SEED, foundations=FOUNDATIONS
    )


@pytest.fixture(scope="module")
def city(generated_city: GeneratedCity) -> GeneratedCity:
    """The shared city, loaded into an emptied graph for the module that asks (as the
    other graph fixtures do, so such a module may run between them)."""
    return load_city_graph(generated_city)


@pytest.fixture(scope="module")
def staging(city: GeneratedCity) -> Iterator[duckdb.DuckDBPyConnection]:
    """The shared city's staging DuckDB."""
    con = city.staging()
    yield con
    con.close()


@pytest.fixture(scope="session")
def gql_schema() -> strawberry.Schema:
    return build_schema()


@pytest.fixture
def security_db(tmp_path: Path) -> Iterator[SecurityDB]:
    """A fresh security database (consent receipts, link confirmations, alerts)."""
    db = SecurityDB(tmp_path / "security.sqlite")
    yield db
    db.close()


@pytest.fixture
async def api(
    city_graph: Any,
    graph_target: GraphTarget,
    gql_schema: strawberry.Schema,
    security_db: SecurityDB,
    tmp_path: Path,
) -> AsyncIterator[Api]:
    driver = await open_async_driver(graph_target)
    counter = CountingDriver(driver)
    repository = GraphRepository(
        counter,
        graph_target.database,  # type: ignore[arg-type]
        graph_target.uri,
    )
    intake = FakeIntake({"3273010202700004": ("P4", "H3")})
    review = FakeReview()
    audit = MemoryAudit()
    journal = Journal.at_home(tmp_path)
    services = Services(
        repository=repository,
        pubsub=PubSub(),
        intake=intake,
        review=review,
        audit=audit,
        grants=SqliteGrants(security_db),
        submissions=SubmissionWatch(security_db, SubmissionLimits()),
        journal=journal,
        analytics=CityAnalytics(tiny_city(), journal),
        cycles=SqliteCycles(tmp_path / "cycles.sqlite"),
        worker_areas=worker_areas(),
        notifier=OutboxSender(Outbox(tmp_path / "notify.sqlite")),
        status_checks=FailedChecks(security_db),
    )
    # the process's journal tailer, as the hub's lifespan runs it
    tailer = JournalTailer(journal, services.pubsub, interval_s=0.02)
    await tailer.poll()
    tailing = asyncio.create_task(tailer.run())
    yield Api(gql_schema, services, counter, intake, review, audit, tailer)
    tailing.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await tailing
    await driver.close()
