"""The same linkage on DuckDB and on Spark (local mode) gives the same identities.

Every Spark test is in this module, so one test process starts one Spark session
(the engine reuses the active session; starting one costs 10-25 s). Both engines
score with the one saved model, trained once on DuckDB (conftest.trained_model_dir).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from linkage_city import mini_city, stage

from connectors import ensure_staging_tables, ingest, load_configs
from connectors.reference import load_reference
from linkage import EngineError, LinkageSettings, LinkSummary, run_linkage
from linkage.engine import SparkEngine, SparkOptions, make_engine
from simulator import generate_city

needs_pyspark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pyspark is not installed"
)

PROBABILITY_TOLERANCE = 1e-9


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(EngineError, match="duckdb' or 'spark"):
        make_engine("oracle")


@pytest.fixture(scope="module")
def spark_options(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkOptions]:
    """Options for every Spark run here; the first engine starts the session."""
    options = SparkOptions(
        master="local[2]",
        # a few thousand records: few partitions, plans cut in memory
        conf=(("spark.sql.shuffle.partitions", "2"), ("spark.default.parallelism", "2")),
        staging=str(tmp_path_factory.mktemp("spark-staging")),
        break_lineage="persist",
    )
    SparkEngine(options).close()
    yield options


def _link(
    con: duckdb.DuckDBPyConnection, model_dir: Path, engine: str, spark: SparkOptions
) -> LinkSummary:
    return run_linkage(con, model_dir, settings=LinkageSettings(engine=engine, spark=spark))


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def _pairs(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple[Any, ...]], list[float]]:
    gammas = [
        str(c[0]) for c in _rows(con, "DESCRIBE linkage_pairs") if str(c[0]).startswith("gamma_")
    ]
    keyed = _rows(
        con,
        f"""SELECT record_key_l, record_key_r, match_key, {", ".join(gammas)}
            FROM linkage_pairs ORDER BY record_key_l, record_key_r""",
    )
    probabilities = [
        row[0]
        for row in _rows(
            con, "SELECT match_probability FROM linkage_pairs ORDER BY record_key_l, record_key_r"
        )
    ]
    return keyed, probabilities


def assert_same_linkage(
    on_duckdb: duckdb.DuckDBPyConnection, on_spark: duckdb.DuckDBPyConnection
) -> None:
    """Equal scored pairs (keys, rule, every comparison's level; probability to
    1e-9), equal persons and households with equal stable ids, equal events."""
    duck_pairs, duck_p = _pairs(on_duckdb)
    spark_pairs, spark_p = _pairs(on_spark)
    assert spark_pairs == duck_pairs
    assert spark_p == pytest.approx(duck_p, abs=PROBABILITY_TOLERANCE)
    identities = "SELECT record_key, person_id, household_id FROM identity_map ORDER BY 1"
    assert _rows(on_spark, identities) == _rows(on_duckdb, identities)
    events = "SELECT event_id, kind, entity, ids, survivor_id FROM identity_events ORDER BY 1"
    assert _rows(on_spark, events) == _rows(on_duckdb, events)
    for entity in ("person", "household"):
        registry = f"SELECT {entity}_id, status, survivor_id FROM {entity}_registry ORDER BY 1"
        assert _rows(on_spark, registry) == _rows(on_duckdb, registry)


@needs_pyspark
@pytest.mark.slow
def test_spark_local_mode_links_like_duckdb(model_dir: Path, spark_options: SparkOptions) -> None:
    rows, _ = mini_city(households=25, seed=51)
    on_duckdb, on_spark = duckdb.connect(), duckdb.connect()
    stage(on_duckdb, rows)
    stage(on_spark, rows)
    duck = _link(on_duckdb, model_dir, "duckdb", spark_options)
    spark = _link(on_spark, model_dir, "spark", spark_options)
    assert (spark.pairs, spark.persons, spark.households) == (
        duck.pairs,
        duck.persons,
        duck.households,
    )
    assert_same_linkage(on_duckdb, on_spark)


@pytest.fixture(scope="module")
def generated_city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated city's staging database (ingested, not linked): the generator's
    typos, nicknames, missing dates and foundations' rows reach every level of the model."""
    root = tmp_path_factory.mktemp("spark-city")
    generate_city(CITY_HOUSEHOLDS, 7, root / "city", foundations=10)
    con = duckdb.connect(str(root / "staged.duckdb"))
    load_reference(con)
    ensure_staging_tables(con)
    ingest(con, load_configs(root / "city" / "config"))
    con.close()
    return root / "staged.duckdb"


