"""Every DuckDB macro of the package, registered on a connection in one call."""

from __future__ import annotations

import duckdb

from linkage.standardise import addresses, dates, names, nik, phones


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the standardisation macros as TEMP macros on `con`.

    Safe to call again. The ones meant for reuse, e.g. by connectors:

    - `parse_date_any(text) -> DATE`: every date format the sources use
      (see `linkage.standardise.dates`);
    - `id16_clean(x) -> VARCHAR`: a NIK or KK number, digits only, NULL unless 16;
    - `nik_birth_date(nik) -> DATE`, `nik_sex(nik) -> 'L'|'P'`, `nik_valid(nik)`;
    - `sex_clean(x) -> 'L'|'P'`: L/Laki-laki/M/Male, P/Perempuan/W/Wanita/F;
    - `phone_clean(x) -> VARCHAR`: 62...;
    - `rt_rw_pad(x) -> VARCHAR`: '3', 'RT 03' -> '003';
    - `street_normalise(x)`, `place_key(x)`, `name_word_phonetic(word)`.
    """
    for statement in (
        *names.MACROS,
        *dates.MACROS,
        *nik.MACROS,
        *phones.MACROS,
        *addresses.MACROS,
    ):
        con.execute(statement)
