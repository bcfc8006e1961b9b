"""NIK and KK numbers.

NIK (Nomor Induk Kependudukan, 16 digits) reads `PPKKCC DDMMYY NNNN`:
province, regency/city and kecamatan of first registration, the birth date
(40 added to the day for women) and a serial number. There is no checksum.
The KK (Kartu Keluarga, family card) number has the same length and starts
with the issuing region.
"""

from __future__ import annotations

from typing import Final

#: Two-digit province codes (Kemendagri) that start a real NIK or KK.
PROVINCE_CODES: Final[tuple[str, ...]] = (
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
    "31", "32", "33", "34", "35", "36", "51", "52", "53",
    "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
    "81", "82", "91", "92", "93", "94", "95", "96", "97",
)  # fmt: skip

_PROVINCES = ", ".join(f"'{code}'" for code in PROVINCE_CODES)

MACROS: Final[tuple[str, ...]] = (
    # Digits only (a trailing spreadsheet ".0" dropped); NULL unless 16 long.
    """CREATE OR REPLACE TEMP MACRO id16_clean(x) AS
    CASE WHEN length(regexp_replace(regexp_replace(CAST(x AS VARCHAR), '\\.0+\\s*$', ''),
                                    '[^0-9]', '', 'g')) = 16
         THEN regexp_replace(regexp_replace(CAST(x AS VARCHAR), '\\.0+\\s*$', ''),
                             '[^0-9]', '', 'g')
    END""",
    """CREATE OR REPLACE TEMP MACRO nik_day_code(nik) AS CAST(substr(nik, 7, 2) AS INTEGER)""",
    """CREATE OR REPLACE TEMP MACRO nik_birth_date(nik) AS
    date_from_parts(
        CASE WHEN nik_day_code(nik) > 40 THEN nik_day_code(nik) - 40 ELSE nik_day_code(nik) END,
        substr(nik, 9, 2), expand_year2(substr(nik, 11, 2)))""",
    """CREATE OR REPLACE TEMP MACRO nik_sex(nik) AS
    CASE WHEN nik_birth_date(nik) IS NULL THEN NULL
         WHEN nik_day_code(nik) > 40 THEN 'P' ELSE 'L' END""",
    f"""CREATE OR REPLACE TEMP MACRO id16_region_valid(id) AS
    coalesce(substr(id, 1, 2) IN ({_PROVINCES}) AND substr(id, 3, 2) <> '00', false)""",
    """CREATE OR REPLACE TEMP MACRO nik_valid(nik) AS
    coalesce(id16_region_valid(nik) AND nik_birth_date(nik) IS NOT NULL
             AND substr(nik, 13, 4) <> '0000', false)""",
    """CREATE OR REPLACE TEMP MACRO sex_clean(x) AS
    CASE upper(left(trim(CAST(x AS VARCHAR)), 1))
        WHEN 'L' THEN 'L' WHEN 'M' THEN 'L' WHEN 'P' THEN 'P' WHEN 'W' THEN 'P'
        WHEN 'F' THEN 'P' END""",
)
"""NIK/KK macros, registered by `register_macros`."""
