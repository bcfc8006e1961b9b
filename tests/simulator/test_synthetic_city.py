"""The generated city ingests with one call; counts reconcile; a re-run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import simulator
from connectors import ingest, load_configs
from connectors.reference import load_reference


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


@pytest.mark.slow
def test_generated_city_ingests_and_reconciles(
    tmp_path: Path, con: duckdb.DuckDBPyConnection
) -> None:
    simulator.generate_city(households=300, seed=1, out=tmp_path)
    load_reference(con)
    configs = load_configs(tmp_path / "config")
    assert len(configs) > 300
    summaries = ingest(con, configs)
    for s in summaries:
        assert s.error is None
        assert s.read == s.staged + s.quarantined, s.source
    read = sum(s.read for s in summaries)
    quarantined = sum(s.quarantined for s in summaries)
    assert quarantined < read * 0.05  # errors are the exception, not the rule
    staged = con.execute("SELECT count(*) FROM records").fetchone()
    again = ingest(con, configs)
    assert all((s.new, s.changed, s.withdrawn) == (0, 0, 0) for s in again)
    assert con.execute("SELECT count(*) FROM records").fetchone() == staged
    truth = (tmp_path / "truth.csv").read_text(encoding="utf-8").splitlines()
    assert len(truth) - 1 >= con.execute("SELECT count(*) FROM current_records").fetchone()[0]
