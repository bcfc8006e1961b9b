"""Where Splink runs: DuckDB (default, embedded) or Spark (scale-out), by a setting.

The rest of linkage/ talks to one small interface, `LinkageEngine`: hand it an
Arrow table, get a Splink dataframe back; hand it a Splink dataframe, get Arrow
back. Splink works in the engine's own database, never in the hub's staging
database, so its scratch tables never leak into `.hub/hub.duckdb`.

A DuckDB engine made `beside` the staging connection shares its database
instance (memory limit, threads, buffer pool) but keeps Splink's tables in an
in-memory catalog of its own, attached for the run and detached at `close`:
records go in and scored pairs come out by SQL, never copied through Arrow.

The Spark engine gives the same pairs, probabilities and so identities as the
DuckDB one (tests/linkage/test_engine.py). What used to differ, and how:
- records reach Spark as Parquet written by DuckDB (`COPY ... TO`), scored pairs
  come back as Parquet read by DuckDB: types stay what they are (a DATE is a
  date, a missing birth year NULL, not NaN through pandas);
- the saved model is written in DuckDB's SQL; `model_for_dialect` translates it
  to Spark's. Before, DuckDB's "name_l" reached Spark as a string literal, so
  `damerau_levenshtein("name_l", "name_r") <= 2` held for every pair;
- Jaro-Winkler is DuckDB's definition on both (linkage.similarity), not the jar's;
- both block with linkage.blocking's one definition of the candidate pairs;
- Spark SQL is pinned to ANSI semantics (cardinality(NULL) is NULL) and UTC.
"""

from __future__ import annotations

import copy
import itertools
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import duckdb
import pyarrow as pa

from linkage.blocking import block_pairs, blocked_pairs_sql, translate_sql
from linkage.errors import EngineError

__all__ = [
    "SPARK_PINNED_CONF",
    "DuckDBEngine",
    "EngineName",
    "LinkageEngine",
    "SparkEngine",
    "SparkOptions",
    "make_engine",
    "model_for_dialect",
]

EngineName = Literal["duckdb", "spark"]

#: Spark SQL settings the model's SQL relies on to read as in DuckDB; set on the
#: session whoever made it (an office's own spark.* settings cannot change them).
SPARK_PINNED_CONF: dict[str, str] = {
    # cardinality(NULL) is NULL, as in DuckDB (not -1); casts fail, not NULL
    "spark.sql.ansi.enabled": "true",
    "spark.sql.legacy.sizeOfNull": "false",
    # dates and timestamps read and print the same whatever the machine's zone
    "spark.sql.session.timeZone": "UTC",
}

#: The Spark name of Jaro-Winkler, Splink's (its jar's) and the model's: the
#: engine registers DuckDB's definition (linkage.similarity) under it, in place of
#: the jar's, so a model trained or scored on Spark compares names as on DuckDB.
SPARK_JARO_WINKLER = "jaro_winkler"


@dataclass(frozen=True)
class SparkOptions:
    """Where and how the Spark engine runs (hub settings: HUB_SPARK_*).

    `master`: None uses the session's own (spark-submit's --master, Databricks)
    or else local mode on every core. `conf`: spark.* settings for a session the
    engine builds (driver and executor memory, shuffle partitions...). `staging`:
    the folder for Parquet handed between DuckDB and Spark; on a cluster, a path
    the driver writes and every executor reads (a shared mount). `checkpoints`:
    Spark's checkpoint folder (HDFS, S3, DBFS on a cluster; default: the run's
    staging folder, removed when the run ends). `break_lineage`:
    how Splink cuts Spark's query plans between its steps (None: Splink's default,
    Parquet under the checkpoints, a Delta table on Databricks; "persist" keeps
    them in memory, quicker for a small city in local mode)."""

    master: str | None = None
    conf: tuple[tuple[str, str], ...] = ()
    staging: str | None = None
    checkpoints: str | None = None
    break_lineage: str | None = None


