"""Fixtures for linkage tests: real DuckDB, and a person model trained once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from linkage_city import mini_city, stage


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A person model trained once on a mini city; tests copy it, never retrain."""
    from linkage import run_linkage

    model_dir = tmp_path_factory.mktemp("model")
    connection = duckdb.connect()
    rows, _ = mini_city(households=150, seed=3)
    stage(connection, rows)
    run_linkage(connection, model_dir, train=True)
    connection.close()
    return model_dir


@pytest.fixture
def model_dir(trained_model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(trained_model_dir, target)
    return target
