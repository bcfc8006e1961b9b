"""Shared test set-up: tests/ is on sys.path so fixtures modules import by name."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

from store import Store, StoreError
from store.postgres import PgStore
from store.sqlite import SqliteStore

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
        "store",
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


# --- the store back-ends (issue 17): store tests run on SQLite and on PostgreSQL -------
#: scripts/test.sh starts a throw-away PostgreSQL and exports HUB_TEST_DATABASE_URL
STORE_BACKENDS = ("sqlite", "postgres")


def test_database_url() -> str:
    """The test PostgreSQL; a test that needs it fails (never skips) without it."""
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "HUB_TEST_DATABASE_URL is not set: run the tests with scripts/test.sh, which starts"
            " a throw-away PostgreSQL, or point it at one (postgresql://...).",
            pytrace=False,
        )
    return url


test_database_url.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def open_backend(name: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh store: SQLite files in tmp_path, or a schema of its own in the test
    PostgreSQL (dropped after), so tests run side by side (xdist)."""
    if name == "sqlite":
        sqlite = SqliteStore(tmp_path)
        yield sqlite
        sqlite.close()
        return
    try:
        pg = PgStore(test_database_url(), f"t_{uuid.uuid4().hex[:20]}", max_size=4)
    except StoreError as exc:
        pytest.fail(f"the test PostgreSQL is unreachable: {exc}", pytrace=False)
    try:
        yield pg
    finally:
        pg.drop_schema()
        pg.close()


@pytest.fixture(params=STORE_BACKENDS)
def store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store of each back-end (`open_backend`): the test runs once on each."""
    yield from open_backend(request.param, tmp_path)


@pytest.fixture
def postgres_store(tmp_path: Path) -> Iterator[PgStore]:
    """A fresh schema in the test PostgreSQL, for what only a shared store does."""
    for store in open_backend("postgres", tmp_path):
        assert isinstance(store, PgStore)
        yield store


@pytest.fixture(scope="session")
def database_url() -> str:
    """The test PostgreSQL's URL, for a module that starts servers on it (a test
    module cannot import this conftest by name: several conftests share it)."""
    return test_database_url()
