"""The same linkage on DuckDB and on Spark (local mode) gives the same identities."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pytest
from linkage_city import mini_city, stage

from linkage import EngineError, LinkageSettings, run_linkage
from linkage.engine import make_engine

needs_pyspark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed"
)


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(EngineError, match="duckdb' or 'spark"):
        make_engine("oracle")


@needs_pyspark
@pytest.mark.slow
def test_spark_local_mode_links_like_duckdb(
    con: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    rows, _ = mini_city(households=25, seed=51)
    stage(con, rows)
    query = "SELECT record_key, person_id, household_id FROM identity_map ORDER BY 1"
    on_duckdb = run_linkage(con, model_dir)
    expected = con.execute(query).fetchall()
    on_spark = run_linkage(con, model_dir, settings=LinkageSettings(engine="spark"))
    assert con.execute(query).fetchall() == expected
    assert on_spark.pairs == on_duckdb.pairs
