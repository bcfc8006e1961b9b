"""What the graph holds, for `hub status`: node counts per label, the last load,
and the servers that answer (the routing table: a cluster's leader, readers and
routers; one server answers all three)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from neo4j import Driver, GraphDatabase, RoutingControl
from neo4j.exceptions import Neo4jError

from graph.driver import GraphTarget, options
from graph.generation import Generation, generations
from graph.loader import last_load_at


@dataclass
class GraphStats:
    uri: str
    healthy: bool
    error: str | None = None
    last_load_at: datetime | None = None
    nodes: dict[str, int] = field(default_factory=dict)
    #: the published load generation, and a later one still loading (or stopped)
    generation: Generation | None = None
    loading: Generation | None = None
    #: role (WRITE, READ, ROUTE) -> the servers' addresses, as the cluster routes
    routing: dict[str, list[str]] = field(default_factory=dict)


def graph_stats(conn: GraphTarget, timeout: float = 5.0) -> GraphStats:
    """Probe the server with a short timeout; never raises for an unreachable graph."""
    driver = GraphDatabase.driver(
        conn.uri,
        connection_timeout=timeout,
        connection_acquisition_timeout=timeout,
        max_transaction_retry_time=0,
        **options(conn),
    )
    try:
        driver.verify_connectivity()
        records = driver.execute_query(
            "CALL db.labels() YIELD label "
            "CALL (label) { MATCH (n) WHERE label IN labels(n) RETURN count(n) AS n } "
            "RETURN label, n ORDER BY label",
            database_=conn.database,
            routing_=RoutingControl.READ,
        ).records
        nodes = {str(r["label"]): int(r["n"]) for r in records}
        current, loading = generations(driver, conn.database)
        return GraphStats(
            conn.uri,
            True,
            None,
            last_load_at(driver, conn.database),
            nodes,
            current,
            loading,
            _routing(driver, conn.database),
        )
    except Exception as exc:  # the status report says what failed
        return GraphStats(conn.uri, False, f"{type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        driver.close()


def _routing(driver: Driver, database: str) -> dict[str, list[str]]:
    """The routing table; empty when the server will not tell this user (the
    graph is no less healthy for it)."""
    try:
        records = driver.execute_query(
            "CALL dbms.routing.getRoutingTable({}, $db) YIELD servers "
            "UNWIND servers AS s RETURN s.role AS role, s.addresses AS addresses",
            db=database,
            database_=database,
            routing_=RoutingControl.READ,
        ).records
    except Neo4jError:
        return {}
    return {str(r["role"]): sorted(str(a) for a in r["addresses"]) for r in records}


__all__ = ["GraphStats", "graph_stats"]
