"""NIK and KK numbers, and sex words, as DuckDB macros built from `domain`'s rules.

NIK (Nomor Induk Kependudukan, 16 digits) reads `PPKKCC DDMMYY NNNN`:
province, regency/city and kecamatan of first registration, the birth date
(40 added to the day for women) and a serial number. There is no checksum.
The KK (Kartu Keluarga, family card) number has the same length and starts
with the issuing district. What makes either valid is `domain.identity`'s rule;
the SQL here is `domain.sql`'s rendering of it, so ingest, the batch and the
real-time standardisation read every number and sex word the same way.
"""

from __future__ import annotations

from typing import Final

from domain import sql as rules
from domain.identity import FEMALE_DAY_OFFSET

MACROS: Final[tuple[str, ...]] = (
    *rules.SETUP,  # the district table the validity macros read
    # Digits and letters only (separators and a trailing spreadsheet ".0" dropped).
    f"CREATE OR REPLACE TEMP MACRO id_digits(x) AS {rules.id_digits('x')}",
    # Why the digits `d` are not a valid NIK / KK (a domain.identity.PROBLEMS code), or NULL.
    f"CREATE OR REPLACE TEMP MACRO nik_problem(d) AS {rules.nik_problem('d')}",
    f"CREATE OR REPLACE TEMP MACRO kk_problem(d) AS {rules.kk_problem('d')}",
    f"CREATE OR REPLACE TEMP MACRO nik_valid(nik) AS coalesce({rules.nik_valid('nik')}, false)",
    """CREATE OR REPLACE TEMP MACRO nik_day_code(nik) AS CAST(substr(nik, 7, 2) AS INTEGER)""",
    f"""CREATE OR REPLACE TEMP MACRO nik_birth_date(nik) AS
    date_from_parts(
        CASE WHEN nik_day_code(nik) > {FEMALE_DAY_OFFSET}
             THEN nik_day_code(nik) - {FEMALE_DAY_OFFSET} ELSE nik_day_code(nik) END,
        substr(nik, 9, 2), expand_year2(substr(nik, 11, 2)))""",
    f"""CREATE OR REPLACE TEMP MACRO nik_sex(nik) AS
    CASE WHEN nik_valid(nik)
         THEN CASE WHEN nik_day_code(nik) > {FEMALE_DAY_OFFSET} THEN 'P' ELSE 'L' END END""",
    f"CREATE OR REPLACE TEMP MACRO sex_clean(x) AS {rules.sex_code('x')}",
)
"""NIK/KK and sex macros, registered by `register_macros`."""
