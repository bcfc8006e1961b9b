"""XLSX workbooks (openpyxl, read-only), one sheet per source."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from connectors.base import Reader, arrow_from_rows, to_text
from connectors.config import SourceConfig
from connectors.errors import EmptySourceError, MissingColumnError, SourceReadError

#: the widest header read (a spreadsheet of people has tens of columns; Excel's last is
#: XFD, 16,384), and the most cells (rows by header columns) one sheet becomes: each is
#: a cell of the table whatever the file holds there, so one header cell far right times
#: a million short rows (a few hundred KB zipped) would be billions
MAX_COLUMNS = 1_000
MAX_CELLS = 50_000_000


class XlsxReader(Reader):
    kind = "xlsx"

    def read(self, config: SourceConfig) -> pa.Table:
        path = config.path
        if not path.is_file():
            raise SourceReadError(str(path), "file not found; check 'location'.", source=config.id)
        if path.stat().st_size == 0:
            raise EmptySourceError(str(path), "the file is empty.", source=config.id)
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
            raise SourceReadError(
                str(path), f"not a readable .xlsx workbook ({exc}); re-save it as .xlsx.",
                source=config.id,
            ) from exc  # fmt: skip
        try:
            if config.sheet is not None and config.sheet not in book.sheetnames:
                raise SourceReadError(
                    str(path),
                    f"no sheet named '{config.sheet}' (sheets: {', '.join(book.sheetnames)}).",
                    source=config.id,
                )
            sheet = book[config.sheet] if config.sheet else book.worksheets[0]
            # the cells the sheet holds, not the used range it declares: read-only
            # openpyxl pads every row to that range, and a file of a few KB declaring
            # A1:XFD1048576 became a billion cells
            sheet.reset_dimensions()
            head, body, numbers = _read_rows(sheet.iter_rows(values_only=True), config.header_row)
        finally:
            book.close()
        if len(head) < config.header_row:
            raise EmptySourceError(
                str(path), f"the sheet has no row {config.header_row} to read the header from.",
                source=config.id,
            )  # fmt: skip
        header = _header(head[config.header_row - 1])
        _check_header(config, header, head, str(path))
        width = _width(header)
        _check_size(width, len(body), config, str(path))  # before a cell of each is made
        return arrow_from_rows(header[:width], body, numbers)


#: the rows above and around the header kept whole (`_check_header` looks for it there)
HINT_ROWS = 30


def _read_rows(
    rows: Iterator[tuple[Any, ...]], header_row: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[int]]:
    """(the first rows whole, the body's rows that hold something, their row numbers):
    each body row is cut to the header's width as it is read, and reading stops
    once the body is past `MAX_COLUMNS` or `MAX_CELLS` (it is refused then), so a
    cell far right of the table on every row is not held at that width."""
    head: list[tuple[Any, ...]] = []
    body: list[tuple[Any, ...]] = []
    numbers: list[int] = []
    width = 0
    for n, row in enumerate(rows, start=1):
        if n <= max(header_row, HINT_ROWS):
            head.append(tuple(row))
        if n == header_row:
            width = _width(_header(row))
        elif n > header_row:
            if width > MAX_COLUMNS or width * len(body) > MAX_CELLS:
                break  # refused by _check_size: nothing more is needed
            cut = tuple(row[:width])
            if any(v is not None and str(v).strip() for v in cut):
                body.append(cut)
                numbers.append(n)
    return head, body, numbers


def _header(row: Sequence[Any]) -> list[str]:
    return [_header_text(v) for v in row]


def _width(header: Sequence[str]) -> int:
    """The columns read: up to the last named one."""
    return max((i + 1 for i, h in enumerate(header) if h), default=0)


def _check_size(width: int, rows: int, config: SourceConfig, file: str) -> None:
    """SourceReadError for a sheet wider than MAX_COLUMNS or of more than MAX_CELLS."""
    if width > MAX_COLUMNS:
        raise SourceReadError(
            file,
            f"the header row reaches column {get_column_letter(width)} ({width:,} columns); "
            f"at most {MAX_COLUMNS:,} are read: delete the columns past the data and save again.",
            row=config.header_row,
            source=config.id,
        )
    if width * rows > MAX_CELLS:
        raise SourceReadError(
            file,
            f"{rows:,} rows of {width:,} columns are more than {MAX_CELLS:,} cells: "
            "delete the empty rows and columns past the data, or split the sheet.",
            source=config.id,
        )


def _header_text(value: Any) -> str:
    return (to_text(value) or "").strip()


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def _check_header(
    config: SourceConfig, header: list[str], rows: list[tuple[Any, ...]], file: str
) -> None:
    """Spot a title row above the header and say which row to set as `header_row`."""
    wanted = [*config.columns, *config.services.values()]
    have = {_norm(h) for h in header}
    missing = [c for c in wanted if _norm(c) not in have]
    if not missing:
        return
    best_row, best_hits = 0, 0
    for i, row in enumerate(rows[:30], start=1):
        cells = {_norm(_header_text(v)) for v in row}
        hits = sum(_norm(c) in cells for c in wanted)
        if hits > best_hits:
            best_row, best_hits = i, hits
    hint = ""
    if best_row and best_row != config.header_row and best_hits > len(wanted) - len(missing):
        hint = f" Row {best_row} looks like the header: set header_row = {best_row}."
    found = ", ".join(repr(h) for h in header if h) or "nothing"
    raise MissingColumnError(
        file,
        f"expected column(s) {', '.join(repr(m) for m in missing)} not found in header row"
        f" {config.header_row} (found {found}).{hint}",
        row=config.header_row,
        column=missing[0],
        source=config.id,
    )


__all__ = ["MAX_CELLS", "MAX_COLUMNS", "XlsxReader"]
