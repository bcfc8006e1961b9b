"""A person's status from the sources: active, deceased, moved or withdrawn.

One home for the rules the graph (each Person's `status`, through
linkage.output) and the monthly report (its penonaktifan sheet) both use. The
rules are data, in `linkage/status_rules.csv` (columns rule, field, value,
meaning): a source writes the person as deceased in the relationship/status
column (`deceased_value`), the civil registry withdrew the person's row
(`deceased_withdrawn`), or the address is in another city (`home_city` lists
the names that mean Kota Bandung). 'merged' comes from the identity registry.

The SQL pieces take the name of a table of rules loaded by `rules_table` or
`STATUS_RULES_SELECT` (rule, field, value, the value upper-cased), so every
reader reads the same file the same way; `rules_select` reads a rules file of
the same layout (the report keeps its own rules so).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import duckdb

STATUS_RULES_FILE: Final[Path] = Path(__file__).resolve().parent / "status_rules.csv"

#: The statuses a person in the graph can have; 'merged' is given by linkage.
STATUSES: Final[tuple[str, ...]] = ("active", "deceased", "moved", "withdrawn", "merged")


def rules_select(path: Path) -> str:
    """A rules CSV (rule, field, value, meaning) as a SELECT of rule, field and
    the value upper-cased."""
    return (
        "SELECT rule, field, upper(trim(value)) AS value "
        f"FROM read_csv('{path.as_posix()}', header = true, all_varchar = true)"
    )


#: The status rules as a table: rule, field, value (upper case).
STATUS_RULES_SELECT: Final[str] = rules_select(STATUS_RULES_FILE)


def rules_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """(Re)load the status rules into the temp table `table`."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {STATUS_RULES_SELECT}")


def city_norm(col: str) -> str:
    """A city name as the rules compare it: letters only, upper case."""
    return f"upper(trim(regexp_replace({col}, '[^A-Za-z ]', ' ', 'g')))"


def deceased_value(col: str, rules: str) -> str:
    """`col` (a relationship/status value) says the person died."""
    return (
        f"upper(trim({col})) IN (SELECT value FROM {rules} "
        "WHERE rule = 'deceased_value' AND field = 'relationship')"
    )


def deceased_source(col: str, rules: str) -> str:
    """`col` (a source id) is one whose withdrawal of a row means a death."""
    return f"upper({col}) IN (SELECT value FROM {rules} WHERE rule = 'deceased_withdrawn')"


def outside_city(col: str, rules: str) -> str:
    """`col` (a city) is filled in and is not Kota Bandung."""
    norm = city_norm(col)
    return (
        f"(nullif({norm}, '') IS NOT NULL "
        f"AND {norm} NOT IN (SELECT value FROM {rules} WHERE rule = 'home_city'))"
    )


_RULES: Final[str] = "_status_rules"


def current_status_sql() -> str:
    """person_id -> status of every person in the identity map that is not
    active: 'deceased' when a current record says so or the civil registry
    withdrew one of the person's records, else 'moved' when the person's most
    recently staged record is in another city. Needs `prepare` first."""
    return f"""
        WITH cur AS (
            SELECT i.person_id, r.relationship, r.city, r.valid_from
            FROM records r JOIN identity_map i USING (record_key)
            WHERE r.valid_to IS NULL AND r.status = 'active'),
        registry_dead AS (
            SELECT DISTINCT x.person_id FROM records w
            JOIN identity_retired x USING (record_key)
            WHERE w.valid_to IS NULL AND w.status = 'withdrawn'
              AND {deceased_source("w.source", _RULES)}),
        per AS (
            SELECT person_id,
                   bool_or({deceased_value("relationship", _RULES)}) AS dead,
                   arg_max({outside_city("city", _RULES)}, valid_from) AS away
            FROM cur GROUP BY person_id)
        SELECT person_id,
               CASE WHEN dead OR person_id IN (SELECT person_id FROM registry_dead)
                    THEN 'deceased' ELSE 'moved' END AS status
        FROM per
        WHERE dead OR coalesce(away, false)
           OR person_id IN (SELECT person_id FROM registry_dead)"""


def retired_sql(entity: str) -> str:
    """id, status, survivor_id of every retired person or household id:
    'merged' into its (final) survivor (unless that one was erased), or all
    of its records withdrawn ('withdrawn'; for a person withdrawn by the
    civil registry, 'deceased'). Needs `prepare` first."""
    dead = (
        f"""bool_or(w.status = 'withdrawn' AND {deceased_source("w.source", _RULES)})"""
        if entity == "person"
        else "false"
    )
    return f"""
        WITH RECURSIVE chain(id, survivor_id, depth) AS (
            SELECT {entity}_id, survivor_id, 1 FROM {entity}_registry
            WHERE status = 'merged' AND survivor_id IS NOT NULL
            UNION ALL
            SELECT c.id, r.survivor_id, c.depth + 1 FROM chain c
            JOIN {entity}_registry r ON r.{entity}_id = c.survivor_id
            WHERE r.status = 'merged' AND r.survivor_id IS NOT NULL AND c.depth < 50),
        final AS (
            SELECT id, arg_max(survivor_id, depth) AS survivor_id FROM chain GROUP BY id),
        -- a chain ending at an erased id is gone from the graph: nothing to retire
        merged AS (
            SELECT * FROM final WHERE survivor_id NOT IN
                (SELECT {entity}_id FROM {entity}_registry WHERE status = 'erased')),
        orphan AS (
            SELECT x.{entity}_id AS id, {dead} AS dead
            FROM identity_retired x
            LEFT JOIN records w ON w.record_key = x.record_key AND w.valid_to IS NULL
            WHERE x.{entity}_id NOT IN (SELECT {entity}_id FROM identity_map)
              AND x.{entity}_id NOT IN (SELECT id FROM final)
            GROUP BY 1)
        SELECT id, 'merged' AS status, survivor_id FROM merged
        UNION ALL
        SELECT id, CASE WHEN dead THEN 'deceased' ELSE 'withdrawn' END, NULL FROM orphan
        ORDER BY id"""


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Load the rules the SQL above reads."""
    rules_table(con, _RULES)


__all__ = [
    "STATUSES",
    "STATUS_RULES_FILE",
    "STATUS_RULES_SELECT",
    "city_norm",
    "current_status_sql",
    "deceased_source",
    "deceased_value",
    "outside_city",
    "prepare",
    "retired_sql",
    "rules_select",
    "rules_table",
]
