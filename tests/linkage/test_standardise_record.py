"""`RecordStandardiser` gives exactly what the bulk `standardise()` gives, row by row."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from linkage_city import mini_city, stage

from linkage.errors import LinkageError
from linkage.gazetteer import ensure_gazetteer
from linkage.standardise import OUTPUT_COLUMNS, standardise
from linkage.standardise.record import RecordStandardiser

TITLES = ["", "H. ", "Hj. ", "Drs. ", "Bapak ", "Ibu "]
DEGREES = ["", ", S.Pd.", " S.E.", ", A.Md.Keb"]
ADDRESS_FORMS = [
    "{street} No. {number} RT {rt}/RW {rw} Kel. {kel} Kec. {kec}",
    "{street} No {number}, RT.{rt} RW.{rw}, {kel}, {kec}, Kota Bandung",
    "RT {rt} RW {rw} {kel} {kec}",
    "{street} {number} {rt}/{rw} Kelurahan {kel_typo}",
    "{street} No {number} {kel_typo} {kec}",
    "Gg. Melati No {number} RT/RW {rt}/{rw} Desa {kel}",
    "{street}",
]
PHONES = ["+62 812-3456-{n:04d}", "0812 3456 {n:04d}", "022-7{n:04d}1", "62812{n:06d}", "-"]
SEXES = ["L", "P", "Laki-laki", "Perempuan", "W", "m", None]


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 6:
        return text
    i = rng.randrange(2, len(text) - 1)
    return text[:i] + text[i + 1 :]


def varied_rows(count: int = 200, seed: int = 5) -> list[dict[str, Any]]:
    """mini_city records made messy: titles, free-text addresses in many forms
    (with and without Kel. prefix, typos), NIK punctuation, phone and sex spellings."""
    rng = random.Random(seed)
    rows, _ = mini_city(households=70, seed=seed)
    rng.shuffle(rows)
    out = []
    for n, row in enumerate(rows[:count]):
        row = dict(row)
        row["full_name"] = f"{rng.choice(TITLES)}{row['full_name']}{rng.choice(DEGREES)}"
        if rng.random() < 0.15:
            row["full_name"] = row["full_name"].replace("u", "oe").replace("j", "dj")
        if rng.random() < 0.6:
            form = rng.choice(ADDRESS_FORMS)
            row["address"] = form.format(
                street=row["street"],
                number=row["house_number"],
                rt=row["rt"],
                rw=row["rw"],
                kel=row["kelurahan"],
                kec=row["kecamatan"],
                kel_typo=_typo(rng, row["kelurahan"]),
            )
            for field in ("street", "house_number", "rt", "rw", "kelurahan", "kecamatan"):
                if rng.random() < 0.8:
                    row[field] = None
        if row.get("nik") and rng.random() < 0.2:
            nik = row["nik"]
            row["nik"] = f"{nik[:6]}.{nik[6:12]}.{nik[12:]}"
        row["phone"] = rng.choice(PHONES).format(n=n) if rng.random() < 0.5 else row["phone"]
        row["sex"] = rng.choice(SEXES)
        if rng.random() < 0.05:
            row["full_name"] = None
        row["source_record_id"] = f"v{n}"
        out.append(row)
    return out


@pytest.fixture
def city() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    ensure_gazetteer(connection)
    stage(connection, varied_rows())
    standardise(connection, "current_records", "bulk")
    yield connection
    connection.close()


def _by_key(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {str(r["record_key"]): r for r in table.to_pylist()}


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right or (math.isnan(left) and math.isnan(right))
    return bool(left == right)


def _assert_equal(bulk: pa.Table, single: pa.Table) -> None:
    assert single.schema == bulk.schema
    expected, got = _by_key(bulk), _by_key(single)
    assert set(got) == set(expected)
    for column in bulk.column_names:
        differing = [
            (key, expected[key][column], got[key][column])
            for key in expected
            if not _same(expected[key][column], got[key][column])
        ]
        assert not differing, f"{column}: {differing[:3]}"


def test_one_record_at_a_time_equals_bulk(city: duckdb.DuckDBPyConnection) -> None:
    bulk = city.sql("SELECT * FROM bulk").to_arrow_table()
    source = city.sql("SELECT * FROM current_records").to_arrow_table()
    assert source.num_rows == 200
    standardiser = RecordStandardiser(city)
    single = pa.concat_tables(
        [standardiser.standardise(source.slice(i, 1)) for i in range(source.num_rows)]
    )
    _assert_equal(bulk, single)
    # the sample is varied: free text with and without prefix found places
    found = city.execute(
        """SELECT count(*) FILTER (WHERE address IS NOT NULL AND kelurahan IS NULL
                                   AND kelurahan_code IS NOT NULL),
                  count(DISTINCT name_clean), count(*) FILTER (WHERE phone_clean IS NULL)
           FROM bulk"""
    ).fetchone()
    assert found is not None and found[0] >= 30 and found[1] >= 50 and found[2] >= 5
    standardiser.close()


def test_small_batch_equals_bulk_and_keeps_input_order(city: duckdb.DuckDBPyConnection) -> None:
    bulk = city.sql("SELECT * FROM bulk").to_arrow_table()
    source = city.sql("SELECT * FROM current_records").to_arrow_table()
    standardiser = RecordStandardiser(city)
    batch = standardiser.standardise(source.slice(0, 25))
    assert (
        batch.column("record_key").to_pylist()
        == source.slice(0, 25).column("record_key").to_pylist()
    )
    keys = set(batch.column("record_key").to_pylist())
    expected = [r for r in bulk.to_pylist() if r["record_key"] in keys]
    _assert_equal(pa.Table.from_pylist(expected, schema=bulk.schema), batch)


def test_standardiser_signature_writes_the_target(city: duckdb.DuckDBPyConnection) -> None:
    standardiser = RecordStandardiser(city)
    standardiser(city, "current_records", "again")
    _assert_equal(
        city.sql("SELECT * FROM bulk").to_arrow_table(),
        city.sql("SELECT * FROM again").to_arrow_table(),
    )


def test_without_gazetteer_place_codes_are_null() -> None:
    connection = duckdb.connect()
    stage(connection, varied_rows(20))
    standardise(connection, "current_records", "bulk")
    standardiser = RecordStandardiser(connection)
    single = standardiser.standardise(
        connection.sql("SELECT * FROM current_records").to_arrow_table()
    )
    _assert_equal(connection.sql("SELECT * FROM bulk").to_arrow_table(), single)
    assert set(single.column("kelurahan_code").to_pylist()) == {None}
    assert list(single.column_names)[-len(OUTPUT_COLUMNS) :] == list(OUTPUT_COLUMNS)


def test_missing_fields_are_a_clear_error() -> None:
    standardiser = RecordStandardiser()
    with pytest.raises(LinkageError, match="full_name"):
        standardiser.standardise(pa.table({"nik": ["1"]}))
