"""Wiring: the journal facts of one `hub load` (graph.pipeline_facts derives
them). Only a load against a graph whose state is known says what changed;
a first load, or one into a new or wiped Neo4j, sends everything and is no
news to anyone, so it appends no facts. A decile change that makes a program's
rule fail for a household enrolled in it also raises an alert
(hub.decile_alerts), judged by the rules valid on the day of the load."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb
from neo4j import Driver

from connectors.reference import eligibility_rules
from graph import FACT_TABLES, derive_facts
from hub.decile_alerts import decile_alerts
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
    # only the tables the facts read: a big reload's match evidence and records stay in DuckDB
    changed = {name: todo.table(name) for name in FACT_TABLES if name in todo.sent_rows}
    facts = derive_facts(driver, database, changed, todo.retired, epoch)
    return [*facts, *decile_alerts(con, facts, eligibility_rules(), date.today())]
