"""Linkage's output: the linked city as tables with a documented contract.

`output_views(con)` creates one temp view per table on the staging connection
`con`, named `linkage_out_<table>`, and returns table -> view for every table
there is data for; `output_queries(con)` gives a SELECT of each, and
`output_tables(con)` the row tables as Arrow. They are computed set-based in
DuckDB from staging (`current_records`, `records`, `current_services`,
`sources`, the reference tables), linkage's standardised records
(`linkage_records`) and its identity tables (`identity_map`,
`identity_retired`, the registries, `link_evidence`). The graph loader's input
tables are exactly these: the same names, the same columns in this order
(`COLUMNS`, checked by tests/linkage/test_output.py).

Reference data, passed through from connectors/reference:

- kecamatan (code, name); kelurahan (code, name, kecamatan_code);
- problems (code, number, name, name_en, special_category, special_kind): PPKS;
- funders (code, name, public); programs (code, name, benefit_kind, need,
  description, funder_type, ppks), ppks the PPKS codes it addresses;
- program_combinations (program_a, program_b, allowed, reason);
- organizations (id, name, type): every organization a source names, type
  'agency' unless the source says otherwise.

The linked city, one row per current identity:

- households (household_id, no_kk, address, street, house_number, rt, rw,
  kelurahan_code, kecamatan_code, welfare_decile, status): the most common
  valid KK and place of the members' records, the address of a record that
  standardisation placed, the decile a DTSEN decile file gives it
  (`DTSEN_DECILE_VIEW`), else the lowest welfare decile of its records;
  status 'active';
- persons (person_id, full_name, name_tokens, nik, no_kk, birth_date,
  birth_place, sex, relationship, phone, status, household_id, ppks): the name
  of the person's best record (a valid NIK, then an agency's, then the most
  fields filled in: `RECORD_SCORE`), the most common valid value of every
  other field, all name tokens and PPKS codes; status by linkage.status
  (active, deceased or moved);
- source_records (record_key, source, organization, source_record_id,
  full_name, nik, no_kk, birth_date, address, rt, rw, kelurahan,
  match_probability, loaded_at, person_id, via_api, household_id): every
  current record as the source wrote it, when this version was staged, its
  person, whether it came through the API (`INTAKE_SOURCE_PREFIX`) and its
  person's household;
- match_evidence (record_key_l, record_key_r, match_probability,
  match_weight, evidence): each linked pair and its comparisons, as JSON;
- services (service_id, service_date, amount, source, record_key, program,
  funder, organization, household_id, person_id): each staged delivery, its
  funder by `SERVICE_FUNDER`, and a stable id from its values;
- enrolments (household_id, program, since, until, active, organization): a
  household's deliveries of a program; active within
  `domain.thresholds.ACTIVE_DAYS` of the latest delivery seen.

Retired ids (`RETIRED`: table -> entity), linkage.status.retired_sql:

- retired_persons (id, status, survivor_id) and retired_households (id,
  status, survivor_id): 'merged' into
  the final survivor, or 'withdrawn' ('deceased' for a person the civil
  registry withdrew) when no current record is left.

Every `mode` and `arg_max` breaks ties by value, so the same input gives the
same rows, and scores keep the precision a re-link leaves alone
(`PROBABILITY_DECIMALS`, `WEIGHT_DECIMALS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import duckdb
import pyarrow as pa

from connectors.canonical import INTAKE_SOURCE_PREFIX
from domain.thresholds import ACTIVE_DAYS
from linkage import status
from linkage._sql import table_exists
from linkage.errors import NotLinkedError

#: A person's representative values come from their best record: the one
#: with a valid NIK, from an agency, with the most fields filled in (`r` a
#: linkage_records row, `s` its row of `sources`). Every
#: mode and arg_max breaks ties by value, so the same input gives the same
#: tables (and an unchanged reload sends nothing).
RECORD_SCORE: Final[str] = """
    (CASE WHEN r.nik_valid THEN 4 ELSE 0 END)
    + (CASE WHEN s.organization_type IN ('agency', 'dinsos') THEN 2 ELSE 0 END)
    + (CASE WHEN r.birth_date_clean IS NOT NULL THEN 1 ELSE 0 END)
    + (CASE WHEN r.address_key IS NOT NULL THEN 1 ELSE 0 END)
