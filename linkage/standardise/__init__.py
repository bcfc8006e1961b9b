"""Standardisation: canonical person records made comparable, in DuckDB SQL.

`standardise(con, source_table, target_table)` writes every source row with
the columns listed in `OUTPUT_COLUMNS` added (names, NIK/KK, dates, phone,
address and gazetteer codes). `register_macros(con)` puts the underlying
DuckDB macros, such as `parse_date_any(text)`, on a connection for reuse.
"""

from linkage.standardise.macros import register_macros
from linkage.standardise.pipeline import INPUT_FIELDS, OUTPUT_COLUMNS, standardise

__all__ = ["INPUT_FIELDS", "OUTPUT_COLUMNS", "register_macros", "standardise"]
