"""`RecordStandardiser`: the bulk standardisation for one record or a small batch, fast.

`standardise()` writes ~6 temp tables and re-registers its macros and lookup
tables on every call: right for a million rows, ~100 ms of fixed cost for one.
`RecordStandardiser` keeps a private DuckDB with the macros, the name
vocabulary and the gazetteer registered once, and runs the *same* stage SQL
(`pipeline.stage_sql`) as one query of CTEs over a registered Arrow batch: no
DDL per call, and the SQL text is built once per input schema. The output has
the same columns and values as `standardise()` on the same rows.

Where one record's time went (2 shared cores, ~80 ms): binding the
macro-expanded SQL ~20 ms, twice through the relation API (`arrow_result` binds
once); DuckDB's optimizer ~35 ms (switched off here: it never changes results);
running the plan ~10-25 ms. A prepared statement did not help: EXECUTE re-binds.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import duckdb
import pyarrow as pa

from domain.city import CITY_CODE
from linkage.errors import LinkageError
from linkage.standardise import vocabulary
from linkage.standardise.macros import register_macros
from linkage.standardise.pipeline import (
    _IDENTIFIER,
    INPUT_FIELDS,
    STAGES,
    StageInputs,
    stage_sql,
)

__all__ = ["RecordStandardiser"]

_INPUT = "_record_standardiser_input"
_GAZETTEER = ("ref_kelurahan", "ref_kecamatan")


class RecordStandardiser:
    """Standardise a few records at a time with the bulk path's SQL.

    `gazetteer`: a connection holding `ref_kelurahan` and `ref_kecamatan`
    (copied once); without them the place codes are NULL, as in `standardise()`.
    Thread-safe: calls are serialised on the private connection.
    """

    def __init__(
        self,
        gazetteer: duckdb.DuckDBPyConnection | None = None,
        *,
        ref_kelurahan: str = "ref_kelurahan",
        ref_kecamatan: str = "ref_kecamatan",
        city_code: str = CITY_CODE,
    ) -> None:
        for name in (ref_kelurahan, ref_kecamatan):
            if not _IDENTIFIER.match(name):
                raise LinkageError(f"standardise: {name!r} is not a plain table name")
        # One row gains nothing from threads or from the optimizer, whose passes
        # (common subexpressions above all) cost more than running the plan; the
        # optimizer never changes results, so the output stays the bulk path's.
        self._con = duckdb.connect(config={"threads": 1})
        self._con.execute("PRAGMA disable_optimizer")
        self._lock = threading.Lock()
        self._city_code = city_code
        register_macros(self._con)
        self._variants, self._aliases = vocabulary.create_lookup_tables(self._con)
        self._gazetteer = False
        if gazetteer is not None and all(
            _has_table(gazetteer, t) for t in (ref_kelurahan, ref_kecamatan)
        ):
            for source, target in zip((ref_kelurahan, ref_kecamatan), _GAZETTEER, strict=True):
                frame = gazetteer.sql(f"SELECT * FROM {source}").to_arrow_table()
                self._con.register("_gazetteer_arrow", frame)
                self._con.execute(f"CREATE TABLE {target} AS SELECT * FROM _gazetteer_arrow")
                self._con.unregister("_gazetteer_arrow")
            self._gazetteer = True
        self._sql: dict[pa.Schema, str] = {}

    def standardise(self, rows: pa.Table) -> pa.Table:
        """Every column of `rows` plus `OUTPUT_COLUMNS`, rows in the input order."""
        with self._lock:
            self._con.register(_INPUT, rows)
            try:
                sql = self._sql.get(rows.schema)
                if sql is None:
                    sql = self._sql[rows.schema] = self._build_sql()
                return arrow_result(self._con, sql)
            finally:
                self._con.unregister(_INPUT)

    def standardise_records(self, records: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
        """`standardise` of Python dicts, read with `schema` (missing keys are NULL)."""
        columns = {name: [record.get(name) for record in records] for name in schema.names}
        return self.standardise(pa.table(columns, schema=schema))

    def __call__(self, con: duckdb.DuckDBPyConnection, source: str, target: str) -> None:
        """The `Standardiser` signature: read `source` from `con`, write `target` there."""
        for name in (source, target):
            if not _IDENTIFIER.match(name):
                raise LinkageError(f"standardise: {name!r} is not a plain table name")
        result = self.standardise(con.sql(f"SELECT * FROM {source}").to_arrow_table())
        con.register("_record_standardiser_result", result)
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM _record_standardiser_result"
            )
        finally:
            con.unregister("_record_standardiser_result")

    def close(self) -> None:
        self._con.close()

    def _build_sql(self) -> str:
        described = self._con.execute(f"DESCRIBE SELECT * FROM {_INPUT}").fetchall()
        columns = {str(row[0]): str(row[1]) for row in described}
        missing = [field for field in INPUT_FIELDS if field not in columns]
        if missing:
            raise LinkageError(
                f"standardise: the records lack {', '.join(missing)}; they must carry the "
                "canonical person fields of connectors/canonical.py"
            )
        # The bulk SQL joins, which do not keep the input order: carry a row number.
        order = "_record_standardiser_row"
        source = "_rs_source"
        tables = {stage: f"_rs_{stage}" for stage in STAGES}
        stages, final = stage_sql(
            StageInputs(
                source=source,
                columns={**columns, order: "BIGINT"},
                variants=self._variants,
                aliases=self._aliases,
                ref_kelurahan=_GAZETTEER[0] if self._gazetteer else None,
                ref_kecamatan=_GAZETTEER[1],
                city_code=self._city_code,
            ),
            tables,
        )
        ctes = [f"{source} AS (SELECT *, row_number() OVER () AS {order} FROM {_INPUT})"]
        ctes += [f"{tables[stage]} AS ({select})" for stage, select in stages]
        return f"WITH {', '.join(ctes)} SELECT * EXCLUDE ({order}) FROM ({final}) ORDER BY {order}"


def arrow_result(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> pa.Table:
    """The result of `sql` as Arrow, planned once.

    `con.sql(sql).to_arrow_table()` binds the query for the relation, then again
    to run it (~25 ms for the standardisation SQL); `execute` binds once. Its
    warning is about copying the rows, a few here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
        return con.execute(sql, params).to_arrow_table()


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
    except duckdb.CatalogException:
        return False
    return True