"""

_LINKED = f"""
    SELECT r.*, i.person_id, i.household_id, i.match_probability,
           coalesce(s.organization_type, 'agency') AS organization_type,
           {RECORD_SCORE} AS record_score
    FROM linkage_records r
    JOIN identity_map i USING (record_key)
    LEFT JOIN sources s ON s.id = r.source
"""

#: The output keeps linkage scores at a precision that a re-link leaves alone.
#: Splink's term-frequency adjustments move every score a little whenever any
#: record changes; at full precision every SourceRecord and MATCHED row would
#: then look changed and be re-sent (a 1% change re-sent 56% of the rows).
#: Probabilities keep 3 decimals, weights (the pair's and each comparison's
#: in the evidence) 1: what a social worker reads, and what the API shows.
PROBABILITY_DECIMALS: Final = 3
WEIGHT_DECIMALS: Final = 1


def _probability(column: str) -> str:
    return f"round({column}, {PROBABILITY_DECIMALS})"


def _weights_in(evidence: str) -> str:
    """The evidence JSON with every comparison's match_weight rounded."""
    return (
        f"CAST(to_json(list_transform(CAST({evidence} AS JSON[]), lambda c: json_merge_patch(c,"
        f" json_object('match_weight', round(CAST(json_extract_string(c, 'match_weight')"
        f" AS DOUBLE), {WEIGHT_DECIMALS}))))) AS VARCHAR)"
    )


#: The decile a DTSEN decile file gives each household (connectors.deciles
#: stages the files in `dtsen_deciles`): a row names the household of the
#: records carrying its NIK (a valid one) or its KK number; of the household's
#: rows the latest DTSEN period's count, and of those the lowest decile. It is
#: the registry's source of truth for deciles: a household a file names takes
#: this decile, one no file names keeps the lowest decile of its records.
DTSEN_DECILE_VIEW: Final = "linkage_dtsen_decile"
_DTSEN_DECILE: Final = """
    WITH matched AS (  -- two equi-joins: an OR of them is a nested loop, rows x records
        SELECT d.decile, d.period, d.source, d.row_number, r.record_key
        FROM dtsen_deciles d JOIN linkage_records r ON r.nik_clean = d.nik
        WHERE r.nik_valid AND NOT r.nik_is_kk
        UNION ALL
        SELECT d.decile, d.period, d.source, d.row_number, r.record_key
        FROM dtsen_deciles d JOIN linkage_records r ON r.kk_clean = d.no_kk
        WHERE r.kk_valid),
    named AS (
        SELECT DISTINCT i.household_id, m.decile, m.period, m.source, m.row_number
        FROM matched m JOIN identity_map i USING (record_key)),
    latest AS (SELECT *, max(period) OVER (PARTITION BY household_id) AS newest FROM named)
    SELECT household_id, min(decile) AS dtsen_decile, max(period) AS dtsen_period
    FROM latest WHERE period = newest GROUP BY household_id"""
_NO_DTSEN_DECILE: Final = (
    "SELECT NULL::VARCHAR AS household_id, NULL::INTEGER AS dtsen_decile,"
    " NULL::VARCHAR AS dtsen_period WHERE false"
)


def dtsen_decile_view(con: duckdb.DuckDBPyConnection) -> str:
    """(Re)create `DTSEN_DECILE_VIEW` (household_id, dtsen_decile, dtsen_period)
    on `con`: empty when no decile file was ever staged. Its name."""
    sql = _DTSEN_DECILE if table_exists(con, "dtsen_deciles") else _NO_DTSEN_DECILE
    con.execute(f"CREATE OR REPLACE TEMP VIEW {DTSEN_DECILE_VIEW} AS {sql}")
    return DTSEN_DECILE_VIEW


