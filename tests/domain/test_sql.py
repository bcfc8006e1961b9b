"""domain.sql says what domain.identity and domain.sex say, on tricky and random inputs."""

from __future__ import annotations

import random

import duckdb
import pytest

from domain import sql
from domain.identity import id_digits, kk_problem, nik_problem
from domain.regions import districts
from domain.sex import SEX_WORDS, sex_code


def _texts() -> list[str | None]:
    rng = random.Random(13)
    codes = [d.code for d in districts()]
    out: list[str | None] = [None, "", " ", "3273 0115 0190 0001", "3273011501900001.0",
                             "327301150190e004", "0x73011501900001", "９７０１"]  # fmt: skip
    for _ in range(400):
        head = rng.choice([rng.choice(codes), f"{rng.randrange(10**6):06d}"])
        day = rng.choice([rng.randrange(0, 100), rng.randrange(1, 32), rng.randrange(41, 72)])
        month, serial = rng.randrange(0, 14), rng.randrange(0, 3)
        text = f"{head}{day:02d}{month:02d}{rng.randrange(100):02d}{serial:04d}"
        out.append(text[: rng.choice([15, 16, 16, 16, 17])])
    return out


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    for statement in sql.SETUP:
        c.execute(statement)
    return c


def test_nik_and_kk_rules_are_the_same_in_sql(con: duckdb.DuckDBPyConnection) -> None:
    texts = _texts()
    query = (
        f"SELECT {sql.id_digits('t')}, {sql.nik_problem(sql.id_digits('t'))},"
        f" {sql.kk_problem(sql.id_digits('t'))} FROM (SELECT unnest($texts::VARCHAR[]) AS t,"
        " generate_subscripts($texts::VARCHAR[], 1) AS i) ORDER BY i"
    )
    got = con.execute(query, {"texts": texts}).fetchall()
    expected = [(id_digits(t), nik_problem(t), kk_problem(t)) for t in texts]
    assert got == expected


def test_sex_words_are_the_same_in_sql(con: duckdb.DuckDBPyConnection) -> None:
    words = [*SEX_WORDS, "pria", "Laki - laki", "perempuan ", "Pak", "X", "", None]
    got = [con.execute(f"SELECT {sql.sex_code('$w')}", {"w": w}).fetchone() for w in words]
    assert got == [(sex_code(w),) for w in words]
