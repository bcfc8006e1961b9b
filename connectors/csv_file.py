"""CSV files: Arrow's parser in the dialect DuckDB sniffs, DuckDB's `read_csv` otherwise.

The usual export (UTF-8, one delimiter, RFC 4180 quoting, every row as wide as
the header) is parsed by Arrow's multi-threaded CSV reader, using the delimiter,
quoting and header names DuckDB's sniffer finds, and staged in place (no copy).
Anything else — another encoding, short rows to pad with NULLs, a comment
character, a row Arrow refuses — goes through DuckDB's `read_csv`, which also
gives the error messages naming line and column. Both ways give the same
values and row numbers (tests/connectors/test_csv_paths.py).
"""

from __future__ import annotations

import codecs
import re
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from connectors.base import ROW_COLUMN, Loaded, Reader, literal, load_arrow, quote
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
_NATIVE_UTF8 = frozenset(k for k, v in _NATIVE.items() if v == "utf-8")
#: Smaller files go straight to DuckDB: Arrow saves the copy of big ones, while for a
#: foundation's sheet of a few hundred rows the sniffing around it costs more.
ARROW_MIN_BYTES = 4_000_000


class CsvReader(Reader):
    kind = "csv"

    def read(self, config: SourceConfig) -> pa.Table:
        con = duckdb.connect()
        try:
            loaded = self.load(con, config, "incoming")
            columns = ", ".join(quote(c) for c in loaded.columns)
            return con.sql(
                f"SELECT {columns}, {loaded.row_expr} AS {quote(ROW_COLUMN)} FROM {loaded.table}"
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
        if _codec(config) in _NATIVE_UTF8 and path.stat().st_size >= ARROW_MIN_BYTES:
            data = arrow_read(con, config)
            if data is not None:
                where = str(path)
                return load_arrow(con, data, table, header_row=config.header_row, location=where)
        return duckdb_read(con, config, table)


def duckdb_read(con: duckdb.DuckDBPyConnection, config: SourceConfig, table: str) -> Loaded:
    """The file parsed by DuckDB's `read_csv` into a temp table (any encoding, short rows
    padded with NULLs, errors that name the line)."""
    path = config.path
    encoding = _codec(config)
    duck_encoding = _NATIVE.get(encoding) or _NATIVE_UTF16.get(encoding)
    with tempfile.TemporaryDirectory() as tmp:
        read_path = path
        if duck_encoding is None:  # transcode anything DuckDB cannot read itself
            text = _decode(path, encoding, config)
            read_path = Path(tmp) / "transcoded.csv"
            read_path.write_text(text, encoding="utf-8")
            duck_encoding = "utf-8"
        options = ", ".join(_options(config, duck_encoding))

        def create(parallel: bool) -> int:
            [(rows,)] = con.execute(
                f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv("
                f"{literal(str(read_path))}, {options}, parallel = {str(parallel).lower()})"
            ).fetchall()
            return int(rows)

        try:
            try:
                rows = create(parallel=True)
            except duckdb.Error as exc:
                # DuckDB's parallel scanner cannot pad short rows of a file with
                # line breaks inside quotes; its single-threaded one can.
                if "parallel=false" not in str(exc):
                    raise
                rows = create(parallel=False)
        except duckdb.Error as exc:
            raise _explain(exc, path, encoding, config) from exc
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    return Loaded(
        table,
        columns,
        f"(rowid + {config.header_row + 1})",
        config.header_row,
        str(path),
        rows,
    )


def _options(config: SourceConfig, encoding: str) -> list[str]:
    """`read_csv` options both ways share (so the sniffer sees what the reader would)."""
    options = [
        "all_varchar = true",
        "header = true",
        f"skip = {config.header_row - 1}",
        "null_padding = true",
        f"encoding = {literal(encoding)}",
    ]
    if config.delimiter:
        options.append(f"delim = {literal(config.delimiter)}")
    return options


def arrow_read(con: duckdb.DuckDBPyConnection, config: SourceConfig) -> pa.Table | None:
    """A UTF-8 file as an Arrow table of strings plus `ROW_COLUMN`, or None when it needs
    DuckDB's reader: a dialect Arrow cannot follow, or any row Arrow refuses."""
    path = config.path
    try:
        [(delim, quote, escape, comment, skipped, header, columns)] = con.execute(
            "SELECT Delimiter, Quote, Escape, Comment, SkipRows, HasHeader, Columns"
            f" FROM sniff_csv({literal(str(path))}, {', '.join(_options(config, 'utf-8'))})"
        ).fetchall()
    except duckdb.Error:
        return None
    quote = "" if quote == "(empty)" else quote
    escape = "" if escape == "(empty)" else escape
    if (
        len(delim) != 1
        or comment != "(empty)"
        or not header
        or skipped != config.header_row - 1
        or quote not in ("", '"', "'")
        or escape not in ("", quote or '"', "\\")
    ):
        return None
    names = [str(c["name"]) for c in columns]
    try:
        data = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(skip_rows=config.header_row, column_names=names),
            parse_options=pa_csv.ParseOptions(
                delimiter=delim,
                # A sample without quotes leaves DuckDB's quote empty; later rows are
                # still read the RFC 4180 way.
                quote_char=quote or '"',
                double_quote=escape != "\\",
                escape_char="\\" if escape == "\\" else False,
                newlines_in_values=True,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    first = config.header_row + 1
    rows = pa.array(np.arange(first, first + data.num_rows, dtype=np.int64))
    return data.append_column(ROW_COLUMN, rows)


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


__all__ = ["CsvReader", "arrow_read", "duckdb_read"]