#: Who paid for a staged delivery (services `s`, joined to ref_program `p`): the
#: funder its source names, else its program's funder (a health office's
#: PBI-JK by APBN). The monthly report uses the same rule.
SERVICE_FUNDER: Final = "coalesce(nullif(s.funder, ''), p.funder_type)"

_SQL: dict[str, str] = {
    "kecamatan": "SELECT code, name FROM ref_kecamatan ORDER BY code",
    "kelurahan": "SELECT code, name, kecamatan_code FROM ref_kelurahan ORDER BY code",
    "problems": """SELECT code, number, name, name_en, special_category,
                          nullif(special_kind, '') AS special_kind FROM ref_ppks ORDER BY code""",
    "funders": "SELECT code, name, public FROM ref_funder_type ORDER BY code",
    "organizations": """
        SELECT DISTINCT ON (organization) organization AS id,
               coalesce(organization_name, organization) AS name,
               coalesce(organization_type, 'agency') AS type
        FROM sources WHERE organization IS NOT NULL ORDER BY organization""",
    "programs": """
        SELECT p.code, p.name, p.benefit_kind, p.need, p.description, p.funder_type,
               coalesce(list(pp.ppks_code ORDER BY pp.ppks_code)
                        FILTER (WHERE pp.ppks_code IS NOT NULL), []) AS ppks
        FROM ref_program p LEFT JOIN ref_program_ppks pp ON pp.program_code = p.code
        GROUP BY ALL ORDER BY p.code""",
    "program_combinations": """
        SELECT program_a, program_b, allowed, reason FROM ref_program_combination
        ORDER BY program_a, program_b""",
    "households": f"""
        WITH linked AS ({_LINKED})
        SELECT household_id,
               mode(kk_clean ORDER BY kk_clean) FILTER (WHERE kk_valid) AS no_kk,
               arg_max(address, (address_key IS NOT NULL, address)) AS address,
               arg_max(street_clean, (address_key IS NOT NULL, street_clean)) AS street,
               arg_max(house_number_clean, (address_key IS NOT NULL, house_number_clean))
                   AS house_number,
               mode(rt_clean ORDER BY rt_clean) AS rt, mode(rw_clean ORDER BY rw_clean) AS rw,
               mode(kelurahan_code ORDER BY kelurahan_code) AS kelurahan_code,
               mode(kecamatan_code ORDER BY kecamatan_code) AS kecamatan_code,
               coalesce(any_value(dt.dtsen_decile), min(welfare_decile)) AS welfare_decile,
               'active' AS status
        FROM linked LEFT JOIN """
    + DTSEN_DECILE_VIEW
    + """ dt USING (household_id)
        GROUP BY household_id ORDER BY household_id""",
    "persons": f"""
        WITH linked AS ({_LINKED}), gone AS ({status.current_status_sql()})
        SELECT person_id,
               arg_max(full_name, (record_score, full_name)) AS full_name,
               list_sort(list_distinct(flatten(list(name_tokens)))) AS name_tokens,
               mode(nik_clean ORDER BY nik_clean) FILTER (WHERE nik_valid AND NOT nik_is_kk) AS nik,
               mode(kk_clean ORDER BY kk_clean) FILTER (WHERE kk_valid) AS no_kk,
               mode(birth_date_clean ORDER BY birth_date_clean) AS birth_date,
               mode(birth_place ORDER BY birth_place) AS birth_place,
               mode(sex_clean ORDER BY sex_clean) AS sex,
               mode(relationship ORDER BY relationship) AS relationship,
               mode(phone_clean ORDER BY phone_clean) AS phone,
               coalesce(max(gone.status), 'active') AS status,
               mode(household_id ORDER BY household_id) AS household_id,
               list_sort(list_distinct(flatten(list(coalesce(ppks, []))))) AS ppks
        FROM linked LEFT JOIN gone USING (person_id) GROUP BY person_id ORDER BY person_id""",
    "source_records": """
        SELECT c.record_key, c.source, c.organization, c.source_record_id, c.full_name,
               c.nik, c.no_kk, c.birth_date, c.address, c.rt, c.rw, c.kelurahan,
               """
    + _probability("i.match_probability")
    + """ AS match_probability,
               v.valid_from AS loaded_at, i.person_id,
               starts_with(c.source, '"""
    + INTAKE_SOURCE_PREFIX
    + """') AS via_api,
               -- not stored: the household whose transaction writes the record
               -- (its person's, as in `persons`), see graph.household_load
               home.household_id
        FROM current_records c JOIN identity_map i USING (record_key)
        JOIN (SELECT person_id, mode(household_id ORDER BY household_id) AS household_id
              FROM identity_map GROUP BY person_id) home USING (person_id)
        -- loaded_at: when this version of the record was staged (not when it was
        -- last linked, which would change every record on every `hub link`)
        JOIN records v ON v.record_key = c.record_key AND v.version = c.version
        ORDER BY c.record_key""",
    "match_evidence": f"""
        SELECT record_key_l, record_key_r, {_probability("match_probability")} AS match_probability,
               round(match_weight, {WEIGHT_DECIMALS}) AS match_weight,
               {_weights_in("evidence")} AS evidence
        FROM link_evidence ORDER BY record_key_l, record_key_r""",
    # the funder by SERVICE_FUNDER, so funding shares and duplicated aid see
    # every delivery; the id keeps the staged value, so it stays stable
    "services": f"""
        SELECT 'S-' || md5(concat_ws('|', s.record_key, s.program, s.service_date,
                                     s.amount, s.funder, row_number() OVER w)) AS service_id,
               s.service_date, s.amount, s.source, s.record_key, s.program,
               {SERVICE_FUNDER} AS funder,
               s.organization, i.household_id, i.person_id
        FROM current_services s JOIN identity_map i USING (record_key)
        LEFT JOIN ref_program p ON p.code = s.program
        WINDOW w AS (PARTITION BY s.record_key, s.program, s.service_date, s.amount, s.funder
                     ORDER BY s.record_key)
        ORDER BY service_id""",
    # A household is enrolled in a program it received within the 6 months
    # before the latest delivery the hub has seen (domain.thresholds.ACTIVE_DAYS).
    "enrolments": f"""
        WITH latest AS (SELECT max(service_date) AS d FROM current_services),
        per AS (
            SELECT i.household_id, s.program, min(s.service_date) AS since,
                   max(s.service_date) AS until,
                   arg_max(s.organization, (s.service_date, s.organization)) AS organization
            FROM current_services s JOIN identity_map i USING (record_key)
            WHERE s.program IN (SELECT code FROM ref_program)
            GROUP BY ALL)
        SELECT household_id, program, since, until,
               until >= (SELECT d FROM latest) - INTERVAL {ACTIVE_DAYS} DAY AS active, organization
        FROM per ORDER BY household_id, program""",
}

