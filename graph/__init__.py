"""The one-data graph in Neo4j: what the rest of the hub may use of it.

hub/ and bench/ import these names from `graph` and never a submodule
(`tests/graph/test_graph_facade.py` checks both): the modules behind them are
graph/'s own to rearrange.

- the connection and its errors: `Connection`, `open_driver`, `open_async_driver`,
  `refused`, and the `GraphError` tree;
- the local server: `LocalServer`, `start_server`, `stop_server`, `server_status`;
- loading: `ensure_constraints`, then `load` (the tables of `SPECS`, in order),
  with the load generations (`begin_generation`, `publish_generation`), retiring
  and dropping ids (`retire_step`, `drop_step`, the load token), and the feed's
  facts of a load (`derive_facts`);
- the API's reads and writes: `GraphRepository` (its rows: `domain.rows`);
- a person's subgraph (`subject_graph`), erasure (`erase_in_graph`) and the
  status figures (`graph_stats`).
"""

from __future__ import annotations

from graph.constraints import ensure as ensure_constraints
from graph.driver import Connection, open_async_driver, open_driver, refused
from graph.erasure import erase as erase_in_graph
from graph.errors import (
    GraphError,
    GraphInputError,
    GraphQueryError,
    GraphUnavailable,
    LoadInterrupted,
    LocalServerError,
)
from graph.generation import Generation
from graph.generation import begin as begin_generation
from graph.generation import publish as publish_generation
from graph.lifecycle import DROPPABLE, drop_step, load_token, retire_step, set_load_token
from graph.loader import DEFAULT_BATCH, DEFAULT_WRITERS, SPECS, LoadReport, load
from graph.pipeline_facts import derive as derive_facts
from graph.repository import GraphRepository, Scope
from graph.server import LocalServer, ServerStatus
from graph.server import start as start_server
from graph.server import status as server_status
from graph.server import stop as stop_server
from graph.stats import GraphStats, graph_stats
from graph.subject import subject_graph

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_WRITERS",
    "DROPPABLE",
    "SPECS",
    "Connection",
    "Generation",
    "GraphError",
    "GraphInputError",
    "GraphQueryError",
    "GraphRepository",
    "GraphStats",
    "GraphUnavailable",
    "LoadInterrupted",
    "LoadReport",
    "LocalServer",
    "LocalServerError",
    "Scope",
    "ServerStatus",
    "begin_generation",
    "derive_facts",
    "drop_step",
    "ensure_constraints",
    "erase_in_graph",
    "graph_stats",
    "load",
    "load_token",
    "open_async_driver",
    "open_driver",
    "publish_generation",
    "refused",
    "retire_step",
    "server_status",
    "set_load_token",
    "start_server",
    "stop_server",
    "subject_graph",
]
