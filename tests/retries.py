"""Retrying a load in tests: a driver that runs every transaction twice, and a
graph's contents to compare."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from neo4j import Driver, ManagedTransaction


class Twice:
    """The test Neo4j's driver, running every write transaction and statement
    twice in a row: the first commits, its answer is "lost", and the same
    transaction function runs again, as the driver's retry runs it."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.execute_query_bookmark_manager = driver.execute_query_bookmark_manager

    def execute_query(self, *args: Any, **kwargs: Any) -> Any:
        self.driver.execute_query(*args, **kwargs)
        return self.driver.execute_query(*args, **kwargs)

    @contextmanager
    def session(self, **kwargs: Any) -> Iterator[TwiceSession]:
        with self.driver.session(**kwargs) as session:
            yield TwiceSession(session)


class TwiceSession:
    def __init__(self, session: Any) -> None:
        self.session = session

    def execute_write(self, work: Callable[[ManagedTransaction], Any]) -> Any:
        self.session.execute_write(work)
        return self.session.execute_write(work)


def snapshot(driver: Driver, without: Collection[str] = ()) -> tuple[list[str], list[str]]:
    """Every node (labels, properties) and relationship (its ends' properties,
    type, properties), as sorted JSON: two graphs compare equal when they hold
    the same things, whatever their element ids. The last load's time is left
    out (two loads never finish at the same instant), and nodes with a label of
    `without`."""

    def text(value: Any) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    nodes = driver.execute_query(
        "MATCH (n) WHERE none(l IN labels(n) WHERE l IN $without) RETURN labels(n) AS l, "
        "n {.*, at: CASE WHEN n:LoadMark THEN null ELSE n.at END} AS p",
        without=list(without),
    ).records
    rels = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN properties(a) AS a, type(r) AS t, properties(r) AS p, "
        "properties(b) AS b"
    ).records
    return (
        sorted(text([sorted(r["l"]), r["p"]]) for r in nodes),
        sorted(text([r["a"], r["t"], r["p"], r["b"]]) for r in rels),
    )