#: The row tables, in the order a consumer builds them (reference data first).
TABLES: Final[tuple[str, ...]] = tuple(_SQL)

#: The retired-id tables: table -> the entity whose ids it retires.
RETIRED: Final[dict[str, str]] = {"retired_persons": "person", "retired_households": "household"}

#: Every table's columns, in order: the contract (see the module doc).
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "kecamatan": ("code", "name"),
    "kelurahan": ("code", "name", "kecamatan_code"),
    "problems": ("code", "number", "name", "name_en", "special_category", "special_kind"),
    "funders": ("code", "name", "public"),
    "organizations": ("id", "name", "type"),
    "programs": ("code", "name", "benefit_kind", "need", "description", "funder_type", "ppks"),
    "program_combinations": ("program_a", "program_b", "allowed", "reason"),
    "households": (
        "household_id",
        "no_kk",
        "address",
        "street",
        "house_number",
        "rt",
        "rw",
        "kelurahan_code",
        "kecamatan_code",
        "welfare_decile",
        "status",
    ),
    "persons": (
        "person_id",
        "full_name",
        "name_tokens",
        "nik",
        "no_kk",
        "birth_date",
        "birth_place",
        "sex",
        "relationship",
        "phone",
        "status",
        "household_id",
        "ppks",
    ),
    "source_records": (
        "record_key",
        "source",
        "organization",
        "source_record_id",
        "full_name",
        "nik",
        "no_kk",
        "birth_date",
        "address",
        "rt",
        "rw",
        "kelurahan",
        "match_probability",
        "loaded_at",
        "person_id",
        "via_api",
        "household_id",
    ),
    "match_evidence": (
        "record_key_l",
        "record_key_r",
        "match_probability",
        "match_weight",
        "evidence",
    ),
    "services": (
        "service_id",
        "service_date",
        "amount",
        "source",
        "record_key",
        "program",
        "funder",
        "organization",
        "household_id",
        "person_id",
    ),
    "enrolments": ("household_id", "program", "since", "until", "active", "organization"),
    "retired_persons": ("id", "status", "survivor_id"),
    "retired_households": ("id", "status", "survivor_id"),
}

