"""Where Splink runs: DuckDB (default, embedded) or Spark (scale-out), by a setting.

The rest of linkage/ talks to one small interface, `LinkageEngine`: hand it an
Arrow table, get a Splink dataframe back; hand it a Splink dataframe, get Arrow
back. Splink works in the engine's own database, never in the hub's staging
connection, so its scratch tables never leak into `.hub/hub.duckdb`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import duckdb
import pyarrow as pa

from linkage.blocking import block_pairs
from linkage.errors import EngineError

__all__ = ["DuckDBEngine", "EngineName", "LinkageEngine", "SparkEngine", "make_engine"]

EngineName = Literal["duckdb", "spark"]


class LinkageEngine(Protocol):
    """The seam between linkage/ and a Splink backend."""

    name: EngineName

    @property
    def db_api(self) -> Any: ...

    def register(self, table: pa.Table, name: str) -> Any:
        """Load an Arrow table into the engine; return a Splink dataframe."""

    def to_arrow(self, splink_df: Any) -> pa.Table: ...

    def blocked_pairs(self, records: Any, rules: Sequence[Any]) -> Any | None:
        """The candidate pairs of `records` (a Splink dataframe) under `rules`, as a
        Splink dataframe for `register_blocked_pairs_for_predict`; None: let
        Splink block."""

    def close(self) -> None: ...


class _Names:
    """Splink registers each table name once per database API: keep them unique."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def fresh(self, name: str) -> str:
        return f"{name}_{next(self._counter)}"


class DuckDBEngine:
    name: EngineName = "duckdb"

    def __init__(self, threads: int | None = None, memory_limit: str | None = None) -> None:
        from splink import DuckDBAPI

        self._con = duckdb.connect()
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._api = DuckDBAPI(self._con)
        self._names = _Names()

    @property
    def db_api(self) -> Any:
        return self._api

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def register(self, table: pa.Table, name: str) -> Any:
        physical = self._names.fresh(name)
        self._con.register(f"{physical}_arrow", table)
        self._con.execute(f"CREATE OR REPLACE TABLE {physical} AS SELECT * FROM {physical}_arrow")
        self._con.unregister(f"{physical}_arrow")
        return self._api.register(physical, dataset_display_name=physical)

    def to_arrow(self, splink_df: Any) -> pa.Table:
        return self._con.sql(f"SELECT * FROM {splink_df.physical_name}").to_arrow_table()

    def blocked_pairs(self, records: Any, rules: Sequence[Any]) -> Any:
        """All rules in one set-based pass (linkage.blocking)."""
        physical = self._names.fresh("blocked_pairs")
        block_pairs(self._con, records.physical_name, rules, physical)
        return self._api.register(physical, dataset_display_name=physical)

    def close(self) -> None:
        self._con.close()


class SparkEngine:
    """Splink on pyspark. `master` defaults to local mode with every core."""

    name: EngineName = "spark"

    def __init__(self, master: str = "local[*]", shuffle_partitions: int = 8) -> None:
        try:
            from pyspark.sql import SparkSession
            from splink import SparkAPI
            from splink.backends.spark import similarity_jar_location
        except ImportError as err:
            raise EngineError(
                "the spark engine needs pyspark: `pip install 'satupintu[dev]'` "
                "or set the linkage engine to duckdb"
            ) from err
        self._spark = (
            SparkSession.builder.master(master)
            .appName("satupintu-linkage")
            .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.jars", similarity_jar_location())
            .getOrCreate()
        )
        self._spark.sparkContext.setCheckpointDir("/tmp/satupintu-spark-checkpoints")
        self._api = SparkAPI(spark_session=self._spark)  # type: ignore[no-untyped-call]
        self._names = _Names()

    @property
    def db_api(self) -> Any:
        return self._api

    def register(self, table: pa.Table, name: str) -> Any:
        physical = self._names.fresh(name)
        frame = self._spark.createDataFrame(table.to_pandas(types_mapper=None))
        frame.createOrReplaceTempView(physical)
        return self._api.register(physical, dataset_display_name=physical)

    def to_arrow(self, splink_df: Any) -> pa.Table:
        frame = splink_df.as_spark_dataframe()
        return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)

    def blocked_pairs(self, records: Any, rules: Sequence[Any]) -> None:
        """Splink blocks on Spark as it always has."""
        return None

    def close(self) -> None:
        """Leave the session running: pyspark sessions are per process and costly."""


def make_engine(name: str = "duckdb") -> LinkageEngine:
    if name == "duckdb":
        return DuckDBEngine()
    if name == "spark":
        return SparkEngine()
    raise EngineError(f"unknown linkage engine {name!r}: use 'duckdb' or 'spark'")