class LinkageEngine(Protocol):
    """The seam between linkage/ and a Splink backend."""

    name: EngineName

    @property
    def db_api(self) -> Any: ...

    def model_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """A saved model's settings in this engine's SQL (see model_for_dialect)."""

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

    def model_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return model_for_dialect(settings, "duckdb")

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
    """Splink on pyspark: the active session when there is one (spark-submit,
    Databricks), else one built from `options` (local mode by default)."""

    name: EngineName = "spark"

    def __init__(self, options: SparkOptions | None = None) -> None:
        try:
            from pyspark import cloudpickle
            from pyspark.sql import SparkSession
            from pyspark.sql.types import DoubleType
            from splink import SparkAPI
        except ImportError as err:
            raise EngineError(
                "the spark engine needs pyspark: `pip install 'satupintu[dev]'` "
                "or set the linkage engine to duckdb"
            ) from err
        from linkage import similarity

        options = options or SparkOptions()
        self._spark = SparkSession.getActiveSession() or _build_session(options)
        for key, value in SPARK_PINNED_CONF.items():
            self._spark.conf.set(key, value)
        root = options.staging or str(Path(tempfile.gettempdir()) / "satupintu-spark-staging")
        self._staging = Path(root) / uuid.uuid4().hex[:12]
        self._staging.mkdir(parents=True, exist_ok=True)
        self._spark.sparkContext.setCheckpointDir(
            # by default inside this run's folder: removed with it at close
            options.checkpoints or str(self._staging / "checkpoints")
        )
        # Splink registers its jar's functions here; ours replaces its jaro_winkler.
        # Shipped by value: executors need no satupintu, only pyspark's Python.
        cloudpickle.register_pickle_by_value(similarity)  # type: ignore[no-untyped-call]
        self._api = SparkAPI(  # type: ignore[no-untyped-call]
            spark_session=self._spark, break_lineage_method=options.break_lineage
        )
        self._spark.udf.register(
            SPARK_JARO_WINKLER, similarity.jaro_winkler_similarity, DoubleType()
        )
        self._names = _Names()

    @property
    def db_api(self) -> Any:
        return self._api

    @property
    def session(self) -> Any:
        return self._spark

    def model_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        return model_for_dialect(settings, "spark")

    def register(self, table: pa.Table, name: str) -> Any:
        import pyarrow.parquet as pq

        path = self._staging / f"{self._names.fresh(name)}.parquet"
        pq.write_table(table, path)
        return self._register_parquet(path, name)

    def register_query(self, con: duckdb.DuckDBPyConnection, sql: str, name: str) -> Any:
        """`sql` run by DuckDB into Parquet, read by Spark: no pandas, types kept."""
        path = self._staging / f"{self._names.fresh(name)}.parquet"
        con.execute(f"COPY ({sql}) TO '{_quoted(path)}' (FORMAT parquet)").fetchall()
        return self._register_parquet(path, name)

    def _register_parquet(self, path: Path, name: str) -> Any:
        physical = self._names.fresh(name)
        self._spark.read.parquet(str(path)).createOrReplaceTempView(physical)
        return self._api.register(physical, dataset_display_name=physical)

    def to_arrow(self, splink_df: Any) -> pa.Table:
        import pyarrow.parquet as pq

        return pq.read_table(self._write_parquet(splink_df))

    def expose(self, splink_df: Any, con: duckdb.DuckDBPyConnection, name: str) -> None:
        """Spark writes Parquet, DuckDB copies it into the temp table `name`."""
        folder = self._write_parquet(splink_df)
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {name} AS
                SELECT * FROM read_parquet('{_quoted(folder)}/*.parquet')"""
        ).fetchall()

    def _write_parquet(self, splink_df: Any) -> Path:
        folder = self._staging / self._names.fresh("out")
        splink_df.as_spark_dataframe().write.mode("overwrite").parquet(str(folder))
        return folder

    def blocked_pairs(self, records: Any, rules: Sequence[Any]) -> Any:
        """linkage.blocking's pairs, run as Spark SQL (the DuckDB engine's definition)."""
        physical = self._names.fresh("blocked_pairs")
        columns = self._spark.table(records.physical_name).columns
        sql = blocked_pairs_sql(records.physical_name, rules, dialect="spark", columns=columns)
        self._spark.sql(sql).createOrReplaceTempView(physical)
        return self._api.register(physical, dataset_display_name=physical)

    def close(self) -> None:
        """Remove this run's Parquet; leave the session running (pyspark sessions
        are per process and costly to start)."""
        shutil.rmtree(self._staging, ignore_errors=True)


def _build_session(options: SparkOptions) -> Any:
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    builder = SparkSession.builder.appName("satupintu-linkage")
    # under spark-submit (it starts the JVM and hands Python its gateway) the
    # session takes spark-submit's --master, --jars and --conf: our defaults
    # must not replace them
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ
    if options.master or not submitted:
        builder = builder.master(options.master or "local[*]")
    defaults = (
        {}
        if submitted
        else {
            # local mode: Python workers run this interpreter (not the system's python3)
            "spark.pyspark.python": sys.executable,
            "spark.sql.shuffle.partitions": "8",
            "spark.ui.enabled": "false",
            # Splink's jar: damerau_levenshtein (the model's NIK, name and date typos)
            "spark.jars": similarity_jar_location(),
        }
    )
    for key, value in {**defaults, **dict(options.conf), **SPARK_PINNED_CONF}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def model_for_dialect(settings: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A saved model's settings with their SQL in `dialect` (duckdb or spark).

    Models are saved from DuckDB, in its SQL: Splink does not translate a saved
    model's comparison levels to the engine it runs on, and Spark reads DuckDB's
    "name_clean_l" as a string. Every level's condition and every blocking rule is
    translated by sqlglot; on Spark, `jaro_winkler_similarity` becomes the UDF with
    DuckDB's definition (linkage.similarity)."""
    written = str(settings.get("sql_dialect") or "duckdb")
    if written == dialect:
        return settings
    adapted = copy.deepcopy(settings)
    adapted["sql_dialect"] = dialect
    for comparison in adapted.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            condition = str(level.get("sql_condition", "ELSE"))
            if condition.strip().upper() != "ELSE":
                level["sql_condition"] = _translate_condition(condition, written, dialect)
    for rule in adapted.get("blocking_rules_to_generate_predictions", []):
        if isinstance(rule, dict):
            rule["blocking_rule"] = translate_sql(
                str(rule["blocking_rule"]), str(rule.get("sql_dialect") or written), dialect
            )
            rule["sql_dialect"] = dialect
    return adapted


