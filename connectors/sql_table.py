"""A table or query in a database: SQLite files through Python's sqlite3."""

from __future__ import annotations

import sqlite3

import pyarrow as pa

from connectors.base import Reader, arrow_from_rows
from connectors.config import SourceConfig
from connectors.errors import SourceConfigError, SourceReadError


class SqlReader(Reader):
    kind = "sql"

    def read(self, config: SourceConfig) -> pa.Table:
        if config.location.startswith(("postgres://", "postgresql://")):
            raise SourceConfigError(
                str(config.config_file), "location",
                "PostgreSQL sources are not supported yet; export to SQLite or CSV.",
            )  # fmt: skip
        path = config.path
        if not path.is_file():
            raise SourceReadError(
                str(path), "database file not found; check 'location'.", source=config.id
            )
        sql = config.query or 'SELECT * FROM "' + str(config.table).replace('"', '""') + '"'
        try:
            con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise SourceReadError(
                str(path), f"cannot open the database ({exc}).", source=config.id
            ) from exc
        try:
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            key = "query" if config.query else "table"
            raise SourceReadError(
                str(path), f"the {key} failed ({exc}); check '{key}' in {config.config_file.name}.",
                source=config.id,
            ) from exc  # fmt: skip
        finally:
            con.close()
        return arrow_from_rows(columns, rows, range(1, len(rows) + 1))


__all__ = ["SqlReader"]
