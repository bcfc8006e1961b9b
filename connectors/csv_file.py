"""CSV files, parsed by DuckDB's `read_csv` straight into staging (the fast path)."""

from __future__ import annotations

import codecs
import re
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from connectors.base import Loaded, Reader, literal
from connectors.config import SourceConfig
from connectors.errors import (
    EmptySourceError,
    SourceConfigError,
    SourceEncodingError,
    SourceReadError,
)

#: Python codec names DuckDB reads natively, and DuckDB's name for each.
_NATIVE = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1", "iso8859-1": "latin-1"}
_NATIVE_UTF16 = {"utf-16": "utf-16"}


class CsvReader(Reader):
    kind = "csv"

    def read(self, config: SourceConfig) -> pa.Table:
        con = duckdb.connect()
        try:
            loaded = self.load(con, config, "incoming")
            return con.sql(
                f"SELECT * EXCLUDE (__row_number), __row_number FROM "
                f"(SELECT *, {loaded.row_expr} AS __row_number FROM {loaded.table})"
            ).to_arrow_table()
        finally:
            con.close()

    def load(self, con: duckdb.DuckDBPyConnection, config: SourceConfig, table: str) -> Loaded:
        path = config.path
        if not path.is_file():
            raise SourceReadError(str(path), "file not found; check 'location'.", source=config.id)
        if path.stat().st_size == 0 or not _head(path).strip():
            raise EmptySourceError(
                str(path), "the file is empty; ask the source for a new export.", source=config.id
            )
        encoding = _codec(config)
        duck_encoding = _NATIVE.get(encoding) or _NATIVE_UTF16.get(encoding)
        with tempfile.TemporaryDirectory() as tmp:
            read_path = path
            if duck_encoding is None:  # transcode anything DuckDB cannot read itself
                text = _decode(path, encoding, config)
                read_path = Path(tmp) / "transcoded.csv"
                read_path.write_text(text, encoding="utf-8")
                duck_encoding = "utf-8"
            options = [
                "all_varchar = true",
                "header = true",
                f"skip = {config.header_row - 1}",
                "null_padding = true",
                "parallel = true",
                f"encoding = {literal(duck_encoding)}",
            ]
            if config.delimiter:
                options.append(f"delim = {literal(config.delimiter)}")
            sql = (
                f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM "
                f"read_csv({literal(str(read_path))}, {', '.join(options)})"
            )
            try:
                [(rows,)] = con.execute(sql).fetchall()
            except duckdb.Error as exc:
                raise _explain(exc, path, encoding, config) from exc
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        return Loaded(
            table,
            columns,
            f"(rowid + {config.header_row + 1})",
            config.header_row,
            str(path),
            int(rows),
        )


def _head(path: Path, size: int = 4096) -> bytes:
    with path.open("rb") as f:
        return f.read(size)


def _codec(config: SourceConfig) -> str:
    try:
        name = codecs.lookup(config.encoding).name
    except LookupError as exc:
        raise SourceConfigError(
            str(config.config_file), "encoding", f"unknown encoding '{config.encoding}'."
        ) from exc
    return {"utf_8": "utf-8", "latin_1": "latin-1", "utf_16": "utf-16"}.get(name, name)


def _decode(path: Path, encoding: str, config: SourceConfig) -> str:
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc.start, encoding, config) from exc


def _explain(exc: duckdb.Error, path: Path, encoding: str, config: SourceConfig) -> SourceReadError:
    message = str(exc)
    if "unicode" in message.lower() or "not utf-8" in message.lower():
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as err:
            return _encoding_error(data, err.start, encoding, config)
    line = re.search(r"Line: (\d+)", message)
    first = message.splitlines()[0] if message else type(exc).__name__
    detail = next(
        (m for m in message.splitlines() if m and not m.startswith(("CSV Error", "Original"))), ""
    )
    return SourceReadError(
        str(path),
        f"cannot parse the CSV ({first}; {detail.strip()}). Check 'delimiter' and 'header_row'.",
        row=int(line.group(1)) if line else None,
        source=config.id,
    )


def _encoding_error(
    data: bytes, offset: int, encoding: str, config: SourceConfig
) -> SourceReadError:
    """Name the line and column of the first byte that is not valid in `encoding`."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    line_no = data.count(b"\n", 0, offset) + 1
    header_line = data.split(b"\n")[config.header_row - 1].decode(encoding, errors="replace")
    delim = config.delimiter or max((";", ",", "\t", "|"), key=header_line.count)
    field_index = data[line_start:offset].count(delim.encode())
    headers = [h.strip().strip('"') for h in header_line.rstrip("\r").split(delim)]
    column = headers[field_index] if field_index < len(headers) else f"#{field_index + 1}"
    bad = data[offset : offset + 4]
    return SourceEncodingError(
        str(config.path),
        f"byte(s) {bad!r} are not valid {encoding}. The file is probably in another encoding"
        " (often latin-1 or cp1252): set 'encoding' in the source TOML, or re-export as UTF-8.",
        row=line_no,
        column=column,
        source=config.id,
    )


__all__ = ["CsvReader"]
