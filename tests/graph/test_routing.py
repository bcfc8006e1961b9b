"""Neo4j clusters (issue 17): reads go to readers, writes to the leader, and a
read after a write of the same server sees it.

No cluster here: the behaviour tests talk to the one test Neo4j through a
`neo4j://` routing URI (Community answers the driver's routing requests as a
cluster of one). What routing and which bookmarks the code asks the driver for
is asserted on a recording stand-in, which is all it records."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from neo4j import Driver, RoutingControl

from domain.rows import SourceRecord
from domain.shapes import Scope
from graph.driver import GraphTarget, open_async_driver, open_driver
from graph.generation import generations
from graph.loader import write_transaction
from graph.repository import GraphRepository
from graph.stats import graph_stats
from graph.subject import subject_graph

pytestmark = [pytest.mark.anyio, pytest.mark.graph]

ALL: Scope = {"organization": None, "special_category": True, "opened": []}


@dataclass
class Recording:
    """Records the keyword arguments of each execute_query and session call."""

    queries: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    execute_query_bookmark_manager: object = field(default_factory=object)

    @dataclass
    class Result:
        records: list[Any] = field(default_factory=list)

        def __iter__(self) -> Any:
            return iter((self.records, None, None))

    def execute_query(self, *_: Any, **kwargs: Any) -> Recording.Result:
        self.queries.append(kwargs)
        return Recording.Result()

    def session(self, **kwargs: Any) -> Any:
        self.sessions.append(kwargs)
        raise LookupError("recorded")


class AsyncRecording(Recording):
    async def execute_query(self, *_: Any, **kwargs: Any) -> Recording.Result:  # type: ignore[override]
        self.queries.append(kwargs)
        return Recording.Result()


def routed(target: GraphTarget) -> GraphTarget:
    return replace(target, uri="neo4j://" + target.uri.split("://", 1)[1])


async def test_api_reads_ask_for_readers_and_writes_for_the_leader() -> None:
    driver = AsyncRecording()
    repository = GraphRepository(driver, "neo4j")  # type: ignore[arg-type]
    await repository.households(["H1"], ALL)
    await repository.write([SourceRecord(record_key="r:1", source="r", person_id="P1")])
    read, write = driver.queries
    assert read["routing_"] == RoutingControl.READ
    assert write["routing_"] == RoutingControl.WRITE
    # neither names a bookmark manager: both take execute_query's one, the driver's
    assert "bookmark_manager_" not in read and "bookmark_manager_" not in write


def test_batch_reads_ask_for_readers_and_load_writes_share_the_bookmarks() -> None:
    driver = Recording()
    subject_graph(driver, "neo4j", "P1")  # type: ignore[arg-type]
    generations(driver, "neo4j")  # type: ignore[arg-type]
    assert [q["routing_"] for q in driver.queries] == [RoutingControl.READ] * 2
    with pytest.raises(LookupError):
        write_transaction(driver, "neo4j", lambda tx: None)  # type: ignore[arg-type]
    assert driver.sessions[0]["bookmark_manager"] is driver.execute_query_bookmark_manager


async def test_through_a_routing_uri_a_read_after_a_write_sees_it(
    city_graph: Driver, graph_target: GraphTarget
) -> None:
    target = routed(graph_target)
    driver = await open_async_driver(target)
    try:
        repository = GraphRepository(driver, target.database, target.uri)
        record = SourceRecord(
            record_key="routing:1",
            source="routing",
            organization="YAY-B",
            source_record_id="1",
            person_id="P3",
            full_name="Asep S.",
            via_api=True,
        )

        async def keys() -> list[str]:
            [records] = await repository.source_records(["P3"], ALL)
            return [r["record_key"] for r in records]

        assert "routing:1" not in await keys()
        await repository.write([record])
        assert "routing:1" in await keys()
        [household] = await repository.households(["H2"], ALL)
        assert household is not None and household["household_id"] == "H2"
    finally:
        await driver.close()


def test_status_and_subject_reads_work_through_a_routing_uri(
    city_graph: Driver, graph_target: GraphTarget
) -> None:
    target = routed(graph_target)
    stats = graph_stats(target)
    assert stats.healthy, stats.error
    assert stats.nodes["Household"] == 4
    # the routing table `hub status` shows: a cluster of one plays every role
    server = target.uri.split("://", 1)[1]
    assert stats.routing == {"READ": [server], "ROUTE": [server], "WRITE": [server]}
    with open_driver(target) as driver:
        found = subject_graph(driver, target.database, "P1")
    assert found is not None and found["household"]["household_id"] == "H1"
