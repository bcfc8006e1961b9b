"""NIK and KK numbers: how they are written, what makes one real.

NIK (Nomor Induk Kependudukan, 16 digits) reads `PPKKCC DDMMYY NNNN`: the
district (kecamatan) of first registration as province, regency/city and
district codes, the birth date with 40 added to the day for women, and a
serial. There is no checksum. The KK (Kartu Keluarga, family card) number has
the same length and starts with the issuing district.

A number is *valid* when it is 16 digits (after the separators people type and
a spreadsheet's trailing ".0" are dropped) and:

- NIK: the first six digits are a district in Kemendagri's list
  (`domain.regions`), the day (less 40 for women) and month are a calendar day
  of some year (29 February included), and the serial is not 0000;
- KK: the first six digits are a district in Kemendagri's list.

`domain.sql` renders the same rules as DuckDB SQL for the set-based paths;
tests check both renderings against each other.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from domain.regions import district_codes

ID_LENGTH: Final = 16
#: Added to the day of birth in a woman's NIK.
FEMALE_DAY_OFFSET: Final = 40
#: The last day of each month in a leap year: a NIK's date is checked without its century.
MONTH_DAYS: Final[tuple[int, ...]] = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: A spreadsheet's number format ("3273011501900001.0"), dropped before anything else.
SPREADSHEET_TAIL: Final = r"\.0+\s*$"
#: What is dropped from inside a written number: everything but letters and digits.
SEPARATORS: Final = r"[^0-9A-Za-z]"

#: Why a number is not valid, by code; the code goes on the record's flag detail.
PROBLEMS: Final[dict[str, str]] = {
    "not_16_digits": "is not 16 digits",
    "unknown_district": "does not start with a district code of Kemendagri's list "
    "(province, regency/city, kecamatan)",
    "impossible_birth_date": "digits 7-12 are not a birth date DDMMYY (day + 40 for women)",
    "zero_serial": "ends in the serial 0000",
}

_SPREADSHEET = re.compile(SPREADSHEET_TAIL)
_SEPARATORS = re.compile(SEPARATORS)


def id_digits(text: str | None) -> str | None:
    """The number as written, without separators or a trailing '.0' (None when empty)."""
    if text is None:
        return None
    out = _SEPARATORS.sub("", _SPREADSHEET.sub("", str(text)))
    return out or None


def _number_problem(digits: str) -> str | None:
    """What a NIK and a KK number share: 16 digits from a district of Kemendagri's list."""
    if not (len(digits) == ID_LENGTH and digits.isascii() and digits.isdigit()):
        return "not_16_digits"
    if digits[:6] not in district_codes():
        return "unknown_district"
    return None


def nik_problem(text: str | None) -> str | None:
    """The first code of `PROBLEMS` that applies to the NIK `text`; None when valid or empty."""
    digits = id_digits(text)
    if digits is None:
        return None
    shared = _number_problem(digits)
    if shared is not None:
        return shared
    day, month = int(digits[6:8]), int(digits[8:10])
    if day > FEMALE_DAY_OFFSET:
        day -= FEMALE_DAY_OFFSET
    if not (1 <= month <= 12 and 1 <= day <= MONTH_DAYS[month - 1]):
        return "impossible_birth_date"
    if digits[12:] == "0000":
        return "zero_serial"
    return None


def kk_problem(text: str | None) -> str | None:
    """The first code of `PROBLEMS` that applies to the KK number `text`; None when valid."""
    digits = id_digits(text)
    return None if digits is None else _number_problem(digits)


def valid_nik(text: str | None) -> str | None:
    """The NIK's 16 digits when it is valid, else None."""
    return id_digits(text) if text is not None and nik_problem(text) is None else None


def valid_kk(text: str | None) -> str | None:
    """The KK number's 16 digits when it is valid, else None."""
    return id_digits(text) if text is not None and kk_problem(text) is None else None


def expand_year(yy: int, today: dt.date | None = None) -> int:
    """A two-digit year as the latest year not after this one (25 -> 2025, 90 -> 1990)."""
    this_year = (today or dt.date.today()).year
    year = this_year - this_year % 100 + yy
    return year - 100 if year > this_year else year


def nik_birth_date(nik: str | None, today: dt.date | None = None) -> dt.date | None:
    """The birth date a valid NIK encodes (None when it is not a real date)."""
    digits = valid_nik(nik)
    if digits is None:
        return None
    day = int(digits[6:8])
    day = day - FEMALE_DAY_OFFSET if day > FEMALE_DAY_OFFSET else day
    try:
        return dt.date(expand_year(int(digits[10:12]), today), int(digits[8:10]), day)
    except ValueError:  # 29 February of a year that is not a leap year
        return None


def nik_sex(nik: str | None) -> str | None:
    """'P' when a valid NIK's day is over 40, else 'L'; None for an invalid NIK."""
    digits = valid_nik(nik)
    if digits is None:
        return None
    return "P" if int(digits[6:8]) > FEMALE_DAY_OFFSET else "L"


def nik_district(nik: str | None) -> str | None:
    """The six-digit district code of a valid NIK."""
    digits = valid_nik(nik)
    return digits[:6] if digits else None


__all__ = [
    "FEMALE_DAY_OFFSET",
    "ID_LENGTH",
    "MONTH_DAYS",
    "PROBLEMS",
    "SEPARATORS",
    "SPREADSHEET_TAIL",
    "expand_year",
    "id_digits",
    "kk_problem",
    "nik_birth_date",
    "nik_district",
    "nik_problem",
    "nik_sex",
    "valid_kk",
    "valid_nik",
]
