"""Budgets, spending against them, and the share of need the funding pool covers.

A budgets file is a CSV, one row per funder, program and year:

    funder,program,year,quota_households,amount
    APBN,PKH,2026,1200,3600000000

`funder` is a funder type of the reference data (APBN, APBD_PROV, APBD_KOTA,
FOUNDATION, CSR, ZAKAT) or an organization code that funds its own deliveries
(`YAY-...`, `ORG-...`); `program` one of the program catalogue's; `quota_households`
how many households it pays for, `amount` how much (IDR). A row that breaks a rule
is quarantined with its reason, the others are used; a file without the columns
is refused.

- *spent* on a budget: the amounts of the services of its program that its funder
  paid for in its year (a delivery that names no funder is its program's
  funder type's, `linkage.SERVICE_FUNDER`), as the report counts services;
- a household is *in need* of a program when it is poor (`domain.thresholds.
  poor_sql`) and has an active person with a PPKS problem the program addresses
  (the coverage-gap rule's problems);
- the *cost of need* of a program is its households in need times its
  `cost_per_household` (the program catalogue); the pool *can pay* of it the
  least of that cost and the program's budgets in the year; the *share of need
  covered* is what the pool can pay over the cost of need, all programs together.

The file is the seed: a Dinsos administrator changes a budget through the API
(`setBudget`), which appends a `budget.set` fact to the journal with the new
figures and the old ones. The budgets in force are the file's with every such
fact applied in journal order (`in_force`), the one home the API, the funding
pool and the monthly report read; `versions` lists a budget's values over time.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

from connectors import reference
from domain.thresholds import poor_sql
from journal import Journal, kinds
from journal.store import MAX_READ

COLUMNS: Final[tuple[str, ...]] = ("funder", "program", "year", "quota_households", "amount")
#: the temp table the budgets are put in
BUDGET_TABLE: Final = "_rp_budget"
_ORGANIZATION: Final = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")


class BudgetFileError(ValueError):
    """A budgets file that cannot be read at all (missing, no header, wrong columns)."""


@dataclass(frozen=True)
class Budget:
    funder: str
    program: str
    year: int
    quota_households: int
    amount: float


@dataclass(frozen=True)
class Quarantined:
    row: int  # the file's line number
    reason: str
    raw: dict[str, str]


@dataclass(frozen=True)
class Budgets:
    budgets: tuple[Budget, ...] = ()
    quarantined: tuple[Quarantined, ...] = ()
    file: str = ""


def read_budgets(path: Path) -> Budgets:
    """The usable budgets in `path`, and the rows quarantined with their reason."""
    if not path.is_file():
        raise BudgetFileError(f"{path}: no such budgets file; set budgets_file to one.")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise BudgetFileError(
                f"{path}: no column {', '.join(missing)}; the header is {','.join(COLUMNS)}."
            )
        rows = list(reader)
    programs = {p.code for p in reference.programs()}
    funders = {f.code for f in reference.funder_types()}
    good: dict[tuple[str, str, int], Budget] = {}
    bad: list[Quarantined] = []
    for n, raw in enumerate(rows, start=2):
        clean = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        budget, reason = _budget(clean, programs, funders)
        if budget is not None and (budget.funder, budget.program, budget.year) in good:
            budget, reason = None, "a second budget of this funder, program and year"
        if budget is None:
            bad.append(Quarantined(n, reason, clean))
        else:
            good[(budget.funder, budget.program, budget.year)] = budget
    return Budgets(tuple(good.values()), tuple(bad), str(path))


def _budget(
    row: dict[str, str], programs: set[str], funders: set[str]
) -> tuple[Budget | None, str]:
    funder, program = row["funder"], row["program"]
    if funder not in funders and not _ORGANIZATION.fullmatch(funder):
        return None, (
            f"funder {funder!r} is neither a funder type ({', '.join(sorted(funders))}) "
            "nor an organization code"
        )
    if program not in programs:
        return None, f"program {program!r} is not in the program catalogue"
    try:
        year = int(row["year"])
    except ValueError:
        return None, f"year {row['year']!r} is not a year"
    if not 2000 <= year <= 2100:
        return None, f"year {year} is out of range (2000-2100)"
    try:
        quota, amount = int(row["quota_households"]), float(row["amount"])
    except ValueError:
        return None, "quota_households is a whole number and amount a number (IDR)"
    if not math.isfinite(amount):
        return None, f"amount {row['amount']!r} is not a finite number (IDR)"
    if quota < 0 or amount < 0:
        return None, "quota_households and amount may not be negative"
    return Budget(funder, program, year, quota, amount), ""


def budget_problem(funder: str, program: str, year: int, quota: int, amount: float) -> str:
    """Why a budget given through the API may not be used ("" when it may): the
    budgets file's own rules for a row."""
    row = {
        "funder": funder,
        "program": program,
        "year": str(year),
        "quota_households": str(quota),
        "amount": repr(float(amount)),
    }
    programs = {p.code for p in reference.programs()}
    funders = {f.code for f in reference.funder_types()}
    return _budget(row, programs, funders)[1]


