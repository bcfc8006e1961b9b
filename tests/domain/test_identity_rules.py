"""The NIK and KK rules of domain.identity, one test per rule."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.identity import (
    PROBLEMS,
    expand_year,
    id_digits,
    kk_problem,
    nik_birth_date,
    nik_district,
    nik_problem,
    nik_sex,
    valid_kk,
    valid_nik,
)

MAN = "3273011501900001"  # Sukasari, Kota Bandung; born 15-01-1990
WOMAN = "3273015501920002"  # the same district; born 15-01-1992 (day + 40)


@pytest.mark.parametrize(
    ("text", "digits"),
    [("3273 0115 0190 0001", MAN), ("3273.0115.0190.0001", MAN), ("3273-0115-0190-0001", MAN),
     ("3273011501900001.0", MAN), ("'3273011501900001", MAN), ("", None), (None, None),
     ("327301150190000O", "327301150190000O")],
)  # fmt: skip
def test_separators_and_a_spreadsheet_tail_are_dropped_letters_kept(
    text: str | None, digits: str | None
) -> None:
    assert id_digits(text) == digits


@pytest.mark.parametrize("text", ["327301150190001", "32730115019000011", "327301150190000O"])
def test_a_nik_is_16_digits(text: str) -> None:
    assert nik_problem(text) == "not_16_digits"


@pytest.mark.parametrize(
    "nik",
    ["9701011501900001",  # no province 97 (the list ends at 96, Papua Barat Daya)
     "0273011501900001",  # no province starts with 0
     "3200011501900001",  # no regency 00
     "3273991501900001",  # Kota Bandung has no district 99
     "0000000000000000"],
)  # fmt: skip
def test_a_nik_starts_with_a_real_district(nik: str) -> None:
    assert nik_problem(nik) == "unknown_district"


@pytest.mark.parametrize(
    ("nik", "problem"),
    [("3273013201900001", "impossible_birth_date"),  # day 32
     ("3273014001900001", "impossible_birth_date"),  # day 40: neither a man's nor a woman's
     ("3273017201900001", "impossible_birth_date"),  # day 72 = 32 + 40
     ("3273013002900001", "impossible_birth_date"),  # 30 February
     ("3273011513900001", "impossible_birth_date"),  # month 13
     ("3273012902010001", None),  # 29 February: a real day in some year
     ("3273016902010001", None)],  # ... for a woman too
)  # fmt: skip
def test_a_nik_holds_a_calendar_day_with_40_added_for_women(nik: str, problem: str | None) -> None:
    assert nik_problem(nik) == problem


def test_a_nik_serial_is_not_0000() -> None:
    assert nik_problem("3273011501900000") == "zero_serial"


def test_every_problem_has_a_description() -> None:
    for nik in ("1", "9701011501900001", "3273013201900001", "3273011501900000"):
        assert PROBLEMS[str(nik_problem(nik))]


def test_a_valid_nik_decodes_its_birth_date_sex_and_district() -> None:
    today = dt.date(2026, 12, 1)
    assert (nik_birth_date(MAN, today), nik_sex(MAN)) == (dt.date(1990, 1, 15), "L")
    assert (nik_birth_date(WOMAN, today), nik_sex(WOMAN)) == (dt.date(1992, 1, 15), "P")
    assert nik_district(MAN) == "327301"
    assert (valid_nik("3273 0115 0190 0001"), valid_nik("9701011501900001")) == (MAN, None)
    assert nik_birth_date("3273012902010001", today) is None  # 2001 was no leap year
    assert nik_sex("9701011501900001") is None


def test_two_digit_years_are_never_in_the_future() -> None:
    today = dt.date(2026, 12, 1)
    assert (expand_year(26, today), expand_year(27, today), expand_year(90, today)) == (
        2026, 1927, 1990,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kk", "problem"),
    [("3273010101100001", None), ("3273 0101 0110 0001", None),
     ("0273010101100001", "unknown_district"),  # a KK starting with 0
     ("9701010101100001", "unknown_district"), ("32730101", "not_16_digits"), (None, None)],
)  # fmt: skip
def test_a_kk_is_16_digits_from_a_real_district(kk: str | None, problem: str | None) -> None:
    assert kk_problem(kk) == problem
    assert (valid_kk(kk) is not None) == (kk is not None and problem is None)
