"""The two ways a CSV file is parsed give the same values, names and row numbers.

Arrow's reader takes big files in the usual export dialects; DuckDB's `read_csv`
takes small files and everything unusual. Each case below is parsed both ways
(the size thresholds set to 0) and compared cell by cell.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from connectors import base, csv_file
from connectors.base import ROW_COLUMN, Loaded
from connectors.csv_file import CsvReader, arrow_read, duckdb_read
from tests.connectors.conftest import HEADER, WriteSource

SEMI = 'delimiter = ";"'
AUTO = ""  # no delimiter configured: sniffed

#: name -> (file text, TOML extra)
USUAL = {
    "plain": (f"{HEADER}\nA1;Budi;3273011501900001;;15-01-1990;L;Cibaduyut;Bojongloa\n", SEMI),
    "sniffed comma": ("ID,Nama Lengkap\nA1,Budi\nA2,Siti\n", AUTO),
    "sniffed tab": ("ID\tNama Lengkap\nA1\tBudi\nA2\t\n", AUTO),
    "quoted delimiters and doubled quotes": (
        'ID,Nama Lengkap\n"A1","Santoso, Budi"\nA2,"Siti ""Ami"" Aminah"\n',
        'delimiter = ","',
    ),
    "empty and quoted-empty cells": ('ID,Nama Lengkap,HP\nA1,,""\nA2," ",-\n', 'delimiter = ","'),
    "spaces kept as written": ("ID;Nama Lengkap\n A1 ;  Budi \n", SEMI),
    "utf-8 bom and crlf": ("\ufeffID;Nama Lengkap\r\nA1;Dédé Rohmat\r\nA2;Ujang\r\n", SEMI),
    "blank line in the middle": ("ID;Nama Lengkap\nA1;Budi\n\nA2;Siti\n", SEMI),
    "duplicate and empty header names": ("ID;Nama;Nama;\nA1;Budi;B;x\n", SEMI),
    "title lines above the header": (
        "Data Penerima Bantuan 2026\nYayasan Uji\nID;Nama Lengkap\nA1;Budi\nA2;Siti\n",
        SEMI + "\nheader_row = 3",
    ),
}


@pytest.fixture
def arrow_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrow's path and in-place staging for files of any size."""
    monkeypatch.setattr(csv_file, "ARROW_MIN_BYTES", 0)
    monkeypatch.setattr(base, "IN_PLACE_ROWS", 0)


def _table(con: duckdb.DuckDBPyConnection, loaded: Loaded) -> list[tuple[object, ...]]:
    cols = ", ".join(f'"{c}"' for c in loaded.columns)
    return con.execute(
        f"SELECT {loaded.row_expr} AS n, {cols} FROM {loaded.table} ORDER BY n"
    ).fetchall()


@pytest.mark.usefixtures("arrow_always")
@pytest.mark.parametrize("case", sorted(USUAL))
def test_arrow_and_duckdb_read_the_usual_exports_the_same(
    case: str, con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    text, extra = USUAL[case]
    config = write_source(text, extra=extra)
    data = arrow_read(con, config)
    assert data is not None, "the usual export should take Arrow's path"
    fast = CsvReader().load(con, config, "fast")
    assert fast.rowid == f'"{ROW_COLUMN}"'  # registered in place, not copied
    slow = duckdb_read(con, config, "slow")
    assert fast.columns == slow.columns
    assert fast.rows == slow.rows
    assert _table(con, fast) == _table(con, slow)


@pytest.mark.usefixtures("arrow_always")
def test_quoted_line_breaks_keep_the_row_numbers_of_their_first_line(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source('ID,Alamat\nA1,"Jl. Mawar 3\nRT 01"\nA2,Gg. Melati\n', extra="")
    loaded = CsvReader().load(con, config, "incoming")
    assert loaded.rowid == f'"{ROW_COLUMN}"'
    assert _table(con, loaded) == [(2, "A1", "Jl. Mawar 3\nRT 01"), (3, "A2", "Gg. Melati")]


def test_big_files_take_arrows_path_and_small_ones_duckdbs(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource, tmp_path: Path
) -> None:
    row = "A{};Budi Santoso bin Ahmad;3273011501900001;Jl. Mawar No. 3 RT 001 RW 002\n"
    rows = max(csv_file.ARROW_MIN_BYTES // len(row) + 1, base.IN_PLACE_ROWS)
    big = write_source("ID;Nama;NIK;Alamat\n" + "".join(row.format(i) for i in range(rows)))
    assert big.path.stat().st_size >= csv_file.ARROW_MIN_BYTES
    loaded = CsvReader().load(con, big, "big")
    assert loaded.rowid == f'"{ROW_COLUMN}"' and loaded.rows == rows
    assert con.execute(f"SELECT max({loaded.row_expr}) FROM big").fetchall() == [(rows + 1,)]
    small = write_source("ID;Nama\nA1;Budi\n", file="small.csv", id="yayasan-002")
    assert CsvReader().load(con, small, "small").rowid == "rowid"


UNUSUAL = {
    # Arrow refuses rows narrower than the header; DuckDB pads them with NULLs.
    "short rows": ("ID;Nama Lengkap;HP\nA1;Budi\nA2;Siti;0812\n", SEMI, "utf-8"),
    "latin-1": ("ID;Nama Lengkap\nA1;Dédé\nA2;Ujang\n", SEMI, "latin-1"),
    "short rows and a line break in quotes": (
        'ID,Alamat,HP\nA1,"Jl. Mawar\nRT 01"\nA2,Gg. Melati,0812\n',
        'delimiter = ","',
        "utf-8",
    ),
}


@pytest.mark.usefixtures("arrow_always")
@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_unusual_files_go_to_duckdb_and_still_load(
    case: str, con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    text, extra, encoding = UNUSUAL[case]
    config = write_source(text.encode(encoding), extra=f'{extra}\nencoding = "{encoding}"'.strip())
    assert encoding != "utf-8" or arrow_read(con, config) is None
    loaded = CsvReader().load(con, config, "incoming")
    assert loaded.rowid == "rowid"  # DuckDB's temp table
    rows = _table(con, loaded)
    assert [r[0] for r in rows] == [2, 3]
    assert rows[0][1] == "A1"
    if case.startswith("short rows"):
        assert rows[0][-1] is None  # the missing cell, padded
    else:
        assert rows[0][2] == "Dédé"


def test_braces_in_the_file_name_are_only_a_name(
    con: duckdb.DuckDBPyConnection, write_source: WriteSource
) -> None:
    config = write_source("ID;Nama Lengkap\nA1;Budi\n", file="laporan {2026} {x}.csv")
    loaded = CsvReader().load(con, config, "incoming")
    assert _table(con, loaded) == [(2, "A1", "Budi")]