def _translate_condition(condition: str, read: str, write: str) -> str:
    import sqlglot
    from sqlglot import exp

    def jaro_winkler(node: exp.Expression) -> exp.Expression:
        if write == "spark" and isinstance(node, exp.JarowinklerSimilarity):
            return exp.Anonymous(this=SPARK_JARO_WINKLER, expressions=[node.this, node.expression])
        if (
            write != "spark"
            and isinstance(node, exp.Anonymous)
            and str(node.this).lower() == SPARK_JARO_WINKLER
        ):
            first, second = node.expressions
            return exp.JarowinklerSimilarity(this=first, expression=second)
        return node

    return str(sqlglot.parse_one(condition, read=read).transform(jaro_winkler).sql(dialect=write))


def _arrow_to_temp(con: duckdb.DuckDBPyConnection, arrow: pa.Table, name: str) -> None:
    con.register("_engine_arrow", arrow)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _engine_arrow"
        ).fetchall()
    finally:
        con.unregister("_engine_arrow")


def make_engine(
    name: str = "duckdb",
    beside: duckdb.DuckDBPyConnection | None = None,
    spark: SparkOptions | None = None,
) -> LinkageEngine:
    """An engine; a DuckDB one made `beside` a connection shares its database
    instance (see the module doc); a Spark one runs as `spark` says."""
    if name == "duckdb":
        return DuckDBEngine(beside=beside)
    if name == "spark":
        return SparkEngine(spark)
    raise EngineError(f"unknown linkage engine {name!r}: use 'duckdb' or 'spark'")