def _changes(journal: Journal | None) -> list[tuple[Budget, str, str | None, str | None]]:
    """Every budget set through the API, oldest first: (the budget, when, by whom, why)."""
    found: list[tuple[Budget, str, str | None, str | None]] = []
    after = 0
    while journal is not None:
        facts = journal.read(after, MAX_READ, kinds=[kinds.BUDGET_SET])
        if not facts:
            break
        for f in facts:
            p = f.payload
            budget = Budget(
                str(p["funder"]),
                str(p["program"]),
                int(p["year"]),
                int(p["quota_households"]),
                float(p["amount"]),
            )
            found.append((budget, f.at.isoformat(), f.actor, p.get("reason")))
        after = facts[-1].seq
    return found


def in_force(seed: Budgets, journal: Journal | None) -> Budgets:
    """The budgets in force: the file's, each replaced (or added) by the budgets
    set through the API since, in journal order; the file's quarantine as it was."""
    current = {(b.funder, b.program, b.year): b for b in seed.budgets}
    for budget, *_ in _changes(journal):
        current[(budget.funder, budget.program, budget.year)] = budget
    return Budgets(tuple(current.values()), seed.quarantined, seed.file)


def versions(
    seed: Budgets, journal: Journal | None, funder: str, program: str, year: int
) -> list[dict[str, Any]]:
    """One budget's values over time, oldest first: the file's (set_at and
    set_by None), then each set through the API."""
    key = (funder, program, year)
    out = [
        {"quota_households": b.quota_households, "amount": b.amount, "source": "file"}
        | {"set_at": None, "set_by": None, "reason": None}
        for b in seed.budgets
        if (b.funder, b.program, b.year) == key
    ]
    for b, at, by, why in _changes(journal):
        if (b.funder, b.program, b.year) == key:
            out.append(
                {"quota_households": b.quota_households, "amount": b.amount, "source": "api"}
                | {"set_at": at, "set_by": by, "reason": why}
            )
    return out


def stage_budgets(con: duckdb.DuckDBPyConnection, budgets: Budgets) -> None:
    """Put the usable budgets in `BUDGET_TABLE` on `con` (a temp table)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {BUDGET_TABLE} (funder VARCHAR, program VARCHAR, "
        "year INTEGER, quota_households BIGINT, amount DOUBLE)"
    )
    rows = [(b.funder, b.program, b.year, b.quota_households, b.amount) for b in budgets.budgets]
    if rows:
        con.executemany(f"INSERT INTO {BUDGET_TABLE} VALUES (?, ?, ?, ?, ?)", rows)


#: each budget of year `$year` (all when NULL) with what was spent on it and how
#: many households it served: the report's Anggaran sheet and `spending`
SPENDING_SQL: Final = f"""
        SELECT b.funder, b.program, b.year, b.quota_households, b.amount,
               coalesce(sum(s.amount), 0)::DOUBLE, count(DISTINCT s.household_id)
        FROM {BUDGET_TABLE} b LEFT JOIN _rp_service s
          ON s.funder = b.funder AND s.program = b.program AND year(s.service_date) = b.year
        WHERE $year::INTEGER IS NULL OR b.year = $year
        GROUP BY ALL ORDER BY b.year, b.funder, b.program"""


def spending(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[dict[str, Any]]:
    """Each budget (of `year` when given) with what was spent on it and how many
    households it served. Needs the report's `services` step and the budgets."""
    rows = con.execute(SPENDING_SQL, {"year": year}).fetchall()
    keys = ("funder", "program", "year", "quota_households", "amount", "spent", "households")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def funding_pool(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, Any]:
    """The year's pool against the cost of serving every household in need, per
    program and together. Needs the report's steps to `coverage gaps` and the budgets."""
    rows = con.execute(
        f"""
        WITH poor AS (SELECT household_id FROM _rp_counted WHERE {poor_sql()}),
        need AS (
            SELECT pp.program_code AS program, count(DISTINCT g.household_id) AS households
            FROM _rp_gap g JOIN poor USING (household_id)
            JOIN ref_program_ppks pp ON pp.ppks_code = g.ppks
            GROUP BY 1),
        pool AS (SELECT program, sum(amount) AS amount FROM {BUDGET_TABLE}
                 WHERE year = $year GROUP BY 1)
        SELECT p.code, coalesce(need.households, 0), p.cost_per_household,
               (coalesce(need.households, 0) * p.cost_per_household)::DOUBLE,
               coalesce(pool.amount, 0)::DOUBLE
        FROM ref_program p LEFT JOIN need ON need.program = p.code
        LEFT JOIN pool ON pool.program = p.code ORDER BY p.code""",
        {"year": year},
    ).fetchall()
    programs = [
        {
            "program": code,
            "households_in_need": int(households),
            "cost_per_household": int(cost),
            "need_cost": need_cost,
            "budget": budget,
            "payable": min(need_cost, budget),
        }
        for code, households, cost, need_cost, budget in rows
    ]
    need_cost = sum(p["need_cost"] for p in programs)
    payable = sum(p["payable"] for p in programs)
    return {
        "year": year,
        "pool": sum(p["budget"] for p in programs),
        "need_cost": need_cost,
        "payable": payable,
        "share_of_need_covered": payable / need_cost if need_cost else None,
        "programs": programs,
    }


__all__ = [
    "BUDGET_TABLE",
    "COLUMNS",
    "SPENDING_SQL",
    "Budget",
    "BudgetFileError",
    "Budgets",
    "Quarantined",
    "budget_problem",
    "funding_pool",
    "in_force",
    "read_budgets",
    "spending",
    "stage_budgets",
    "versions",
]