VIEW_PREFIX: Final[str] = "linkage_out_"

#: what the output is computed from: staging and `hub link` made them
_NEEDS: Final[tuple[str, ...]] = (
    "linkage_records",
    "identity_map",
    "identity_retired",
    "current_records",
    "ref_ppks",
)
#: tables only some runs have: a table is left out without them
_OPTIONAL: Final[dict[str, str]] = {"match_evidence": "link_evidence"}


def view_name(table: str) -> str:
    """The temp view that holds `table` of the output."""
    return VIEW_PREFIX + table


def is_linked(con: duckdb.DuckDBPyConnection) -> bool:
    """Has `hub link` run on this staging (identity map and standardised records)?"""
    return table_exists(con, "identity_map") and table_exists(con, "linkage_records")


def output_views(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """(Re)create the output's temp views on `con`: table -> view, for every
    table there is data for (the row tables, then the retired ids). Raises
    NotLinkedError when staging or the identity tables are missing."""
    missing = [t for t in _NEEDS if not table_exists(con, t)]
    if missing:
        raise NotLinkedError(missing)
    status.prepare(con)
    dtsen_decile_view(con)
    queries = {
        name: sql
        for name, sql in _SQL.items()
        if name not in _OPTIONAL or table_exists(con, _OPTIONAL[name])
    }
    queries.update({name: status.retired_sql(entity) for name, entity in RETIRED.items()})
    out = {}
    for name, sql in queries.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view_name(name)} AS {sql}")
        out[name] = view_name(name)
    return out


def output_queries(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """A SELECT of every table `output_views` makes, by table name."""
    return {name: f"SELECT * FROM {view}" for name, view in output_views(con).items()}


def output_tables(
    con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None
) -> dict[str, pa.Table]:
    """Every row table there is data for, as Arrow (the retired ids are in
    `output_queries`); `progress` is told each table's name before it is read."""
    out: dict[str, pa.Table] = {}
    for name, sql in output_queries(con).items():
        if name in RETIRED:
            continue
        if progress:
            progress(name)
        out[name] = con.sql(sql).to_arrow_table()
    return out


__all__ = [
    "COLUMNS",
    "DTSEN_DECILE_VIEW",
    "PROBABILITY_DECIMALS",
    "RECORD_SCORE",
    "RETIRED",
    "SERVICE_FUNDER",
    "TABLES",
    "VIEW_PREFIX",
    "WEIGHT_DECIMALS",
    "dtsen_decile_view",
    "is_linked",
    "output_queries",
    "output_tables",
    "output_views",
    "view_name",
]
