"""The report's targeting findings (`domain.targeting`): households the
eligibility rules find eligible but that got no service of a program
(EXCLUSION), households served by a program whose rule they fail
(INCLUSION) and duplicated aid (DUPLICATION), computed from staging as the
other sheets are, so the report still needs no Neo4j.

A household is judged on the report month's last day, from its active
persons (`_rp_person` less `_rp_gone`): their birth dates, PPKS problems and
the household's lowest decile. It was *served* by a program when it received
a service of it (`_rp_service`) in the `WINDOW` up to the month's end, the
period the console's dashboard shows, or holds an enrolment recorded through
the API in force that day. Its duplicated aid is its services in the same
window taken two by two and judged by the graph's own expression
(`domain.targeting.DUPLICATION_RULE_EXPR`) over the same combination table
(`ref_program_combination`, what the graph's `COMBINES_WITH` is loaded from),
so `duplicatedAid` over that window finds the same households.

Three sheets: `Temuan per Kecamatan` (households per kecamatan, kind and
program; a duplication of two programs counts under each, as
`targetingSummary`), `Temuan Teratas` (the first `TOP` eligibility findings,
inclusion errors first, then the poorest households, each with its
conditions and services) and `Bantuan Ganda` (the first `TOP` duplications,
each with its rule, the table's reason and the services).
Like every sheet, the report is Dinsos's own and unmasked; every cell goes
through the formula escape on the way out (`reports.workbook`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Final

import duckdb

from domain.eligibility import RuleBook
from domain.targeting import (
    DUPLICATION_PAIR,
    DUPLICATION_RULE_EXPR,
    FINDINGS_WINDOW,
    Finding,
    TargetingRow,
    duplication_finding,
    eligibility_findings,
    targeting_row,
)
from reports.queries import Period, SheetSpec

#: how far back a service counts as serving the household (the dashboard's window)
WINDOW: Final = FINDINGS_WINDOW
#: the findings listed one by one
TOP: Final = 1000

COUNTS: Final = SheetSpec(
    "Temuan per Kecamatan",
    "Temuan penargetan per kecamatan: keluarga layak yang tidak menerima (EXCLUSION), "
    "keluarga penerima yang tidak layak (INCLUSION) dan bantuan ganda (DUPLICATION), per program",
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
DUPLICATED: Final = SheetSpec(
    "Bantuan Ganda",
    f"{TOP} bantuan ganda pertama: program yang sama dari beberapa penyandang dana atau "
    "lembaga, dan pasangan program yang tidak boleh menurut tabel kombinasi",
    (
        "ID_KELUARGA",
        "KODE_KECAMATAN",
        "KECAMATAN",
        "KELURAHAN",
        "DESIL",
        "ATURAN",
        "PROGRAM",
        "PENJELASAN",
        "LAYANAN",
    ),
    "",
)
SHEETS: Final[tuple[SheetSpec, ...]] = (COUNTS, TOP_FINDINGS, DUPLICATED)

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

#: every pair of a household's services in the window judged by the graph's rule
_DUPLICATED: Final = f"""
WITH s AS (
    SELECT row_number() OVER (ORDER BY household_id, service_date, program, funder,
                                       organization, amount) AS service_id, *
    FROM _rp_service WHERE service_date >= $since AND service_date < $end),
c AS (
    SELECT program_a AS a, program_b AS b, allowed, reason FROM ref_program_combination
    UNION ALL
    SELECT program_b, program_a, allowed, reason FROM ref_program_combination),
pairs AS (
    SELECT s1.household_id, p1.code AS a, p2.code AS b, c.reason,
           {DUPLICATION_RULE_EXPR} AS rule, [s1.service_id, s2.service_id] AS ids
    FROM s s1 JOIN s s2 USING (household_id)
    JOIN ref_program p1 ON p1.code = s1.program JOIN ref_program p2 ON p2.code = s2.program
    LEFT JOIN c ON c.a = p1.code AND c.b = p2.code AND p1.code <> p2.code
    WHERE {DUPLICATION_PAIR}),
found AS (
    SELECT household_id, rule, a, b, any_value(reason) AS reason,
           list_distinct(flatten(list(ids))) AS ids
    FROM pairs WHERE rule IS NOT NULL GROUP BY household_id, rule, a, b),
evidence AS (
    SELECT household_id, rule, a, b, reason, unnest(ids) AS service_id FROM found)
SELECT f.household_id, f.rule, CASE WHEN f.a = f.b THEN [f.a] ELSE [f.a, f.b] END AS programs,
       f.reason,
       list(struct_pack(program := s.program, service_date := s.service_date,
                        funder := s.funder, organization := s.organization,
                        amount := s.amount) ORDER BY s.service_date, s.service_id) AS services
FROM evidence f JOIN s USING (service_id)
GROUP BY f.household_id, f.rule, f.a, f.b, f.reason
ORDER BY f.household_id, f.rule, f.a, f.b"""

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
    duplicated = duplications(con, window, rows)
    counts = Counter(
        {
            (f.kecamatan_code or "-", f.kind.upper(), program, f.household_id)
            for f in (*found, *duplicated)
            for program in f.programs
        }
    )
    decile = {r.household_id: r.facts.decile for r in rows.values()}
    top = sorted(found, key=lambda f: (f.kind != "inclusion", decile[f.household_id] or 99))
    top = top[:TOP]
    services = _services(con, window, sorted({f.household_id for f in top}))
    return {
        COUNTS.name: [
            (code, kecamatan.get(code, "tidak diketahui"), kind, program, n)
            for (code, kind, program), n in sorted(Counter(key[:3] for key in counts).items())
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
        DUPLICATED.name: [
            (
                f.household_id,
                f.kecamatan_code,
                kecamatan.get(f.kecamatan_code),
                kelurahan.get(f.kelurahan_code),
                decile[f.household_id],
                f.rule,
                ", ".join(f.programs),
                f.explanation,
                "; ".join(_service(s) for s in f.services),
            )
            for f in duplicated[:TOP]
        ],
    }


def duplications(
    con: duckdb.DuckDBPyConnection,
    window: dict[str, dt.date],
    households: dict[str, TargetingRow],
) -> list[Finding]:
    """Duplicated aid of the households judged (those with an active person),
    by the graph's rule, over `window` [since, end)."""
    cursor = con.execute(_DUPLICATED, window)
    names = [d[0] for d in cursor.description]
    return [
        duplication_finding(r, households[r["household_id"]])
        for r in (dict(zip(names, row, strict=True)) for row in cursor.fetchall())
        if r["household_id"] in households
    ]


def _services(
    con: duckdb.DuckDBPyConnection, window: dict[str, dt.date], ids: Sequence[str]
) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for household_id, *rest in con.execute(_SERVICES, {**window, "ids": list(ids)}).fetchall():
        out.setdefault(household_id, []).append(tuple(rest))
    return out


def _conditions(f: Finding) -> str:
    return "; ".join(f"{'ya' if c.held else 'tidak'}: {c.explanation}" for c in f.conditions)


def _service(s: tuple[Any, ...] | Mapping[str, Any]) -> str:
    if isinstance(s, Mapping):
        s = (s["program"], s["service_date"], s["funder"], s["amount"])
    program, day, funder, amount = s
    paid = f" Rp {amount:,.0f}".replace(",", ".") if amount is not None else ""
    return f"{day:%Y-%m-%d} {program} {funder}{paid}"


__all__ = ["SHEETS", "TOP", "WINDOW", "duplications", "findings_sheets"]
