"""Where Splink runs: DuckDB (default, embedded) or Spark (scale-out), by a setting.

The rest of linkage/ talks to one small interface, `LinkageEngine`: hand it an
Arrow table, get a Splink dataframe back; hand it a Splink dataframe, get Arrow
back. Splink works in the engine's own database, never in the hub's staging
database, so its scratch tables never leak into `.hub/hub.duckdb`.

A DuckDB engine made `beside` the staging connection shares its database
instance (memory limit, threads, buffer pool) but keeps Splink's tables in an
in-memory catalog of its own, attached for the run and detached at `close`:
records go in and scored pairs come out by SQL, never copied through Arrow.
"""

from __future__ import annotations

import itertools
import uuid
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

    def register_query(self, con: duckdb.DuckDBPyConnection, sql: str, name: str) -> Any:
        """The result of `sql` over the persistent tables of `con`, as a Splink dataframe."""

    def expose(self, splink_df: Any, con: duckdb.DuckDBPyConnection, name: str) -> None:
        """Make `splink_df` readable in `con` as the temp view or table `name`
        (valid until the engine closes)."""

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

    def __init__(
        self,
        threads: int | None = None,
        memory_limit: str | None = None,
        *,
        beside: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        from splink import DuckDBAPI

        self._beside = beside
        self._catalog: str | None = None
        if beside is None:
            self._con = duckdb.connect()
        else:
            home = beside.execute("SELECT current_database()").fetchall()[0][0]
            self._catalog = f"splink_scratch_{uuid.uuid4().hex[:12]}"
            beside.execute(f"ATTACH ':memory:' AS {self._catalog}").fetchall()
            self._con = beside.cursor()
            self._con.execute(f"USE {self._catalog}").fetchall()
            # unqualified names: Splink's own tables first, then the staging tables
            self._con.execute(
                f"SET search_path = '{self._catalog}.main,\"{home}\".main'"
            ).fetchall()
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

    def register_query(self, con: duckdb.DuckDBPyConnection, sql: str, name: str) -> Any:
        if self._beside is None:
            return self.register(con.sql(sql).to_arrow_table(), name)
        physical = self._names.fresh(name)
        self._con.execute(f"CREATE TABLE {physical} AS {sql}").fetchall()
        return self._api.register(physical, dataset_display_name=physical)

    def expose(self, splink_df: Any, con: duckdb.DuckDBPyConnection, name: str) -> None:
        if self._beside is None:
            _arrow_to_temp(con, self.to_arrow(splink_df), name)
            return
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {name} AS
                SELECT * FROM {self._catalog}.main.{splink_df.physical_name}"""
        ).fetchall()

    def blocked_pairs(self, records: Any, rules: Sequence[Any]) -> Any:
        """All rules in one set-based pass (linkage.blocking)."""
        physical = self._names.fresh("blocked_pairs")
        block_pairs(self._con, records.physical_name, rules, physical)
        return self._api.register(physical, dataset_display_name=physical)

    def close(self) -> None:
        self._con.close()
        if self._beside is not None:
            self._beside.execute(f"DETACH {self._catalog}").fetchall()


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

    def register_query(self, con: duckdb.DuckDBPyConnection, sql: str, name: str) -> Any:
        return self.register(con.sql(sql).to_arrow_table(), name)

    def expose(self, splink_df: Any, con: duckdb.DuckDBPyConnection, name: str) -> None:
        _arrow_to_temp(con, self.to_arrow(splink_df), name)

    def blocked_pairs(self, records: Any, rules: Sequence[Any]) -> None:
        """Splink blocks on Spark as it always has."""
        return None

    def close(self) -> None:
        """Leave the session running: pyspark sessions are per process and costly."""


def _arrow_to_temp(con: duckdb.DuckDBPyConnection, arrow: pa.Table, name: str) -> None:
    con.register("_engine_arrow", arrow)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _engine_arrow"
        ).fetchall()
    finally:
        con.unregister("_engine_arrow")


def make_engine(
    name: str = "duckdb", beside: duckdb.DuckDBPyConnection | None = None
) -> LinkageEngine:
    """An engine; a DuckDB one made `beside` a connection shares its database
    instance (see the module doc)."""
    if name == "duckdb":
        return DuckDBEngine(beside=beside)
    if name == "spark":
        return SparkEngine()
    raise EngineError(f"unknown linkage engine {name!r}: use 'duckdb' or 'spark'")
