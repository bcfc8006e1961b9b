"""Every DuckDB macro of the package, registered on a connection in one call."""

from __future__ import annotations

import hashlib
from functools import cache

import duckdb

from linkage.standardise import addresses, dates, names, nik, phones


@cache
def _statements() -> tuple[tuple[str, ...], str]:
    statements = (
        *names.MACROS,
        *dates.MACROS,
        *nik.MACROS,
        *phones.MACROS,
        *addresses.MACROS,
    )
    version = hashlib.sha256("\n".join(statements).encode()).hexdigest()[:16]
    return statements, version


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the standardisation macros as TEMP macros on `con`.

    Safe and cheap to call again: a connection that already holds this
    version of the macros is left as it is. The ones meant for reuse, e.g. by connectors:

    - `parse_date_any(text) -> DATE`: every date format the sources use
      (see `linkage.standardise.dates`);
    - `id_digits(x) -> VARCHAR`: a NIK or KK number without separators;
    - `nik_problem(d)`, `kk_problem(d) -> VARCHAR`: why the digits are not valid, or NULL
      (`domain.identity`), and `nik_valid(nik)`;
    - `nik_birth_date(nik) -> DATE`, `nik_sex(nik) -> 'L'|'P'`;
    - `sex_clean(x) -> 'L'|'P'`: the whole sex word (`domain.sex`), PRIA is 'L';
    - `phone_clean(x) -> VARCHAR`: 62...;
    - `rt_rw_pad(x) -> VARCHAR`: '3', 'RT 03' -> '003';
    - `street_normalise(x)`, `place_key(x)`, `name_word_phonetic(word)`.
    """
    statements, version = _statements()
    try:
        registered = con.execute("SELECT standardise_macros_version()").fetchone()
    except duckdb.Error:
        registered = None
    if registered == (version,):
        return
    for statement in statements:
        con.execute(statement)
    con.execute(f"CREATE OR REPLACE TEMP MACRO standardise_macros_version() AS '{version}'")
