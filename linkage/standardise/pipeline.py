"""`standardise`: canonical records in, the same rows with standardised columns out.

All of it is set-based DuckDB SQL. Names are worked on once per distinct
full name and their words once per distinct word; place names are matched
once per distinct (kelurahan, kecamatan) text; everything else is a
column expression.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Final

import duckdb

from domain.city import CITY_CODE
from domain.identity import FEMALE_DAY_OFFSET
from linkage.errors import LinkageError
from linkage.standardise import addresses, names, vocabulary
from linkage.standardise.macros import register_macros

#: Canonical fields `standardise` reads; every other column passes through.
INPUT_FIELDS: Final[tuple[str, ...]] = (
    "full_name", "nik", "no_kk", "birth_date", "sex", "address", "street",
    "house_number", "rt", "rw", "kelurahan", "kecamatan", "phone",
)  # fmt: skip

#: The columns `standardise` adds, in order, with what each holds.
OUTPUT_COLUMNS: Final[dict[str, str]] = {
    "name_clean": "full name without titles and patronym: upper-case canonical words, "
    "one space apart, in written order (NULL if no word is left)",
    "name_tokens": "VARCHAR[] of the canonical words of name_clean, in written order",
    "first_name": "first canonical word (may be MUHAMMAD)",
    "last_name": "last canonical word; NULL for a one-word name (mononym)",
    "name_key": "canonical words sorted and joined by one space (order-insensitive)",
    "name_phonetic": "phonetic key of every word, sorted and joined by one space",
    "first_name_phonetic": "phonetic key of first_name",
    "last_name_phonetic": "phonetic key of last_name (NULL for a mononym)",
    "first_name_alias": "primary formal name of first_name when it is a known nickname "
    "(WAWAN -> HERMAWAN), else first_name itself",
    "first_name_alias_keys": "VARCHAR[]: every formal name first_name may stand for, "
    "else [first_name]; two names may be the same person when these overlap",
    "patronym": "canonical words after BIN/BINTI/BT, or NULL",
    "nik_clean": "NIK digits when the NIK is valid (domain.identity: 16 digits, a district "
    "of Kemendagri's list, a DDMMYY birth date with day + 40 for women, a serial not 0000), "
    "else NULL: a malformed NIK is left out of every comparison",
    "nik_valid": "nik_clean is not NULL",
    "nik_problem": "why the NIK as written is not valid (a domain.identity.PROBLEMS code: "
    "not_16_digits, unknown_district, impossible_birth_date, zero_serial), else NULL",
    "nik_region": "first 4 digits of nik_clean: province and regency/city (3273 Bandung)",
    "nik_district": "first 6 digits of nik_clean: kecamatan of first registration",
    "nik_birth_date": "DATE decoded from digits 7-12 (day - 40 for women; yy later "
    "than this year's yy -> 19yy); NULL if not a real date",
    "nik_sex": "'P' when the NIK day is over 40, else 'L'; NULL when the NIK is not valid",
    "nik_date_mismatch": "nik_birth_date and birth_date_clean both known and different",
    "nik_sex_mismatch": "nik_sex and sex_clean both known and different",
    "nik_outside_bandung": "nik_clean known and nik_region is not the city code (3273)",
    "nik_is_kk": "nik_clean equals kk_clean (a KK number written as NIK)",
    "kk_clean": "no_kk digits when the KK number is valid (16 digits, a district of "
    "Kemendagri's list), else NULL",
    "kk_valid": "kk_clean is not NULL",
    "kk_problem": "why no_kk as written is not valid (not_16_digits, unknown_district), else NULL",
    "kk_region": "first 4 digits of kk_clean",
    "sex_clean": "'L' or 'P' from the whole sex word (domain.sex: L/LK/Laki-laki/Pria/M, "
    "P/PR/Perempuan/Wanita/W/F), NULL for any other",
    "birth_date_clean": "birth_date as DATE (text parsed by parse_date_any), NULL when "
    "before 1900-01-01 or after today",
    "birth_year": "year of birth_date_clean",
    "birth_month": "month of birth_date_clean",
    "birth_day": "day of birth_date_clean",
    "phone_clean": "first phone number as 62..., digits only; NULL if implausible",
    "street_clean": "street (field, else parsed from address), upper, JL/GG/KOMP/PERUM/KP/BLOK",
    "house_number_clean": "house number (field, else after No. in address), no spaces",
    "rt_clean": "RT, 3 digits zero-padded ('003'); field, else parsed from address",
    "rw_clean": "RW, 3 digits zero-padded; field, else parsed from the rt field or address",
    "kelurahan_code": "gazetteer code of the kelurahan (field, else Kel./Desa in address), "
    "typo-tolerant; NULL when unmatched or no gazetteer",
    "kelurahan_name": "gazetteer name of kelurahan_code",
    "kecamatan_code": "kecamatan of the matched kelurahan, else the matched kecamatan text",
    "kecamatan_name": "gazetteer name of kecamatan_code",
    "address_key": "kelurahan_code || rt_clean || rw_clean (NULL if any is NULL), for blocking",
}

#: The intermediate results, in the order they are computed.
STAGES: Final[tuple[str, ...]] = (
    "addresses", "rows", "words", "dictionary", "names", "places",
)  # fmt: skip
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def standardise(
    con: duckdb.DuckDBPyConnection,
    source_table: str,
    target_table: str,
    *,
    ref_kelurahan: str = "ref_kelurahan",
    ref_kecamatan: str = "ref_kecamatan",
    city_code: str = CITY_CODE,
) -> None:
    """Write `target_table`: every column of `source_table` plus `OUTPUT_COLUMNS`.

    `source_table` (a table or view) must hold the canonical person fields in
    `INPUT_FIELDS`; any other column (`source`, `source_record_id`,
    `record_key`, ...) passes through, except one named like an output column,
    which is replaced. Without the gazetteer tables the place codes are NULL.
    """
    for name in (source_table, target_table, ref_kelurahan, ref_kecamatan):
        if not _IDENTIFIER.match(name):
            raise LinkageError(f"standardise: {name!r} is not a plain table name")
    if source_table.lower() == target_table.lower():
        raise LinkageError("standardise: write to a table other than the one it reads")
    columns = _columns(con, source_table)
    missing = [field for field in INPUT_FIELDS if field not in columns]
    if missing:
        raise LinkageError(
            f"standardise: {source_table} lacks {', '.join(missing)}; it must carry the "
            "canonical person fields of connectors/canonical.py"
        )
    register_macros(con)
    tag = f"_standardise_{uuid.uuid4().hex[:10]}"
    variants, aliases = vocabulary.create_lookup_tables(con)
    gazetteer = _exists(con, ref_kelurahan) and _exists(con, ref_kecamatan)
    stages, final = stage_sql(
        StageInputs(
            source=source_table,
            columns=columns,
            variants=variants,
            aliases=aliases,
            ref_kelurahan=ref_kelurahan if gazetteer else None,
            ref_kecamatan=ref_kecamatan,
            city_code=city_code,
        ),
        {stage: f"{tag}_{stage}" for stage in STAGES},
    )
    try:
        for stage, select in stages:
            con.execute(f"CREATE TEMP TABLE {tag}_{stage} AS {select}")
        con.execute(f"CREATE OR REPLACE TABLE {target_table} AS {final}")
    finally:
        for stage in STAGES:
            con.execute(f"DROP TABLE IF EXISTS {tag}_{stage}")


@dataclass(frozen=True)
class StageInputs:
    """What the standardisation SQL depends on besides the stage table names."""

    source: str
    columns: dict[str, str]
    variants: str
    aliases: str
    ref_kelurahan: str | None  # None: no gazetteer, place codes are NULL
    ref_kecamatan: str
    city_code: str


def stage_sql(inputs: StageInputs, tables: dict[str, str]) -> tuple[list[tuple[str, str]], str]:
    """The SELECT of every stage, in order, and the final SELECT.

    `tables` names each stage's result (`STAGES`): temp tables in the bulk
    path, CTEs in `RecordStandardiser`; both run this same SQL.
    """
    passthrough = [c for c in inputs.columns if c not in OUTPUT_COLUMNS]
    gazetteer = inputs.ref_kelurahan is not None
    stages = [
        ("addresses", _addresses_sql(inputs, gazetteer)),
        ("rows", _rows_sql(tables, inputs, passthrough)),
        ("words", _words_sql(tables)),
        ("dictionary", _dictionary_sql(tables, inputs.variants, inputs.aliases)),
        ("names", _names_sql(tables)),
    ]
    if gazetteer:
        assert inputs.ref_kelurahan is not None
        stages.append(("places", _places_sql(tables, inputs.ref_kelurahan, inputs.ref_kecamatan)))
    return stages, _final_sql(tables, passthrough, gazetteer)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
    except duckdb.CatalogException as error:
        raise LinkageError(f"standardise: no table or view named {table}") from error
    return {str(row[0]): str(row[1]) for row in described}


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        con.execute(f"DESCRIBE SELECT * FROM {table}").fetchall()
    except duckdb.CatalogException:
        return False
    return True


def _addresses_sql(inputs: StageInputs, gazetteer: bool) -> str:
    """Free-text addresses parsed once per distinct text; without a Kel./Kec. prefix
    the kelurahan and kecamatan are looked for anywhere in the text (`addresses`)."""
    tail = ", address_place_tail(a) AS tail" if gazetteer else ""
    texts = (
        f""",
        CASE WHEN kel_raw IS NULL
             THEN address_place_words(tail, '{addresses.KECAMATAN_PHRASE}') END AS kel_text,
        CASE WHEN kec_raw IS NULL
             THEN address_place_words(tail, '{addresses.KELURAHAN_PHRASE}') END AS kec_text"""
        if gazetteer
        else ""
    )
    parsed = f"""
    SELECT address, street_part, address_house_number(a) AS house_number,
        address_rt(a) AS rt, address_rw(a) AS rw,
        place_key(kel_raw) AS prefixed_kel_key,
        place_key(kec_raw) AS prefixed_kec_key{texts}
    FROM (
        SELECT address, a, address_street_part(a) AS street_part,
            address_kelurahan(a) AS kel_raw, address_kecamatan(a) AS kec_raw{tail}
        FROM (
            SELECT address, address_text(address) AS a
            FROM (SELECT DISTINCT CAST(address AS VARCHAR) AS address FROM {inputs.source})
            WHERE address IS NOT NULL
        )
    )"""
    if not gazetteer:
        return f"""
        SELECT address, street_part, house_number, rt, rw,
            prefixed_kel_key AS kel_key, prefixed_kec_key AS kec_key
        FROM ({parsed})"""
    assert inputs.ref_kelurahan is not None
    kel = addresses.find_place_sql("parsed", "kel_text", inputs.ref_kelurahan)
    kec = addresses.find_place_sql("parsed", "kec_text", inputs.ref_kecamatan)
    return f"""
    WITH parsed AS ({parsed}),
    kel AS ({kel}),
    kec AS ({kec})
    SELECT p.address, p.street_part, p.house_number, p.rt, p.rw,
        coalesce(p.prefixed_kel_key, kel.place_key) AS kel_key,
        coalesce(p.prefixed_kec_key, kec.place_key) AS kec_key
    FROM parsed p
    LEFT JOIN kel ON kel.address = p.address
    LEFT JOIN kec ON kec.address = p.address"""


def _rows_sql(tables: dict[str, str], inputs: StageInputs, passthrough: list[str]) -> str:
    """Row-level columns, in layers so that no expression is computed twice."""
    source, city_code = inputs.source, inputs.city_code
    birth_type = inputs.columns["birth_date"]
    keep = ", ".join(f's."{c}"' for c in passthrough)
    birth = "s.birth_date" if birth_type == "DATE" else "parse_date_any(s.birth_date)"
    return f"""
    SELECT *,
        coalesce(nik_birth_date <> birth_date_clean, false) AS nik_date_mismatch,
        coalesce(nik_sex <> sex_clean, false) AS nik_sex_mismatch,
        coalesce(nik_region <> '{city_code}', false) AS nik_outside_bandung,
        coalesce(nik_clean = kk_clean, false) AS nik_is_kk,
        year(birth_date_clean) AS birth_year,
        month(birth_date_clean) AS birth_month,
        day(birth_date_clean) AS birth_day
    FROM (
        SELECT *,
            nik_clean IS NOT NULL AS nik_valid,
            CASE WHEN nik_clean IS NOT NULL
                 THEN CASE WHEN nik_day_code(nik_clean) > {FEMALE_DAY_OFFSET} THEN 'P' ELSE 'L' END
            END AS nik_sex,
            left(nik_clean, 4) AS nik_region,
            left(nik_clean, 6) AS nik_district,
            nik_birth_date(nik_clean) AS nik_birth_date,
            kk_clean IS NOT NULL AS kk_valid,
            left(kk_clean, 4) AS kk_region
        FROM (
            SELECT * EXCLUDE (_nik_digits, _kk_digits),
                CASE WHEN nik_problem IS NULL THEN _nik_digits END AS nik_clean,
                CASE WHEN kk_problem IS NULL THEN _kk_digits END AS kk_clean
            FROM (
                SELECT *, nik_problem(_nik_digits) AS nik_problem,
                    kk_problem(_kk_digits) AS kk_problem
                FROM (
                    SELECT {keep},
                        id_digits(s.nik) AS _nik_digits,
                        id_digits(s.no_kk) AS _kk_digits,
                        sex_clean(s.sex) AS sex_clean,
                        CASE WHEN {birth} BETWEEN DATE '1900-01-01' AND current_date
                             THEN CAST({birth} AS DATE) END AS birth_date_clean,
                        phone_clean(s.phone) AS phone_clean,
                        coalesce(street_normalise(s.street),
                                 address_street(a.street_part)) AS street_clean,
                        coalesce(
                            nullif(regexp_replace(address_text(s.house_number),
                                '^\\s*NO(?:MOR)?\\b\\.?|[^A-Z0-9/-]', '', 'g'), ''),
                            a.house_number,
                            CASE WHEN nullif(trim(CAST(s.street AS VARCHAR)), '') IS NULL
                                 THEN address_street_number(a.street_part) END
                        ) AS house_number_clean,
                        coalesce(rt_rw_pad(s.rt), a.rt) AS rt_clean,
                        coalesce(rt_rw_pad(s.rw), address_rw(address_text(s.rt)), a.rw)
                            AS rw_clean,
                        coalesce(place_key(s.kelurahan), a.kel_key) AS _kel_key,
                        coalesce(place_key(s.kecamatan), a.kec_key) AS _kec_key
                    FROM {source} AS s
                    LEFT JOIN {tables["addresses"]} AS a ON a.address = CAST(s.address AS VARCHAR)
                )
            )
        )
    )"""


def _words_sql(tables: dict[str, str]) -> str:
    split = names.PATRONYM_SPLIT
    return f"""
    WITH cleaned AS (
        SELECT full_name, {names.clean_name_sql("full_name")} AS name
        FROM (SELECT DISTINCT full_name FROM {tables["rows"]} WHERE full_name IS NOT NULL)
    ),
    parts AS (
        SELECT full_name,
            string_split(regexp_replace(name, '{split}.*$', ''), ' ') AS given,
            string_split(nullif(regexp_extract(name, '{split}(.*)$', 1), ''), ' ') AS patronym
        FROM cleaned WHERE name <> ''
    )
    SELECT full_name, 0 AS part, unnest(given) AS word, generate_subscripts(given, 1) AS pos
    FROM parts
    UNION ALL
    SELECT full_name, 1, unnest(patronym), generate_subscripts(patronym, 1)
    FROM parts WHERE patronym IS NOT NULL"""


def _dictionary_sql(tables: dict[str, str], variants: str, aliases: str) -> str:
    return f"""
    WITH words AS (SELECT DISTINCT word FROM {tables["words"]}),
    canonical AS (
        SELECT w.word, coalesce(v1.canonical, v2.canonical, name_word_rules(w.word)) AS canonical
        FROM words w
        LEFT JOIN {variants} v1 ON v1.variant = w.word
        LEFT JOIN {variants} v2 ON v2.variant = name_word_rules(w.word)
    ),
    alias AS (SELECT name, list(alias_key ORDER BY rank) AS keys FROM {aliases} GROUP BY name)
    SELECT c.word, c.canonical, name_word_phonetic(c.canonical) AS phonetic,
           coalesce(a.keys, [c.canonical]) AS alias_keys
    FROM canonical c LEFT JOIN alias a ON a.name = c.canonical"""


def _names_sql(tables: dict[str, str]) -> str:
    return f"""
    WITH grouped AS (
        SELECT w.full_name,
            list_sort(list({{'pos': w.pos, 'word': d.canonical, 'phonetic': d.phonetic,
                            'alias': d.alias_keys}}) FILTER (WHERE w.part = 0)) AS given,
            list_sort(list({{'pos': w.pos, 'word': d.canonical}}) FILTER (WHERE w.part = 1))
                AS patronym
        FROM {tables["words"]} w JOIN {tables["dictionary"]} d USING (word)
        GROUP BY w.full_name
    )
    SELECT full_name,
        array_to_string(list_transform(given, lambda x: x.word), ' ') AS name_clean,
        list_transform(given, lambda x: x.word) AS name_tokens,
        given[1].word AS first_name,
        CASE WHEN len(given) > 1 THEN given[-1].word END AS last_name,
        array_to_string(list_sort(list_transform(given, lambda x: x.word)), ' ') AS name_key,
        array_to_string(list_sort(list_transform(given, lambda x: x.phonetic)), ' ')
            AS name_phonetic,
        given[1].phonetic AS first_name_phonetic,
        CASE WHEN len(given) > 1 THEN given[-1].phonetic END AS last_name_phonetic,
        given[1].alias[1] AS first_name_alias,
        given[1].alias AS first_name_alias_keys,
        nullif(array_to_string(list_transform(patronym, lambda x: x.word), ' '), '')
            AS patronym
    FROM grouped"""


def _places_sql(tables: dict[str, str], ref_kelurahan: str, ref_kecamatan: str) -> str:
    return f"""
    WITH keys AS (
        SELECT DISTINCT _kel_key AS kel_key, _kec_key AS kec_key FROM {tables["rows"]}),
    kec AS ({addresses.match_kecamatan_sql("keys", ref_kecamatan)}),
    keyed AS (
        SELECT keys.kel_key, keys.kec_key, kec.kecamatan_code AS kec_code
        FROM keys LEFT JOIN kec USING (kec_key)
    ),
    kel AS ({addresses.match_kelurahan_sql("keyed", ref_kelurahan)})
    SELECT keyed.kel_key, keyed.kec_key, kel.kelurahan_code, kel.kelurahan_name,
        coalesce(kel.kelurahan_kecamatan_code, keyed.kec_code) AS kecamatan_code,
        ref.name AS kecamatan_name
    FROM keyed
    LEFT JOIN kel ON kel.kel_key = keyed.kel_key
        AND kel.kec_code IS NOT DISTINCT FROM keyed.kec_code
    LEFT JOIN {ref_kecamatan} ref
        ON CAST(ref.code AS VARCHAR) = coalesce(kel.kelurahan_kecamatan_code, keyed.kec_code)"""


def _final_sql(tables: dict[str, str], passthrough: list[str], gazetteer: bool) -> str:
    place = {
        "kelurahan_code": "p.kelurahan_code",
        "kelurahan_name": "p.kelurahan_name",
        "kecamatan_code": "p.kecamatan_code",
        "kecamatan_name": "p.kecamatan_name",
        "address_key": "p.kelurahan_code || r.rt_clean || r.rw_clean",
    }
    name_columns = set(OUTPUT_COLUMNS) - {
        c for c in OUTPUT_COLUMNS if not c.startswith(("name_", "first_", "last_", "patronym"))
    }
    select = [f'r."{c}"' for c in passthrough]
    for column in OUTPUT_COLUMNS:
        if column in place:
            value = place[column] if gazetteer else "CAST(NULL AS VARCHAR)"
        elif column in name_columns:
            value = f"n.{column}"
        else:
            value = f"r.{column}"
        select.append(f"{value} AS {column}")
    places = (
        f"""LEFT JOIN {tables["places"]} p ON p.kel_key IS NOT DISTINCT FROM r._kel_key
            AND p.kec_key IS NOT DISTINCT FROM r._kec_key"""
        if gazetteer
        else ""
    )
    return f"""
    SELECT {", ".join(select)}
    FROM {tables["rows"]} r
    LEFT JOIN {tables["names"]} n ON n.full_name = r.full_name
    {places}"""
