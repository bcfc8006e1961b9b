"""The identity rules of `domain.identity` and `domain.sex` as DuckDB SQL.

Plain text, no DuckDB import: the set-based paths (ingest in connectors/, the
batch and real-time standardisation in linkage/) build their SQL from these
functions, so every path reads a NIK, a KK number and a sex word the same way.
`tests/domain/test_sql.py` checks each function against its Python twin.

The district list is a table: run `SETUP` once on a connection before using
`nik_problem`, `kk_problem` or their `*_valid` forms (a look-up in 7,285 codes
is a hash join; an IN list of that length would cost seconds per query).
"""

from __future__ import annotations

from typing import Final

from domain.identity import (
    FEMALE_DAY_OFFSET,
    MONTH_DAYS,
    SEPARATORS,
    SPREADSHEET_TAIL,
)
from domain.regions import REGION_DIR
from domain.sex import SEX_WORDS

#: The temp table of six-digit district codes (BIGINT) that `SETUP` creates.
DISTRICT_TABLE: Final = "domain_district"

SETUP: Final[tuple[str, ...]] = (
    f"""CREATE TEMP TABLE IF NOT EXISTS {DISTRICT_TABLE} AS
    SELECT DISTINCT CAST(replace(code, '.', '') AS BIGINT) AS code
    FROM read_csv('{(REGION_DIR / "districts.csv").as_posix().replace("'", "''")}',
                  header = true, all_varchar = true)""",
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sixteen_digits(x: str) -> str:
    """Whether the text `x` is 16 ASCII digits, the first not 0 (a cheap test, no regexp).

    16 characters that cast to a number of 16 significant digits hold no sign or space;
    lower() = upper() excludes the letters a cast reads (1e15, 0x..).
    """
    return (
        f"(strlen({x}) = 16 AND try_cast({x} AS UBIGINT) >= 1000000000000000"
        f" AND lower({x}) = upper({x}))"
    )


def id_digits(x: str) -> str:
    """`domain.identity.id_digits`: the number without separators or a trailing '.0'."""
    slow = (
        f"nullif(regexp_replace(regexp_replace(CAST({x} AS VARCHAR), {_literal(SPREADSHEET_TAIL)},"
        f" ''), {_literal(SEPARATORS)}, '', 'g'), '')"
    )
    return f"CASE WHEN {sixteen_digits(x)} THEN CAST({x} AS VARCHAR) ELSE {slow} END"


def _number(d: str) -> str:
    return f"try_cast({d} AS BIGINT)"


def _district_known(d: str) -> str:
    return f"({_number(d)} // 10000000000 IN (SELECT code FROM {DISTRICT_TABLE}))"


def _is_16_digits(d: str) -> str:
    """For `d` of letters and digits only (the output of `id_digits`)."""
    return f"(strlen({d}) = 16 AND lower({d}) = upper({d}))"


def nik_day_month(d: str) -> tuple[str, str]:
    """The day of the month (40 taken off for women) and the month of the NIK digits `d`."""
    code = f"({_number(d)} // 100000000 % 100)"
    off = FEMALE_DAY_OFFSET
    day = f"(CASE WHEN {code} > {off} THEN {code} - {off} ELSE {code} END)"
    return day, f"({_number(d)} // 1000000 % 100)"


def nik_problem(d: str) -> str:
    """`domain.identity.nik_problem` of the digits `d` (from `id_digits`): a code or NULL."""
    day, month = nik_day_month(d)
    last = "[" + ", ".join(map(str, MONTH_DAYS)) + "]"
    return (
        f"(CASE WHEN {d} IS NULL THEN NULL"
        f" WHEN NOT {_is_16_digits(d)} THEN 'not_16_digits'"
        f" WHEN NOT {_district_known(d)} THEN 'unknown_district'"
        f" WHEN NOT ({month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND {last}[{month}])"
        " THEN 'impossible_birth_date'"
        f" WHEN {_number(d)} % 10000 = 0 THEN 'zero_serial' END)"
    )


def kk_problem(d: str) -> str:
    """`domain.identity.kk_problem` of the digits `d` (from `id_digits`): a code or NULL."""
    return (
        f"(CASE WHEN {d} IS NULL THEN NULL"
        f" WHEN NOT {_is_16_digits(d)} THEN 'not_16_digits'"
        f" WHEN NOT {_district_known(d)} THEN 'unknown_district' END)"
    )


def nik_valid(d: str) -> str:
    return f"({d} IS NOT NULL AND {nik_problem(d)} IS NULL)"


def kk_valid(d: str) -> str:
    return f"({d} IS NOT NULL AND {kk_problem(d)} IS NULL)"


def sex_code(x: str) -> str:
    """`domain.sex.sex_code`: 'L', 'P' or NULL."""
    whens = " ".join(f"WHEN {_literal(w)} THEN {_literal(c)}" for w, c in SEX_WORDS.items())
    return f"(CASE replace(upper(CAST({x} AS VARCHAR)), ' ', '') {whens} END)"


__all__ = [
    "DISTRICT_TABLE",
    "SETUP",
    "id_digits",
    "kk_problem",
    "kk_valid",
    "nik_day_month",
    "nik_problem",
    "nik_valid",
    "sex_code",
    "sixteen_digits",
]
