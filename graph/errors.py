"""Errors raised by graph/.

    GraphError
    ├── LocalServerError      the local Neo4j launcher cannot be built or started
    ├── GraphUnavailable      Neo4j cannot be reached or refused the credentials
    │                         (also a ConnectionError, so callers that must not
    │                         import graph/ can catch it by meaning)
    └── GraphInputError       rows handed to the loader or repository are unusable
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
