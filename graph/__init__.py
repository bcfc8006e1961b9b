"""The one-data graph in Neo4j: what the rest of the hub may use of it.

hub/ and bench/ import these names from `graph` and never a submodule
(`tests/graph/test_graph_facade.py` checks both): the modules behind them are
graph/'s own to rearrange.

- the connection and its errors: `GraphTarget`, `open_driver`, `open_async_driver`,
  `refused`, `scheme_problem` (is a URI a Neo4j address), and the `GraphError` tree;
- the local server: `LocalNeo4j`, `start_server`, `stop_server`, `server_status`;
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
from graph.driver import GraphTarget, open_async_driver, open_driver, refused, scheme_problem
from graph.erasure import desk_items, stale_web_forms
from graph.erasure import erase as erase_in_graph
from graph.errors import (
    GraphError,
    GraphInputError,
    GraphQueryError,
    GraphUnavailable,
    LoadInterrupted,
    LocalNeo4jError,
)
from graph.generation import Generation
from graph.generation import begin as begin_generation
from graph.generation import publish as publish_generation
from graph.lifecycle import DROPPABLE, drop_step, load_token, retire_step, set_load_token
from graph.loader import (
    DEFAULT_BATCH,
    DEFAULT_WRITERS,
    SPECS,
    LoadReport,
    TableReport,
    absent_tables,
    load,
)
from graph.local_neo4j import LocalNeo4j, LocalNeo4jStatus
from graph.local_neo4j import start as start_server
from graph.local_neo4j import status as server_status
from graph.local_neo4j import stop as stop_server
from graph.pipeline_facts import FACT_TABLES
from graph.pipeline_facts import derive as derive_facts
from graph.repository import GraphRepository
from graph.stats import GraphStats, graph_stats
from graph.subject import subject_graph
from graph.transactions import Step

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_WRITERS",
    "DROPPABLE",
    "FACT_TABLES",
    "SPECS",
    "Generation",
    "GraphError",
    "GraphInputError",
    "GraphQueryError",
    "GraphRepository",
    "GraphStats",
    "GraphTarget",
    "GraphUnavailable",
    "LoadInterrupted",
    "LoadReport",
    "LocalNeo4j",
    "LocalNeo4jError",
    "LocalNeo4jStatus",
    "Step",
    "TableReport",
    "absent_tables",
    "begin_generation",
    "derive_facts",
    "desk_items",
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
    "scheme_problem",
    "server_status",
    "set_load_token",
    "stale_web_forms",
    "start_server",
    "stop_server",
    "subject_graph",
]
