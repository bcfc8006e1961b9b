"""`hub export identities`: the crosswalk from source records to public ids."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from domain.formula import escape_row
from linkage._sql import scalar, table_exists
from linkage.errors import LinkageError

__all__ = ["EXPORT_COLUMNS", "export_identities"]

EXPORT_COLUMNS = ("source", "source_record_id", "person_id", "household_id", "match_probability")


def export_identities(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    """Write the identity map to `out` (.csv or .parquet); return the number of rows."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise LinkageError(f"cannot export to {out}: the file must end in .csv or .parquet")
    if not table_exists(con, "identity_map"):
        raise LinkageError("no identities yet: run `hub link` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(EXPORT_COLUMNS)
    query = f"SELECT {columns} FROM identity_map ORDER BY source, source_record_id"
    if suffix == ".parquet":
        con.execute(f"COPY ({query}) TO '{_quoted(out)}' (FORMAT parquet)").fetchall()
    else:
        _write_csv(con.execute(query), out)
    return scalar(con, "SELECT count(*) FROM identity_map")


def _write_csv(cursor: duckdb.DuckDBPyConnection, out: Path) -> None:
    """Rows through `escape_row`, so a source record id such as `=HYPERLINK(...)`
    reaches a spreadsheet as text, not as a formula."""
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EXPORT_COLUMNS)
        while rows := cursor.fetchmany(50_000):
            writer.writerows(map(escape_row, rows))


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
