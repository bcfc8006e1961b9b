"""Errors raised by graph/.

    GraphError
    ├── LocalServerError      the local Neo4j launcher cannot be built or started
    ├── GraphUnavailable      Neo4j cannot be reached or refused the credentials
    │                         (also a ConnectionError, so callers that must not
    │                         import graph/ can catch it by meaning)
    ├── GraphInputError       rows handed to the loader or repository are unusable
    └── GraphQueryError       Neo4j refused or failed a statement (the message names
                              its status code, never the server's Java text)
"""

from __future__ import annotations


class GraphError(Exception):
    """Something about the graph store, phrased for the person who can fix it."""


class LocalServerError(GraphError):
    pass


class GraphUnavailable(GraphError, ConnectionError):
    pass


class GraphInputError(GraphError, ValueError):
    """A table or row lacks a column the graph needs, or a value is out of range."""


class GraphQueryError(GraphError):
    """Neo4j answered a statement with an error; `code` is its Neo4j status code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
