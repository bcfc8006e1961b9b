"""The loader's input tables, built set-based in DuckDB from staging, the
identity map and the reference data.

graph/ never reads DuckDB and linkage/ never knows the graph: this module is
the one place that joins them. Each function returns an Arrow table whose
columns are the contract of the graph loader table of the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import duckdb

from domain.thresholds import ACTIVE_DAYS
from hub.errors import PipelineError
from hub.intake import INTAKE_SOURCE_PREFIX
from linkage import status as person_status
from linkage.status import current_status_sql

#: A person's representative values come from their best record: the one
#: with a valid NIK, from an agency, with the most fields filled in. Every
#: mode and arg_max breaks ties by value, so the same input gives the same
#: tables (and an unchanged reload sends nothing).
_RECORD_SCORE = """
    (CASE WHEN r.nik_valid THEN 4 ELSE 0 END)
    + (CASE WHEN s.organization_type IN ('agency', 'dinsos') THEN 2 ELSE 0 END)
    + (CASE WHEN r.birth_date_clean IS NOT NULL THEN 1 ELSE 0 END)
    + (CASE WHEN r.address_key IS NOT NULL THEN 1 ELSE 0 END)
"""

_LINKED = f"""
    SELECT r.*, i.person_id, i.household_id, i.match_probability,
           coalesce(s.organization_type, 'agency') AS organization_type,
           {_RECORD_SCORE} AS record_score
    FROM linkage_records r
    JOIN identity_map i USING (record_key)
    LEFT JOIN sources s ON s.id = r.source
"""

#: The graph keeps linkage scores at a precision that a re-link leaves alone.
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
    return (f"CAST(to_json(list_transform(CAST({evidence} AS JSON[]), lambda c: json_merge_patch(c,"
            f" json_object('match_weight', round(CAST(json_extract_string(c, 'match_weight')"
            f" AS DOUBLE), {WEIGHT_DECIMALS}))))) AS VARCHAR)")


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
               min(welfare_decile) AS welfare_decile,
               'active' AS status
        FROM linked GROUP BY household_id ORDER BY household_id""",
    "persons": f"""
        WITH linked AS ({_LINKED}), gone AS ({current_status_sql()})
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
               """ + _probability("i.match_probability") + """ AS match_probability,
               v.valid_from AS loaded_at, i.person_id,
               starts_with(c.source, '""" + INTAKE_SOURCE_PREFIX + """') AS via_api,
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

#: The loader's tables, in the order they are built.
TABLES: tuple[str, ...] = tuple(_SQL)

_NEEDS = ("linkage_records", "identity_map", "identity_retired", "current_records", "ref_ppks")


def table_queries(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The SELECT of every loader table there is data for, by name; the
    temp tables they read are made here."""
    missing = [t for t in _NEEDS if not _exists(con, t)]
    if missing:
        raise PipelineError(
            f"nothing to load: {', '.join(missing)} missing; run `hub ingest` and `hub link` first."
        )
    person_status.prepare(con)
    return {name: sql for name, sql in _SQL.items()
            if name != "match_evidence" or _exists(con, "link_evidence")}


def graph_tables(
    con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Every loader table as Arrow, from what is staged and linked."""
    out: dict[str, Any] = {}
    for name, sql in table_queries(con).items():
        if progress:
            progress(name)
        out[name] = con.sql(sql).to_arrow_table()
    return out


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $n "
        "UNION ALL SELECT count(*) FROM duckdb_views() WHERE view_name = $n",
        {"n": name},
    ).fetchall()
    return sum(int(r[0]) for r in row) > 0
