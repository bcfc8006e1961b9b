"""The figures the API serves from the same tables as the monthly report: one
definition, computed in one place. The truth for them is staging, linkage's
output and the journal (services and change requests recorded through the
API), not the graph: `povertyIndicators` asks for them through
`schema.services.Analytics`, which hub/ implements with this module on the
published staging generation.

    poverty   per kecamatan or kelurahan: households and active people counted,
              poor people (decile <= poor_decile or P3KE), households per decile
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import duckdb

from domain.thresholds import POOR_DECILE_MAX
from journal import Journal
from reports.errors import ReportError
from reports.queries import Period, poor_sql, prepare

#: the area tables a figure is given for, by level
LEVELS: Final[dict[str, str]] = {"KECAMATAN": "ref_kecamatan", "KELURAHAN": "ref_kelurahan"}
#: the steps of `reports.queries.prepare` the poverty figures read
_POVERTY_STEPS: Final = ("rules", "persons", "households", "counted households")


def prepare_poverty(con: duckdb.DuckDBPyConnection, period: Period,
                    journal: Journal | None = None) -> None:
    """Build the temp tables the poverty figures read (`_rp_counted`), as the
    report does for `period`."""
    for step in _POVERTY_STEPS:
        prepare(con, period, step, journal)


def poverty(con: duckdb.DuckDBPyConnection, level: str = "KECAMATAN", *,
            poor_decile: int = POOR_DECILE_MAX,
            households: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Per area of `level` (every one in the reference data, in code order):
    households counted, their active people, poor people, and households per
    decile; only among `households` when given (a scoped caller's). Needs
    `prepare_poverty` first."""
    table = LEVELS.get(level)
    if table is None:
        raise ReportError(f"level {level!r}: choose one of {', '.join(LEVELS)}.")
    column = f"{level.lower()}_code"
    params: dict[str, Any] = {"all": households is None, "ids": list(households or [])}
    counted = ("SELECT * FROM _rp_counted WHERE $all OR household_id IN "
               "(SELECT unnest($ids::VARCHAR[]))")
    rows = con.execute(f"""
        WITH c AS ({counted})
        SELECT a.code, a.name, count(c.household_id), coalesce(sum(c.people), 0)::BIGINT,
               coalesce(sum(c.people) FILTER (WHERE {poor_sql("$poor")}), 0)::BIGINT
        FROM {table} a LEFT JOIN c ON c.{column} = a.code
        GROUP BY ALL ORDER BY a.code""", {**params, "poor": poor_decile}).fetchall()
    deciles: dict[str, list[dict[str, int]]] = {}
    for code, decile, n in con.execute(f"""
            WITH c AS ({counted})
            SELECT {column}, welfare_decile, count(*) FROM c
            WHERE {column} IS NOT NULL AND welfare_decile IS NOT NULL
            GROUP BY ALL ORDER BY 1, 2""", params).fetchall():
        deciles.setdefault(str(code), []).append({"decile": int(decile), "households": int(n)})
    return [{"code": code, "name": name, "population": None, "households": int(h),
             "people": int(people), "poor_people": int(poor),
             "by_decile": deciles.get(str(code), [])}
            for code, name, h, people, poor in rows]


__all__ = ["LEVELS", "poverty", "prepare_poverty"]
