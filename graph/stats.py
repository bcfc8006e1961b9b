"""What the graph holds, for `hub status`: node counts per label and the last load."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from neo4j import GraphDatabase, RoutingControl

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
            conn.uri, True, None, last_load_at(driver, conn.database), nodes, current, loading
        )
    except Exception as exc:  # the status report says what failed
        return GraphStats(conn.uri, False, f"{type(exc).__name__}: {exc}".splitlines()[0])
    finally:
        driver.close()


__all__ = ["GraphStats", "graph_stats"]
