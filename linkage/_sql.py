"""Small helpers for the shared DuckDB connection: always finish a result (fetchall)."""

from __future__ import annotations

from typing import Any

import duckdb


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None
) -> tuple[Any, ...] | None:
    rows = con.execute(sql, params or {}).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None) -> int:
    row = first_row(con, sql, params)
    return int(row[0]) if row and row[0] is not None else 0


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Does `name` resolve, as a later query would resolve it (table or view)?"""
    try:
        con.execute(f"DESCRIBE SELECT * FROM {name}").fetchall()
    except duckdb.CatalogException:
        return False
    return True
