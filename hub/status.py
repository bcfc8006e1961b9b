"""`hub status`: what is loaded, when, and from which sources; the health of
DuckDB and Neo4j. Read-only: DuckDB is opened read-only and Neo4j is probed
with a short timeout, so status is safe to run next to any other command. While
another command writes `hub.duckdb` (`hub link`, `hub ingest`), status reads the
published generation the servers read (hub.published) and says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from graph import Generation, graph_stats
from hub.published import current, open_generation
from hub.settings import Settings, graph_target
from store import describe_store

_SOURCES = """
SELECT s.id, s.kind, s.organization, s.last_batch_id, s.last_ingested_at,
       b.read_rows, b.staged_rows, b.quarantined_rows, b.new_records, b.changed_records,
       b.withdrawn_records,
       (SELECT count(*) FROM current_records c WHERE c.source = s.id) AS current_records,
       f.status AS last_attempt, f.error AS last_error
FROM sources s
LEFT JOIN batches b ON b.batch_id = s.last_batch_id
LEFT JOIN (SELECT DISTINCT ON (source) source, status, error FROM batches
           ORDER BY source, batch_id DESC) f ON f.source = s.id
ORDER BY s.id"""

_SOURCE_KEYS = (
    "id",
    "kind",
    "organization",
    "last_batch",
    "last_ingested_at",
    "read",
    "staged",
    "quarantined",
    "new",
    "changed",
    "withdrawn",
    "current_records",
    "last_attempt",
    "last_error",
)


def collect_status(settings: Settings, probe_graph: bool = True) -> dict[str, Any]:
    """Everything `hub status` shows, as plain JSON-ready values."""
    out: dict[str, Any] = {"home": str(settings.home), "mode": settings.mode}
    # where keys, audit, rate limits, intake and the journal are (never the password)
    out["store"] = describe_store(settings)
    out["duckdb"], out["sources"], out["linkage"] = _duckdb_status(settings)
    if probe_graph:
        g = graph_stats(graph_target(settings))
        out["neo4j"] = {
            "uri": g.uri,
            "healthy": g.healthy,
            "error": g.error,
            "last_load_at": g.last_load_at,
            "nodes": g.nodes,
            "generation": _generation(g.generation),
            "loading": _generation(g.loading),
            "routing": g.routing,
        }
    result: dict[str, Any] = _jsonable(out)
    return result


def _generation(g: Generation | None) -> dict[str, Any] | None:
    if g is None:
        return None
    return {
        "number": g.number,
        "status": g.status,
        "started_at": g.started_at,
        "finished_at": g.finished_at,
        **g.counts,
    }


def _duckdb_status(settings: Settings) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
    path = settings.duckdb_path
    published = current(settings.home)
    db: dict[str, Any] = {
        "path": str(path),
        "healthy": False,
        "error": None,
        "size_bytes": path.stat().st_size if path.exists() else 0,
        "read": str(path),
        "published": published.name if published else None,
    }
    if not path.exists():
        db["error"] = "not created yet: run `hub ingest`"
        return db, [], {}
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        busy = (
            f"cannot open ({exc}); another hub process may be writing: retry when it ends"
        ).splitlines()[0]
        opened = open_generation(settings.home)
        if opened is None:
            db["error"] = busy
            return db, [], {}
        generation, con = opened
        db["read"] = str(generation.path)
        db["note"] = (
            f"{path.name} is being written by another hub command; this is the "
            f"published generation {generation.name}, what the servers read"
        )
    try:
        con.execute("SELECT 1").fetchall()
        db["healthy"] = True
        tables = {
            str(r[0])
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
            ).fetchall()
        }
        sources = []
        if {"sources", "batches", "current_records"} <= tables:
            sources = [
                dict(zip(_SOURCE_KEYS, r, strict=True)) for r in con.execute(_SOURCES).fetchall()
            ]
        return db, sources, _linkage(con, tables)
    finally:
        con.close()


def _linkage(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, Any]:
    if "identity_map" not in tables:
        return {"linked": False}
    version, at, persons, households, records = con.execute(
        "SELECT any_value(model_version), max(linked_at), count(DISTINCT person_id),"
        " count(DISTINCT household_id), count(*) FROM identity_map"
    ).fetchone() or (None, None, 0, 0, 0)
    reviews = 0
    if "review_queue" in tables:
        row = con.execute("SELECT count(*) FROM review_queue WHERE status = 'open'").fetchone()
        reviews = int(row[0]) if row else 0
    return {
        "linked": True,
        "model_version": version,
        "linked_at": at,
        "persons": persons,
        "households": households,
        "records": records,
        "open_reviews": reviews,
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return (
            value.isoformat(timespec="seconds")
            if isinstance(value, dt.datetime)
            else value.isoformat()
        )
    return value


def healthy(status: dict[str, Any]) -> bool:
    return bool(status["duckdb"]["healthy"]) and bool(status.get("neo4j", {}).get("healthy"))


def print_status(status: dict[str, Any], console: Console) -> None:
    db = status["duckdb"]
    console.print(f"[bold]HUB_HOME[/bold] {status['home']} ({status['mode']})")
    if status.get("store"):
        console.print(f"[bold]shared state[/bold] {status['store']}")
    console.print(
        _health(
            "DuckDB",
            db["healthy"],
            db["error"],
            f"{db['path']} ({db['size_bytes'] / 1e6:.1f} MB), servers read "
            f"{db.get('published') or 'nothing published yet'}",
        )
    )
    if db.get("note"):
        console.print(f"  read: {db['note']}")
    graph = status.get("neo4j")
    if graph is not None:
        nodes = sum(graph["nodes"].values())
        console.print(
            _health(
                "Neo4j",
                graph["healthy"],
                graph["error"],
                f"{graph['uri']}, {nodes:,} nodes, last load {graph['last_load_at'] or 'never'}",
            )
        )
        gen, loading = graph.get("generation"), graph.get("loading")
        if gen:
            console.print(
                f"  load generation {gen['number']}, published {gen['finished_at']}"
                f" ({gen.get('rows_sent', 0):,} rows sent)"
            )
        if loading:
            console.print(
                f"  load generation {loading['number']} loading since "
                f"{loading['started_at']} (readers see generation "
                f"{gen['number'] if gen else 'none'} until it is published; "
                "if no load runs, it stopped: run `hub load` again)"
            )
        if graph["nodes"]:
            console.print("  " + ", ".join(f"{k} {v:,}" for k, v in graph["nodes"].items()))
        if graph.get("routing"):
            console.print(
                "  servers: "
                + "; ".join(
                    f"{role.lower()} {', '.join(addresses)}"
                    for role, addresses in sorted(graph["routing"].items())
                )
            )
    link = status["linkage"]
    if link.get("linked"):
        console.print(
            f"[bold]linkage[/bold] model {link['model_version']}, linked at "
            f"{link['linked_at']}: {link['persons']:,} persons, "
            f"{link['households']:,} households, {link['open_reviews']:,} open reviews"
        )
    else:
        console.print("[bold]linkage[/bold] not run yet: `hub link`")
    if not status["sources"]:
        console.print("[bold]sources[/bold] none ingested yet: `hub ingest`")
        return
    table = Table(title="sources")
    for col in (
        "source",
        "kind",
        "last batch",
        "last ingested",
        "staged",
        "quarantined",
        "current",
        "last attempt",
    ):
        table.add_column(col)
    for s in status["sources"]:
        attempt = s["last_attempt"] or ""
        if s["last_error"]:
            attempt += f": {s['last_error'][:60]}"
        table.add_row(
            s["id"],
            s["kind"],
            str(s["last_batch"]),
            str(s["last_ingested_at"]),
            f"{s['staged'] or 0:,}",
            f"{s['quarantined'] or 0:,}",
            f"{s['current_records']:,}",
            attempt,
        )
    console.print(table)


def _health(name: str, ok: bool, error: str | None, detail: str) -> str:
    word = "[green]healthy[/green]" if ok else f"[red]unhealthy[/red] ({error})"
    return f"[bold]{name}[/bold] {word}: {detail}"
