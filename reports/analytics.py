"""The figures the API serves from the same tables as the monthly report: one
definition, computed in one place. The truth for them is staging, linkage's
output and the journal (services and change requests recorded through the
API), not the graph: `povertyIndicators` asks for them through
`schema.services.Analytics`, which hub/ implements with this module on the
published staging generation.

    poverty        per kecamatan or kelurahan: households and active people counted,
                   poor people (decile <= poor_decile or P3KE), households per decile
    coverage_gaps  households with an active person with a PPKS problem and no
                   active program addressing it: counts per (kelurahan, PPKS), ids
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import duckdb

from domain.thresholds import POOR_DECILE_MAX, poor_sql
from journal import Journal
from reports.errors import ReportError
from reports.goals import POPULATION_TABLE, Goals
from reports.queries import BUDGETS_STEP, POPULATION_STEP, Period, prepare

#: the area tables a figure is given for, by level
LEVELS: Final[dict[str, str]] = {"KECAMATAN": "ref_kecamatan", "KELURAHAN": "ref_kelurahan"}
#: the steps of `reports.queries.prepare` the figures read
_STEPS: Final = (
    "journal",
    POPULATION_STEP,
    BUDGETS_STEP,
    "rules",
    "persons",
    "households",
    "statuses",
    "counted households",
    "services",
    "coverage gaps",
)


def prepare_figures(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    journal: Journal | None = None,
    goals: Goals | None = None,
) -> None:
    """Build the temp tables the figures read (`_rp_counted`, `_rp_gap`,
    `_rp_population`), as the report does for `period`, with what the API
    recorded from `journal` and the population of `goals`."""
    for step in _STEPS:
        prepare(con, period, step, journal, goals)


def _among(households: Sequence[str] | None) -> dict[str, Any]:
    """The parameters of `_AMONG`: every household, or only `households`."""
    return {"all": households is None, "ids": list(households or [])}


#: `household_id` is one of the households asked about
_AMONG: Final = "($all OR household_id IN (SELECT unnest($ids::VARCHAR[])))"


def poverty(
    con: duckdb.DuckDBPyConnection,
    level: str = "KECAMATAN",
    *,
    poor_decile: int = POOR_DECILE_MAX,
    households: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Per area of `level` (every one in the reference data, in code order):
    its population (the population file's), households counted, their active
    people, poor people, and households per decile; only among `households`
    when given (a scoped caller's). Needs `prepare_figures` first."""
    table = LEVELS.get(level)
    if table is None:
        raise ReportError(f"level {level!r}: choose one of {', '.join(LEVELS)}.")
    column = f"{level.lower()}_code"
    params = _among(households)
    counted = f"SELECT * FROM _rp_counted WHERE {_AMONG}"
    rows = con.execute(
        f"""
        WITH c AS ({counted})
        SELECT a.code, a.name, count(c.household_id), coalesce(sum(c.people), 0)::BIGINT,
               coalesce(sum(c.people) FILTER (WHERE {poor_sql("$poor")}), 0)::BIGINT,
               pop.population
        FROM {table} a LEFT JOIN c ON c.{column} = a.code
        LEFT JOIN {POPULATION_TABLE} pop ON pop.level = '{level}' AND pop.code = a.code
        GROUP BY ALL ORDER BY a.code""",
        {**params, "poor": poor_decile},
    ).fetchall()
    deciles: dict[str, list[dict[str, int]]] = {}
    for code, decile, n in con.execute(
        f"""
            WITH c AS ({counted})
            SELECT {column}, welfare_decile, count(*) FROM c
            WHERE {column} IS NOT NULL AND welfare_decile IS NOT NULL
            GROUP BY ALL ORDER BY 1, 2""",
        params,
    ).fetchall():
        deciles.setdefault(str(code), []).append({"decile": int(decile), "households": int(n)})
    return [
        {
            "code": code,
            "name": name,
            "population": None if population is None else int(population),
            "households": int(h),
            "people": int(people),
            "poor_people": int(poor),
            "by_decile": deciles.get(str(code), []),
        }
        for code, name, h, people, poor, population in rows
    ]


def coverage_gaps(
    con: duckdb.DuckDBPyConnection,
    *,
    area: str | None = None,
    ppks: str | None = None,
    special_category: bool = True,
    households: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The coverage gaps (the report's Celah Cakupan), in `area` (a kecamatan or
    kelurahan code) and of problem `ppks` when given, special-category problems
    only when `special_category`, among `households` when given: `counts` per
    (kecamatan, kelurahan, PPKS) of households, and `households` (id and the
    PPKS codes without a program, by id). Needs `prepare_figures` first."""
    params = {**_among(households), "area": area, "ppks": ppks, "special": special_category}
    gaps = f"""
        SELECT g.household_id, g.ppks, coalesce(h.kecamatan_code, '') AS kecamatan_code,
               coalesce(h.kelurahan_code, '') AS kelurahan_code
        FROM _rp_gap g JOIN _rp_household h USING (household_id)
        LEFT JOIN ref_ppks r ON r.code = g.ppks
        WHERE NOT g.covered AND {_AMONG.replace("household_id", "g.household_id")}
          AND ($ppks::VARCHAR IS NULL OR g.ppks = $ppks)
          AND ($special OR NOT coalesce(r.special_category, false))
          AND ($area::VARCHAR IS NULL OR h.kelurahan_code = $area
               OR h.kecamatan_code = $area)"""
    counts = con.execute(
        f"""
        SELECT kecamatan_code, kelurahan_code, ppks, count(DISTINCT household_id)
        FROM ({gaps}) GROUP BY ALL ORDER BY ALL""",
        params,
    ).fetchall()
    listed = con.execute(
        f"""
        SELECT household_id, list(ppks ORDER BY ppks)
        FROM ({gaps}) GROUP BY 1 ORDER BY 1""",
        params,
    ).fetchall()
    return {
        "counts": [
            {"kecamatan_code": kec, "kelurahan_code": kel, "ppks": code, "households": int(n)}
            for kec, kel, code, n in counts
        ],
        "households": [{"household_id": h, "unmet_ppks": list(codes)} for h, codes in listed],
    }


__all__ = ["LEVELS", "coverage_gaps", "poverty", "prepare_figures"]
