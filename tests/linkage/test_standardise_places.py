"""Kelurahan and kecamatan named anywhere in a free-text address, against the real gazetteer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from connectors.canonical import PERSON_FIELDS
from linkage.gazetteer import ensure_gazetteer
from linkage.standardise import standardise


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    ensure_gazetteer(connection)
    yield connection
    connection.close()


def _places(con: duckdb.DuckDBPyConnection, **fields: Any) -> tuple[Any, ...]:
    columns = ", ".join(f"{name} {kind}" for name, kind in PERSON_FIELDS.items())
    con.execute(f"CREATE OR REPLACE TABLE records (source VARCHAR, {columns})")
    row = {"source": "test", "source_record_id": "1", **fields}
    con.execute(
        f"INSERT INTO records ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    standardise(con, "records", "standardised")
    found = con.execute(
        "SELECT kelurahan_name, kecamatan_name, kelurahan_code FROM standardised"
    ).fetchone()
    assert found is not None
    return tuple(found)


@pytest.mark.parametrize(
    ("address", "kelurahan", "kecamatan"),
    [
        ("RT 07 RW 09 Cisaranten Kidul Gedebage", "Cisaranten Kidul", "Gedebage"),
        ("Jl. Kopo No 12 Babakan Ciparay", "Babakan Ciparay", "Babakan Ciparay"),
        ("Jl. Kopo No 12 Babakan Ciparai", "Babakan Ciparay", "Babakan Ciparay"),
        ("Jl. Merdeka 10, Cisaranten Kulon, Arcamanik", "Cisaranten Kulon", "Arcamanik"),
        ("Jl. Asia Afrika No 1 Braga Sumur Bandung", "Braga", "Sumur Bandung"),
        ("RT 1 RW 2 Antapani Kidul Antapani", "Antapani Kidul", "Antapani"),
        ("Gg. Melati No 3 Cisarantn Kidul", "Cisaranten Kidul", "Gedebage"),
    ],
)
def test_place_without_prefix_is_found(
    con: duckdb.DuckDBPyConnection, address: str, kelurahan: str, kecamatan: str
) -> None:
    assert _places(con, address=address)[:2] == (kelurahan, kecamatan)


def test_longest_name_wins(con: duckdb.DuckDBPyConnection) -> None:
    # "Babakan" is a kelurahan too; "Babakan Ciparay" is the more specific one
    assert _places(con, address="RT 3 RW 4 Babakan Ciparay")[2] == "3273031002"


def test_ambiguous_run_gets_no_kelurahan(con: duckdb.DuckDBPyConnection) -> None:
    # Cisaranten alone is as close to Kulon, Kidul, Wetan and Endah
    assert _places(con, address="RT 3 RW 4 Cisaranten")[0] is None


def test_explicit_prefix_wins_over_a_street_named_like_a_kelurahan(
    con: duckdb.DuckDBPyConnection,
) -> None:
    assert _places(con, address="Jl. Dago No 5 Kel. Sekeloa")[:2] == ("Sekeloa", "Coblong")
    assert _places(con, address="RT 1 RW 2 Dago, Kel. Sekeloa")[0] == "Sekeloa"


def test_street_name_alone_is_not_a_kelurahan(con: duckdb.DuckDBPyConnection) -> None:
    assert _places(con, address="Jl. Sukajadi")[0] is None
    assert _places(con, address="Jl. Kopo No 12")[0] is None


def test_prefixed_kecamatan_is_not_read_as_a_kelurahan(con: duckdb.DuckDBPyConnection) -> None:
    # Babakan Ciparay is a kecamatan and a kelurahan: after "Kec." it is the kecamatan
    assert _places(con, address="Gg. Mawar No 3 Kec. Babakan Ciparay")[:2] == (
        None,
        "Babakan Ciparay",
    )


def test_structured_field_wins(con: duckdb.DuckDBPyConnection) -> None:
    found = _places(con, address="RT 07 RW 09 Cisaranten Kidul", kelurahan="Sekeloa")
    assert found[0] == "Sekeloa"
