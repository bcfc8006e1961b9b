"""The one small interface every connector kind implements.

A reader turns a source into rows of raw strings, exactly as exported, with
the row number a person would look up in the file. Most readers build an Arrow
table (`read`); the staging step reads it in place through a DuckDB view
(`load`, no copy). CSV overrides `load`: Arrow's multi-threaded parser in the
dialect DuckDB sniffs, and DuckDB's own `read_csv` for anything unusual.
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from connectors.config import SourceConfig
from connectors.errors import MissingColumnError

#: Column holding the row number in Arrow tables from readers.
ROW_COLUMN = "__row_number"
#: Arrow tables from this many rows up are staged in place rather than copied.
IN_PLACE_ROWS = 50_000


@dataclass(frozen=True)
class Loaded:
    """A source loaded as a DuckDB relation of VARCHAR columns: a temp table, or a view
    over an Arrow table registered on the connection (`release` drops either)."""

    table: str
    columns: list[str]
    row_expr: str  # SQL giving each row's number in the source
    header_row: int
    location: str  # file or URL, for messages
    rows: int | None = None  # row count, when loading already told it
    rowid: str = "rowid"  # a column unique per row, for joining back to the raw values


def release(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what `load` made under `table`, whichever kind it was."""
    con.unregister(table)  # a no-op unless an Arrow table is registered under the name
    con.execute(f"DROP TABLE IF EXISTS temp.{table}")


class Reader(ABC):
    kind: ClassVar[str]

    @abstractmethod
    def read(self, config: SourceConfig) -> pa.Table:
        """The source as an Arrow table of strings plus `ROW_COLUMN`."""

    def load(self, con: duckdb.DuckDBPyConnection, config: SourceConfig, table: str) -> Loaded:
        data = self.read(config)
        return load_arrow(con, data, table, header_row=config.header_row, location=describe(config))


def describe(config: SourceConfig) -> str:
    return config.location if config.kind == "http-json" else str(config.path)


def load_arrow(
    con: duckdb.DuckDBPyConnection, data: pa.Table, table: str, *, header_row: int, location: str
) -> Loaded:
    """`data` as the relation `table`: a big table is scanned in place (in parallel, no
    copy); a small one is copied into a temp table, since every scan of Arrow data from
    Python has a fixed cost that outweighs the copy of a few thousand rows."""
    release(con, table)
    row = quote(ROW_COLUMN)
    if data.num_rows >= IN_PLACE_ROWS:
        con.register(table, data)
        rowid = row
    else:
        view = f"{table}_arrow"
        con.register(view, data)
        try:
            con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {view}")
        finally:
            con.unregister(view)
        rowid = "rowid"
    columns = [c for c in data.column_names if c != ROW_COLUMN]
    return Loaded(table, columns, row, header_row, location, data.num_rows, rowid=rowid)


def arrow_from_rows(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], row_numbers: Iterable[int]
) -> pa.Table:
    """An Arrow table of strings from Python rows (values are made text with `to_text`)."""
    cols: list[list[str | None]] = [[] for _ in columns]
    for row in rows:
        for i, col in enumerate(cols):
            col.append(to_text(row[i]) if i < len(row) else None)
    arrays = [pa.array(c, type=pa.string()) for c in cols]
    arrays.append(pa.array(list(row_numbers), type=pa.int64()))
    return pa.Table.from_arrays(arrays, names=[*unique_names(columns), ROW_COLUMN])


def to_text(value: Any) -> str | None:
    """A raw value as the text a person would see in the source."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, int | decimal.Decimal | dt.date | dt.time):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def unique_names(columns: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(columns):
        name = raw if raw else f"column{i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _norm_header(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def resolve_columns(config: SourceConfig, loaded: Loaded, hint: str = "") -> dict[str, str]:
    """Map each configured source column to the actual header name in the file.

    Exact names win; otherwise case and spacing are ignored. A configured column
    missing from the header is a file-level error naming what was expected and found.
    """
    by_norm = {_norm_header(c): c for c in reversed(loaded.columns)}
    wanted = [*config.columns, *config.services.values()]
    resolved: dict[str, str] = {}
    missing: list[str] = []
    for col in wanted:
        if col in loaded.columns:
            resolved[col] = col
        elif _norm_header(col) in by_norm:
            resolved[col] = by_norm[_norm_header(col)]
        else:
            missing.append(col)
    if missing:
        found = ", ".join(repr(c) for c in loaded.columns[:30])
        close = difflib.get_close_matches(missing[0], loaded.columns, n=1)
        did_you_mean = f" Did you mean {close[0]!r}?" if close else ""
        raise MissingColumnError(
            loaded.location,
            f"expected column(s) {', '.join(repr(m) for m in missing)} not found in the header"
            f" (found {found}).{did_you_mean}{hint} Fix [columns] in {config.config_file.name}"
            " or the file's header.",
            row=loaded.header_row,
            column=missing[0],
            source=config.id,
        )
    return resolved


__all__ = [
    "ROW_COLUMN",
    "Loaded",
    "Reader",
    "arrow_from_rows",
    "load_arrow",
    "release",
    "resolve_columns",
    "to_text",
]
