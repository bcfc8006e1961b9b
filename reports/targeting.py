"""The report's targeting findings (`domain.targeting`): households the
eligibility rules find eligible but that got no service of a program
(EXCLUSION), and households served by a program whose rule they fail
(INCLUSION), computed from staging as the other sheets are, so the report
still needs no Neo4j.

A household is judged on the report month's last day, from its active
persons (`_rp_person` less `_rp_gone`): their birth dates, PPKS problems and
the household's lowest decile. It was *served* by a program when it received
a service of it (`_rp_service`) in the `WINDOW` up to the month's end, the
period the console's dashboard shows, or holds an enrolment recorded through
the API in force that day. Duplicated aid is the graph's (`duplicatedAid`):
the report leaves it to the API and the console.

Two sheets: `Temuan per Kecamatan` (households per kecamatan, kind and
program) and `Temuan Teratas` (the first `TOP` findings, inclusion errors
first, then the poorest households, each with its conditions and services).
Like every sheet, the report is Dinsos's own and unmasked; every cell goes
through the formula escape on the way out (`reports.workbook`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

import duckdb

from domain.eligibility import RuleBook
from domain.targeting import Finding, eligibility_findings, targeting_row
from reports.queries import Period, SheetSpec

#: how far back a service counts as serving the household (the dashboard's window)
WINDOW: Final = dt.timedelta(days=365)
#: the findings listed one by one
TOP: Final = 1000

COUNTS: Final = SheetSpec(
    "Temuan per Kecamatan",
    "Temuan penargetan per kecamatan: keluarga layak yang tidak menerima (EXCLUSION) dan "
    "keluarga penerima yang tidak layak (INCLUSION), per program",
    ("KODE_KECAMATAN", "KECAMATAN", "JENIS", "PROGRAM", "KELUARGA"),
    "",
)
TOP_FINDINGS: Final = SheetSpec(
    "Temuan Teratas",
    f"{TOP} temuan pertama: penerima tidak layak dahulu, lalu keluarga termiskin",
    (
        "ID_KELUARGA",
        "KODE_KECAMATAN",
        "KECAMATAN",
        "KELURAHAN",
        "DESIL",
        "JENIS",
        "PROGRAM",
        "ATURAN",
        "PENJELASAN",
        "SYARAT",
        "LAYANAN",
    ),
    "",
)
SHEETS: Final[tuple[SheetSpec, ...]] = (COUNTS, TOP_FINDINGS)

_FACTS: Final = """
WITH members AS (
    SELECT household_id, list(birth_date) AS births,
           coalesce(list(ppks) FILTER (WHERE len(ppks) > 0), []) AS problems
    FROM _rp_person WHERE person_id NOT IN (SELECT person_id FROM _rp_gone) GROUP BY 1),
served AS (
    SELECT household_id, list(DISTINCT program) AS served FROM _rp_service
    WHERE service_date >= $since AND service_date < $end GROUP BY 1),
enrolled AS (
    SELECT household_id, list(DISTINCT program) AS enrolled FROM _rp_api_enrolment
    WHERE since < $end AND coalesce(until >= $on, true) GROUP BY 1)
SELECT h.household_id, h.kelurahan_code, h.kecamatan_code, h.welfare_decile AS decile,
       m.births, m.problems, coalesce(s.served, []) AS served,
       coalesce(e.enrolled, []) AS enrolled
FROM _rp_household h JOIN members m USING (household_id)
LEFT JOIN served s USING (household_id) LEFT JOIN enrolled e USING (household_id)"""

_SERVICES: Final = """
SELECT household_id, program, service_date, funder, amount FROM _rp_service
WHERE service_date >= $since AND service_date < $end AND household_id IN (SELECT unnest($ids))
ORDER BY household_id, service_date, program"""


def findings_sheets(
    con: duckdb.DuckDBPyConnection, period: Period, rules: RuleBook
) -> dict[str, list[tuple[Any, ...]]]:
    """Both sheets' rows, after `reports.queries.prepare`."""
    on = period.end - dt.timedelta(days=1)
    window = {"since": period.end - WINDOW, "end": period.end}
    cursor = con.execute(_FACTS, {**window, "on": on})
    names = [d[0] for d in cursor.description]
    facts = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    rows = {r["household_id"]: targeting_row(r, on) for r in facts}
    found = eligibility_findings(rules, rows.values(), on)
    kecamatan = dict(con.execute("SELECT code, name FROM ref_kecamatan").fetchall())
    kelurahan = dict(con.execute("SELECT code, name FROM ref_kelurahan").fetchall())
    counts = Counter((f.kecamatan_code or "-", f.kind.upper(), f.programs[0]) for f in found)
    decile = {r.household_id: r.facts.decile for r in rows.values()}
    top = sorted(found, key=lambda f: (f.kind != "inclusion", decile[f.household_id] or 99))
    top = top[:TOP]
    services = _services(con, window, sorted({f.household_id for f in top}))
    return {
        COUNTS.name: [
            (code, kecamatan.get(code, "tidak diketahui"), kind, program, n)
            for (code, kind, program), n in sorted(counts.items())
        ],
        TOP_FINDINGS.name: [
            (
                f.household_id,
                f.kecamatan_code,
                kecamatan.get(f.kecamatan_code),
                kelurahan.get(f.kelurahan_code),
                decile[f.household_id],
                f.kind.upper(),
                ", ".join(f.programs),
                f.rule,
                f.explanation,
                _conditions(f),
                "; ".join(
                    _service(s) for s in services.get(f.household_id, []) if s[0] in f.programs
                ),
            )
            for f in top
        ],
    }


def _services(
    con: duckdb.DuckDBPyConnection, window: dict[str, dt.date], ids: Sequence[str]
) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for household_id, *rest in con.execute(_SERVICES, {**window, "ids": list(ids)}).fetchall():
        out.setdefault(household_id, []).append(tuple(rest))
    return out


def _conditions(f: Finding) -> str:
    return "; ".join(f"{'ya' if c.held else 'tidak'}: {c.explanation}" for c in f.conditions)


def _service(s: tuple[Any, ...]) -> str:
    program, day, funder, amount = s
    paid = f" Rp {amount:,.0f}".replace(",", ".") if amount is not None else ""
    return f"{day:%Y-%m-%d} {program} {funder}{paid}"


__all__ = ["SHEETS", "TOP", "WINDOW", "findings_sheets"]
