"""The province bench's parsing and growth fit (the bench itself is not a test)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_province import Run, Step, fit, fits, parse_counts, parse_profile
from blocking_counts import equi_keys


def test_record_counts_parse_in_scientific_notation() -> None:
    assert parse_counts("1e5,2e6, 500000") == [100_000, 2_000_000, 500_000]


def test_fit_recovers_the_exponent_of_a_power_law() -> None:
    points = [(n, 3e-4 * n**1.5) for n in (1e5, 1e6, 2e6)]
    found = fit(points)
    assert found is not None
    a, b = found
    assert b == pytest.approx(1.5)
    assert a == pytest.approx(3e-4)
    assert fit(points[:1]) is None


def test_fits_cover_commands_and_link_steps() -> None:
    runs = [
        Run(n, n // 7, "duckdb", [Step("load", n / 1e3, 1, 1)], [Step("predict", n / 1e4, 1, 1)])
        for n in (100_000, 400_000)
    ]
    found = fits(runs)
    assert found["load"][1] == pytest.approx(1.0)
    assert found["link: predict"][1] == pytest.approx(1.0)


def test_the_profile_table_is_read_back() -> None:
    text = """
            where the time went
┏━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━┓
┃ step              ┃ seconds ┃ CPU seconds ┃ share ┃
┡━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━┩
│ standardise       │    5.50 │        3.20 │   14% │
│ assign stable ids │    0.40 │        0.30 │    1% │
│ total             │    5.90 │        3.50 │  100% │
└───────────────────┴─────────┴─────────────┴───────┘
"""
    assert parse_profile(text) == [("standardise", 5.5, 3.2), ("assign stable ids", 0.4, 0.3)]


def test_blocking_keys_are_the_equal_parts_of_a_rule() -> None:
    assert equi_keys("(l.nik_clean = r.nik_clean) AND (l.birth_year = r.birth_year)") == [
        "nik_clean",
        "birth_year",
    ]
    assert equi_keys(
        "left(l.nik_clean, 12) = left(r.nik_clean, 12) AND l.a = r.a AND (l.b = r.b OR l.c IS NULL)"
    ) == ["left(nik_clean, 12)", "a"]
