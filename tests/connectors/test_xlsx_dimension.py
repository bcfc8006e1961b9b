"""A sheet's declared used range (`<dimension ref>`), which nothing checks, and
spreadsheets that would make a few KB into billions of cells, through the
console's upload preview (connectors.upload, the XLSX reader `hub ingest` uses):

- read-only openpyxl trusts the declared range: it cut every row and the sheet
  to it (a file declaring `A1:B2` lost its third column and every person past row
  2, silently) and padded every row to it and filled every missing row up to a
  cell far down (a 6 KB file declaring `A1:XFD1048576` with a header cell in
  column ALL and one in the last row took minutes of CPU for each preview, 1,000
  checks for each of a million empty rows). The reader reads the cells the sheet
  holds;
- one header cell far right (`XFD1`) makes every row as wide: a sheet is read up to
  `MAX_COLUMNS` columns and `MAX_CELLS` cells (rows by columns), else refused with
  what to do, before a cell of the table is made;
- a zip bomb: an upload of a few hundred KB that unpacks to gigabytes of XML, each
  cell of which the reader would parse; refused at upload by what it declares it
  unpacks to (`MAX_UNPACKED_BYTES`), which the zip reader holds it to.

Each read runs in a child process under a CPU limit far above what it needs (a
few seconds): a reader that pads again is killed there and fails this test
instead of hanging the suite. No figure of time is asserted."""

from __future__ import annotations

import io
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sheets import xlsx_bytes

from connectors.upload import MAX_BYTES, MAX_UNPACKED_BYTES, UploadRejected, UploadStore
from connectors.xlsx_file import MAX_CELLS, MAX_COLUMNS

#: the CPU seconds a child may use: each read here takes a few
CPU_LIMIT_S = 60
ORG = "ORG-YAYASAN-X"


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(far_header: str, rows: str = "", dimension: str = "A1:XFD1048576") -> bytes:
    """A real workbook of two columns and one person, its sheet then made to declare
    `dimension`, with a header cell in column `far_header` and `rows` (XML) after."""
    data = xlsx_bytes(["Nama Lengkap", "NIK"], [["Siti Aminah", "3273014501800001"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        for item in source.infolist():
            text = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = text.decode()
                xml = re.sub(r'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>', xml)
                assert f'<dimension ref="{dimension}"/>' in xml
                xml = xml.replace("</row>", _inline(f"{far_header}1", "catatan") + "</row>", 1)
                text = xml.replace("</sheetData>", rows + "</sheetData>").encode()
            book.writestr(item, text)
    return out.getvalue()


LAST_ROW = '<row r="1048576">' + _inline("A1048576", "Budi Santoso") + "</row>"

CHILD = """
import sys
from pathlib import Path
from connectors.upload import UploadRejected, UploadStore
try:
    preview = UploadStore(Path(sys.argv[1])).preview("ORG-YAYASAN-X", "daftar.xlsx")
except UploadRejected as exc:
    print("rejected", exc.code, exc)
else:
    print("read", preview.rows, [c.header for c in preview.columns])
"""


def _limit_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S))


def preview(tmp_path: Path, data: bytes, limit: Callable[[], None] = _limit_cpu) -> str:
    """The upload preview of `data`, as the child printed it under `limit`."""
    config = tmp_path / "intake" / "config"
    UploadStore(config).accept(ORG, "daftar.xlsx", data)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(config)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, f"out of memory or CPU, or failed: {done.stderr[-2000:]}"
    return done.stdout.strip()


def test_a_sheet_is_read_as_it_holds_whatever_range_it_declares(tmp_path: Path) -> None:
    smaller = preview(tmp_path / "smaller", workbook("C", LAST_ROW, dimension="A1:B2"))
    assert smaller == "read 2 ['Nama Lengkap', 'NIK', 'catatan']"

    data = workbook("ALL", LAST_ROW)  # a header as wide as is read (1,000 columns)
    assert len(data) < 10_000
    read = preview(tmp_path / "larger", data)
    assert read.startswith("read 2 ['Nama Lengkap', 'NIK', 'column2', ")
    assert read.endswith(", 'column998', 'catatan']")


def test_a_header_far_right_or_too_many_cells_is_refused_saying_what_to_do(
    tmp_path: Path,
) -> None:
    wide = preview(tmp_path / "wide", workbook("XFD", LAST_ROW))
    assert wide.startswith("rejected unreadable")
    assert "reaches column XFD (16,384 columns)" in wide and f"at most {MAX_COLUMNS:,}" in wide

    last = "ALL"  # the 1,000th column: as wide as is read
    people = MAX_CELLS // MAX_COLUMNS  # with the one person already there: one row too many
    rows = "".join(f'<row r="{n}">{_inline(f"A{n}", "x")}</row>' for n in range(3, people + 3))
    many = preview(tmp_path / "many", workbook(last, rows, dimension=f"A1:{last}2"))
    assert many.startswith("rejected unreadable")
    assert f"{people + 1:,} rows of {MAX_COLUMNS:,} columns" in many


def test_a_workbook_that_unpacks_past_the_limit_is_refused_at_upload(tmp_path: Path) -> None:
    data = workbook("C")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        for item in source.infolist():
            book.writestr(item, source.read(item))
        book.writestr("xl/media/padding.bin", bytes(MAX_UNPACKED_BYTES))  # zeros zip to KBs
    bomb = out.getvalue()
    assert len(bomb) < MAX_BYTES // 10
    with pytest.raises(UploadRejected) as refused:
        UploadStore(tmp_path / "config").accept(ORG, "daftar.xlsx", bomb)
    assert refused.value.code == "too_large_unpacked"
    assert refused.value.params == {"file": "daftar.xlsx", "mb": f"{MAX_UNPACKED_BYTES // 10**6}"}
    UploadStore(tmp_path / "config").accept(ORG, "daftar.xlsx", data)  # its sheet alone: taken


#: the address space a child may use: the reader needs a few hundred MB
MEMORY_LIMIT_BYTES = 2 * 1024**3


def _limit_cpu_and_memory() -> None:
    _limit_cpu()
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def test_a_note_far_right_on_every_row_is_read_without_holding_it(tmp_path: Path) -> None:
    """A cell far right of the header on each row (a note in XFD, a stray space)
    is past the table and dropped; each row was held at its full width (16,384
    cells) until the whole sheet was read, so 30,000 such rows, a few hundred KB
    unpacked, needed gigabytes before a check ran."""
    people = 30_000
    rows = "".join(
        f'<row r="{n}">{_inline(f"A{n}", "x")}{_inline(f"XFD{n}", "n")}</row>'
        for n in range(3, people + 3)
    )
    data = workbook("C", rows, dimension="A1:C2")
    assert len(data) < MAX_BYTES
    got = preview(tmp_path, data, _limit_cpu_and_memory)
    assert got == f"read {people + 1} ['Nama Lengkap', 'NIK', 'catatan']"
