"""Spreadsheets as a foundation would upload them, made in tests: XLSX and CSV bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook


def xlsx_bytes(headers: Sequence[str], rows: Sequence[Sequence[str | None]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:  # text, as a person typed it: openpyxl would store '=...' as a formula
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence[str | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerows([headers, *[[v or "" for v in r] for r in rows]])
    return out.getvalue().encode()
