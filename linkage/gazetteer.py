"""The gazetteer standardisation matches addresses against: the city's kelurahan
and kecamatan (`ref_kelurahan`, `ref_kecamatan`).

Staging has them once `connectors.reference` has loaded the reference data. A
connection without them (a scratch DuckDB: the real-time linker's private one,
tests, benches) gets them as temp tables from the same CSV files in
`connectors/reference/`, so every path standardises against one list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import duckdb

from linkage._sql import table_exists

#: the reference data's folder (connectors/reference), read as files: linkage
#: imports nothing of connectors beyond the canonical contract
REFERENCE_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "connectors" / "reference"

#: gazetteer table -> its CSV file in REFERENCE_DIR
GAZETTEER_FILES: Final[dict[str, str]] = {
    "ref_kelurahan": "kelurahan.csv",
    "ref_kecamatan": "kecamatan.csv",
}


def ensure_gazetteer(con: duckdb.DuckDBPyConnection) -> None:
    """Give `con` the gazetteer tables it lacks, as temp tables from the CSV files."""
    for table, csv in GAZETTEER_FILES.items():
        path = REFERENCE_DIR / csv
        if not table_exists(con, table) and path.exists():
            con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv($path, all_varchar=true)",
                {"path": str(path)},
            )


__all__ = ["GAZETTEER_FILES", "REFERENCE_DIR", "ensure_gazetteer"]
