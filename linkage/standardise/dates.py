"""Dates as the sources write them.

`parse_date_any(text)` reads, after trimming and an optional leading birth
place ("Bandung, 12-08-1975", the TTL form field):

- `YYYY-MM-DD` (with anything after it, such as a time), `YYYY/MM/DD`
- `YYYYMMDD` (when it starts 19 or 20 and is a real date), else `DDMMYYYY`
- `DD-MM-YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`, `DD MM YYYY`
- the same with a two-digit year (later than this year's two digits: 19yy)
- a day, an Indonesian or English month name or abbreviation, and a year:
  "12 Agustus 1975", "12 Agt 1975", "12-Ags-75", "3 Pebruari 1980"
- a spreadsheet serial day number of five digits (days since 1899-12-30)

Anything else, or an impossible date (31-02-1990), gives NULL.
"""

from __future__ import annotations

from typing import Final

#: First three letters of a month name or abbreviation -> month number.
MONTH_PREFIXES: Final[dict[str, int]] = {
    "JAN": 1, "FEB": 2, "PEB": 2, "MAR": 3, "APR": 4, "MEI": 5, "MAY": 5,
    "JUN": 6, "JUL": 7, "AGU": 8, "AGT": 8, "AGS": 8, "AUG": 8, "SEP": 9,
    "OKT": 10, "OCT": 10, "NOP": 11, "NOV": 11, "DES": 12, "DEC": 12,
}  # fmt: skip

_MONTH_CASE = " ".join(f"WHEN '{k}' THEN {v}" for k, v in MONTH_PREFIXES.items())

_DMY = r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$"
_DMY2 = r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{2})$"
_DMONY = r"^(\d{1,2})[-/. ,]*([A-Z]{3,})\.?[-/. ,]*(\d{4}|\d{2})$"

MACROS: Final[tuple[str, ...]] = (
    # Two-digit year to four: later than this year's two digits means 19yy.
    """CREATE OR REPLACE TEMP MACRO expand_year2(yy) AS
    CASE WHEN CAST(yy AS INTEGER) > year(current_date) % 100
         THEN 1900 + CAST(yy AS INTEGER) ELSE 2000 + CAST(yy AS INTEGER) END""",
    f"""CREATE OR REPLACE TEMP MACRO month_number(name) AS
    CASE left(upper(name), 3) {_MONTH_CASE} END""",
    """CREATE OR REPLACE TEMP MACRO date_from_parts(d, m, y) AS
    CASE WHEN TRY_CAST(m AS INTEGER) BETWEEN 1 AND 12
          AND TRY_CAST(y AS INTEGER) BETWEEN 1 AND 9999
          AND TRY_CAST(d AS INTEGER) BETWEEN 1 AND day(last_day(
              make_date(TRY_CAST(y AS INTEGER), TRY_CAST(m AS INTEGER), 1)))
         THEN make_date(TRY_CAST(y AS INTEGER), TRY_CAST(m AS INTEGER),
                        TRY_CAST(d AS INTEGER)) END""",
    """CREATE OR REPLACE TEMP MACRO date_text(x) AS
    regexp_replace(upper(trim(CAST(x AS VARCHAR))), '^[A-Z][A-Z .]*,\\s*', '')""",
    f"""CREATE OR REPLACE TEMP MACRO parse_date_text(s) AS
    CASE
    WHEN s IS NULL OR s = '' THEN NULL
    WHEN regexp_matches(s, '^\\d{{4}}[-/]\\d{{1,2}}[-/]\\d{{1,2}}') THEN date_from_parts(
        regexp_extract(s, '^\\d{{4}}[-/](\\d{{1,2}})[-/](\\d{{1,2}})', 2),
        regexp_extract(s, '^\\d{{4}}[-/](\\d{{1,2}})', 1), left(s, 4))
    WHEN regexp_matches(s, '^\\d{{8}}$') THEN coalesce(
        CASE WHEN left(s, 2) IN ('19', '20')
             THEN date_from_parts(substr(s, 7, 2), substr(s, 5, 2), left(s, 4)) END,
        date_from_parts(left(s, 2), substr(s, 3, 2), substr(s, 5, 4)))
    WHEN regexp_matches(s, '{_DMY}') THEN date_from_parts(
        regexp_extract(s, '{_DMY}', 1), regexp_extract(s, '{_DMY}', 2),
        regexp_extract(s, '{_DMY}', 3))
    WHEN regexp_matches(s, '{_DMY2}') THEN date_from_parts(
        regexp_extract(s, '{_DMY2}', 1), regexp_extract(s, '{_DMY2}', 2),
        expand_year2(regexp_extract(s, '{_DMY2}', 3)))
    WHEN regexp_matches(s, '{_DMONY}') THEN date_from_parts(
        regexp_extract(s, '{_DMONY}', 1), month_number(regexp_extract(s, '{_DMONY}', 2)),
        CASE WHEN length(regexp_extract(s, '{_DMONY}', 3)) = 2
             THEN expand_year2(regexp_extract(s, '{_DMONY}', 3))
             ELSE CAST(regexp_extract(s, '{_DMONY}', 3) AS INTEGER) END)
    WHEN regexp_matches(s, '^\\d{{5}}$') THEN DATE '1899-12-30' + CAST(s AS INTEGER)
    END""",
    "CREATE OR REPLACE TEMP MACRO parse_date_any(x) AS parse_date_text(date_text(x))",
)
"""Date macros, registered by `register_macros`."""
