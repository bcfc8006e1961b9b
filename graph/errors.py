"""Errors raised by graph/.

GraphError
├── LocalNeo4jError       the local Neo4j launcher cannot be built or started
├── GraphUnavailable      Neo4j cannot be reached or refused the credentials
│   │                     (also a ConnectionError, so callers that must not
│   │                     import graph/ can catch it by meaning)
│   └── LoadInterrupted   Neo4j stopped answering during a load
├── GraphInputError       rows handed to the loader or repository are unusable
└── GraphQueryError       Neo4j refused or failed a statement (the message names
                          its status code, never the server's Java text)
"""

from __future__ import annotations


class GraphError(Exception):
    """Something about the graph store, phrased for the person who can fix it."""


class LocalNeo4jError(GraphError):
    pass


class GraphUnavailable(GraphError, ConnectionError):
    pass


class LoadInterrupted(GraphUnavailable):
    """Neo4j stopped answering during a load, in table `table`, after `done` of
    `total` tables were written. The load is an upsert: running it again repairs."""

    def __init__(self, server: str, table: str, done: int, total: int) -> None:
        super().__init__(
            f"{server} stopped answering during the load, while writing {table} (after {done} "
            f"of {total} tables); start it and run `hub load` again: the load is safe to "
            "repeat."
        )
        self.table = table
        self.done = done
        self.total = total


class GraphInputError(GraphError, ValueError):
    """A table or row lacks a column the graph needs, or a value is out of range."""


class GraphQueryError(GraphError):
    """Neo4j answered a statement with an error; `code` is its Neo4j status code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
