"""Wiring: the journal facts of one `hub load` (graph.pipeline_facts derives
them). Only a load against a graph whose state is known says what changed;
a first load, or one into a new or wiped Neo4j, sends everything and is no
news to anyone, so it appends no facts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
from neo4j import Driver

from graph import derive_facts
from journal import NewFact

if TYPE_CHECKING:
    from hub.graph_sync import Plan


def load_facts(
    con: duckdb.DuckDBPyConnection, driver: Driver, database: str, todo: Plan
) -> list[NewFact]:
    if not todo.known:
        return []
    marks = con.execute("SELECT max(loaded_at) FROM graph_load_mark").fetchall()
    epoch = str(marks[0][0]) if marks and marks[0][0] is not None else "first"
    return derive_facts(driver, database, todo.tables, todo.retired, epoch)
