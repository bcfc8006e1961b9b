"""What the CLI prints when a back end fails: one line that says what happened and
what to do, never a traceback (unless `hub --debug` or HUB_DEBUG=1 asks for one).

Errors phrased for people (hub.errors, graph.errors, ...) print as they are; this
module phrases the rest: driver and database errors that escaped their package,
and anything unexpected.
"""

from __future__ import annotations

import os

import duckdb
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from graph import refused

DEBUG_ENV = "HUB_DEBUG"


def debug_requested(argv: list[str] | None) -> bool:
    flag = os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")
    return flag or "--debug" in (argv or [])


def first_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split("\n", 1)[0].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(exc: BaseException) -> str:
    """One line for a failure no package phrased."""
    if isinstance(exc, ServiceUnavailable | SessionExpired):
        return (
            "Neo4j stopped answering; check it with `hub neo4j status` (or NEO4J_URI), "
            "then run the command again."
        )
    if isinstance(exc, Neo4jError | DriverError):
        return str(refused("Neo4j", exc))
    if isinstance(exc, duckdb.IOException):
        return (
            f"DuckDB could not read or write its file ({first_line(exc)}); check the disk "
            "and that no other hub process (`hub serve`, `hub demo`) holds it, then run "
            "the command again."
        )
    if isinstance(exc, duckdb.Error):
        return (
            f"the staging database failed ({first_line(exc)}); run the command again, "
            f"or with {DEBUG_ENV}=1 for the details."
        )
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}."
    return (
        f"unexpected {type(exc).__name__}: {first_line(exc)}. Run again with `hub --debug` "
        f"(or {DEBUG_ENV}=1) for the traceback, and report it."
    )


__all__ = ["DEBUG_ENV", "debug_requested", "describe", "first_line"]
