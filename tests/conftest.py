"""Shared test set-up: tests/ is on sys.path so fixtures modules import by name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

TESTS = Path(__file__).parent
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))

#: Test folders whose tests never reach the Neo4j server (DuckDB, files, SQLite and
#: their own subprocesses only). scripts/test.sh runs the suite on two pytest-xdist
#: workers: these run on one while the other runs every test that shares the one
#: test Neo4j, in order, so no two modules ever load or wipe the graph at once.
WITHOUT_GRAPH = tuple(
    TESTS / folder
    for folder in (
        "connectors",
        "domain",
        "hub/security",
        "hub/test_intake.py",
        "journal",
        "linkage",
        "simulator",
    )
)
#: ... except these, which do
WITH_GRAPH = (TESTS / "hub" / "security" / "test_http_protection.py",)


def _uses_graph(path: Path) -> bool:
    return path in WITH_GRAPH or not any(path.is_relative_to(p) for p in WITHOUT_GRAPH)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Two units of work for pytest-xdist: the tests that use the graph and those
    that do not; each goes whole, in collection order, to one worker. (Its own
    `--dist loadgroup` marks tests by rewriting their ids, which pytest 9 no longer
    lets a plugin do.)"""

    class GraphOrNot(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = config.rootpath / nodeid.split("::", 1)[0]
            return "graph" if _uses_graph(path) else "without-graph"

    return GraphOrNot(config, log)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """The hub runs on asyncio (uvicorn, the Neo4j driver). anyio's plugin would
    also run every async test on trio when trio is installed (selenium brings it),
    doubling them and failing on asyncio-only code."""
    return "asyncio"