#: a few thousand records: big enough for every comparison level to occur
CITY_HOUSEHOLDS = 300


def _copy(database: Path, to: Path) -> duckdb.DuckDBPyConnection:
    to.write_bytes(database.read_bytes())
    return duckdb.connect(str(to))


@needs_pyspark
@pytest.mark.slow
def test_a_generated_city_links_alike_and_switching_engines_moves_no_id(
    generated_city: Path, model_dir: Path, spark_options: SparkOptions, tmp_path: Path
) -> None:
    """The office links with DuckDB, then switches to Spark: the same pairs, and
    nobody merges, splits or changes id (before: 109 merges and 9 splits)."""
    con = _copy(generated_city, tmp_path / "city.duckdb")
    _link(con, model_dir, "duckdb", spark_options)
    duck_pairs, duck_p = _pairs(con)
    identities = "SELECT record_key, person_id, household_id FROM identity_map ORDER BY 1"
    before = _rows(con, identities)
    switched = _link(con, model_dir, "spark", spark_options)
    spark_pairs, spark_p = _pairs(con)
    # the typo and Jaro-Winkler levels are exercised, not only exact names
    assert len({row[4] for row in spark_pairs}) >= 6
    assert spark_pairs == duck_pairs
    assert spark_p == pytest.approx(duck_p, abs=PROBABILITY_TOLERANCE)
    assert (switched.merges, switched.splits) == (0, 0)
    assert _rows(con, identities) == before
    con.close()


@needs_pyspark
def test_records_reach_spark_as_parquet_with_nulls_not_nan(
    spark_options: SparkOptions,
) -> None:
    """A missing birth year is NULL on Spark, as in DuckDB (through pandas it was a
    float NaN, and Spark SQL holds NaN = NaN); a date stays a date, a list a list."""
    con = duckdb.connect()
    engine = SparkEngine(spark_options)
    try:
        records = engine.register_query(
            con,
            """SELECT * FROM (VALUES
                   ('a', NULL::BIGINT, DATE '1980-07-01', ['ASEP', 'SUNANDAR'], NULL::BOOLEAN),
                   ('b', NULL::BIGINT, NULL::DATE, NULL::VARCHAR[], true))
               AS t(record_key, birth_year, birth_date, name_tokens, name_only)""",
            "records",
        )
        frame = engine.session.table(records.physical_name)
        kinds = dict(frame.dtypes)
        assert kinds == {
            "record_key": "string",
            "birth_year": "bigint",
            "birth_date": "date",
            "name_tokens": "array<string>",
            "name_only": "boolean",
        }
        agree = engine.session.sql(
            f"""SELECT count(*) FROM {records.physical_name} l
                JOIN {records.physical_name} r ON l.record_key < r.record_key
                WHERE l.birth_year = r.birth_year"""
        ).collect()[0][0]
        assert agree == 0
        # cardinality(NULL) is NULL (not -1): "one word or more" does not hold
        sizes = engine.session.sql(
            f"SELECT record_key, cardinality(name_tokens) >= 0 FROM {records.physical_name} "
            "ORDER BY 1"
        ).collect()
        assert [tuple(row) for row in sizes] == [("a", True), ("b", None)]
    finally:
        engine.close()
        con.close()
