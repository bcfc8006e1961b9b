"""Load generations: which load the graph holds, written last.

Every `hub load` is one generation, a `(:LoadGeneration {number})` node:
`begin` creates it ('loading', when it started) before the load writes
anything, `publish` marks it 'published' (when, what it wrote) after the
last household's transaction committed. The published generation with the
highest number is the graph's current one; a 'loading' one above it is a
load under way, or one that stopped.

`begin` is keyed by the caller's token: the same token names the same
generation, so a `begin` run again (its commit's answer lost, or the whole
load re-run after it stopped: hub.graph_sync keeps the token until the load
is recorded) makes no second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from neo4j import Driver, RoutingControl


@dataclass(frozen=True)
class Generation:
    number: int
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int]


_COUNTS = ("rows_sent", "rows_built", "retired", "merged", "dropped", "written")


def begin(driver: Driver, token: str, database: str = "neo4j") -> int:
    """Start the generation of the load `token` names (the next number), or
    find it when it was started already; returns its number."""
    records = driver.execute_query(
        "OPTIONAL MATCH (g:LoadGeneration) WITH coalesce(max(g.number), 0) + 1 AS n "
        "MERGE (g:LoadGeneration {token: $token}) "
        "ON CREATE SET g.number = n, g.status = 'loading', g.started_at = datetime() "
        "RETURN g.number AS n",
        token=token,
        database_=database,
    ).records
    return int(records[0]["n"])


def publish(
    driver: Driver, number: int, counts: Mapping[str, int], database: str = "neo4j"
) -> None:
    """Mark generation `number` published, with what it wrote."""
    driver.execute_query(
        "MATCH (g:LoadGeneration {number: $n}) SET g.status = 'published', "
        "g.finished_at = datetime(), g += $counts",
        n=number,
        counts={k: int(v) for k, v in counts.items() if k in _COUNTS},
        database_=database,
    )


def generations(
    driver: Driver, database: str = "neo4j"
) -> tuple[Generation | None, Generation | None]:
    """The current (last published) generation, and a later unfinished one."""
    records = driver.execute_query(
        "MATCH (g:LoadGeneration) WITH g ORDER BY g.number DESC LIMIT 50 RETURN properties(g) AS g",
        database_=database,
        routing_=RoutingControl.READ,
    ).records
    current = pending = None
    for r in records:
        g = _generation(r["g"])
        if g.status == "published":
            current = g
            break
        if pending is None:
            pending = g
    return current, pending


def _generation(props: dict[str, Any]) -> Generation:
    def native(v: Any) -> datetime | None:
        out = v.to_native() if hasattr(v, "to_native") else v
        return out if isinstance(out, datetime) else None

    return Generation(
        int(props["number"]),
        str(props.get("status")),
        native(props.get("started_at")),
        native(props.get("finished_at")),
        {k: int(props[k]) for k in _COUNTS if props.get(k) is not None},
    )


__all__ = ["Generation", "begin", "generations", "publish"]
