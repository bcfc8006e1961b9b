"""`hub export identities`: the crosswalk from source records to public ids."""

from __future__ import annotations

from pathlib import Path

import duckdb

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
    fmt = "(FORMAT csv, HEADER true)" if suffix == ".csv" else "(FORMAT parquet)"
    columns = ", ".join(EXPORT_COLUMNS)
    con.execute(
        f"COPY (SELECT {columns} FROM identity_map ORDER BY source, source_record_id) "
        f"TO '{_quoted(out)}' {fmt}"
    ).fetchall()
    return scalar(con, "SELECT count(*) FROM identity_map")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
