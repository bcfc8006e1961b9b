"""The targeting findings: aid that misses ("salah sasaran") and aid given twice.

- `exclusion`: a household the program's rule finds eligible, that neither
  received a service of it in the period nor is enrolled in it, nor in a
  program that gives the same (`RuleBook.covered_by`: SEMBAKO-KOTA is for
  families outside BPNT);
- `inclusion`: a household served by a program (a service in the period, or an
  active enrolment) whose rule finds it not eligible;
- `duplication`: duplicated aid ("bantuan ganda"), by the rules below.

Eligibility is `domain.eligibility`'s; `eligibility_findings` finds the first
two for a whole city in one pass over its `TargetingRow`s (each kind of
household judged once, then set arithmetic per household). Duplicated aid is
a set-based join of a household's services two by two: the graph's
(`graph.repository.GraphRepository.duplicated_aid`, Cypher) and the monthly
report's (`reports.targeting`, DuckDB SQL) both judge each pair by the one
expression `DUPLICATION_RULE_EXPR` and pair services by `DUPLICATION_PAIR`,
over the combination table as loaded from `program_combination.csv`; the
API, the console and the report explain every kind from here.

A household's services in a period overlap when:

- `same_program`: one program came from more than one funder or organization
  (a food parcel from three foundations in one month);
- `not_allowed`: two programs came together that the combination table
  (`connectors/reference/program_combination.csv`) says must not, whatever
  their needs (PKH already pays an elderly component, so not with the city's
  elderly cash);
- `same_need`: two programs for one need came from different funders and the
  table does not allow the pair.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import Any, Final

from domain.eligibility import (
    ConditionResult,
    Eligibility,
    HouseholdFacts,
    Rule,
    RuleBook,
    facts_of,
    household_facts,
)

DUPLICATION_RULES: Final[dict[str, str]] = {
    "same_program": "Program yang sama diterima dari lebih dari satu penyandang dana atau "
    "lembaga dalam periode ini.",
    "not_allowed": "Dua program ini menurut tabel kombinasi tidak boleh diterima bersamaan.",
    "same_need": "Dua program untuk kebutuhan yang sama dari penyandang dana berbeda, "
    "dan kombinasinya tidak diizinkan dalam tabel.",
}


#: Which rule a pair of a household's services breaks, if any: one expression,
#: valid as Cypher and as DuckDB SQL, over `s1`, `s2` (the services: `funder`,
#: `organization`), `p1`, `p2` (their programs: `code`, `need`) and `c` (the
#: combination table's row for the pair of programs, `allowed`; null when the
#: table has none, and always for one program). A missing funder or
#: organization compares as ''. Null when the pair breaks none.
DUPLICATION_RULE_EXPR: Final = (
    "CASE"
    " WHEN p1.code = p2.code AND (coalesce(s1.funder, '') <> coalesce(s2.funder, '')"
    "  OR coalesce(s1.organization, '') <> coalesce(s2.organization, ''))"
    "  THEN 'same_program'"
    " WHEN p1.code <> p2.code AND c.allowed = false THEN 'not_allowed'"
    " WHEN p1.code <> p2.code AND p1.need = p2.need AND c.allowed IS NULL"
    "  AND coalesce(s1.funder, '') <> coalesce(s2.funder, '') THEN 'same_need'"
    " END"
)
#: Each unordered pair of a household's services once (Cypher and SQL): programs
#: in code order, and two services of one program by `service_id`.
DUPLICATION_PAIR: Final = (
    "(p1.code < p2.code OR (p1.code = p2.code AND s1.service_id < s2.service_id))"
)
#: How far back the findings look by default: the console's dashboard and the
#: household page's warnings end it today, the monthly report at its month's end.
FINDINGS_WINDOW: Final = timedelta(days=365)


def explain(rule: str, reason: str | None) -> str:
    """The rule's words, then the combination table's own reason if it gives one."""
    words = DUPLICATION_RULES[rule]
    return f"{words} ({reason})" if reason else words


#: The kinds of finding, and the words for each (a program's name goes in braces).
FINDING_KINDS: Final[dict[str, str]] = {
    "exclusion": "Keluarga memenuhi syarat {program} tetapi tidak menerimanya dalam periode ini.",
    "inclusion": "Keluarga menerima {program} dalam periode ini tetapi tidak memenuhi syaratnya.",
    "duplication": "Bantuan ganda.",
}


@dataclass(frozen=True)
class Finding:
    """One finding about one household: its kind, the program(s), the rule
    that found it (a program's rule version, or a duplication rule), the words,
    and the evidence: the conditions (exclusion, inclusion) and the services."""

    household_id: str
    kind: str
    programs: tuple[str, ...]
    rule: str
    explanation: str
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    conditions: tuple[ConditionResult, ...] = ()
    services: tuple[Mapping[str, Any], ...] = ()
    enrolled: bool = False


@dataclass(frozen=True)
class TargetingRow:
    """What the findings read of one household: where it is, its facts on the
    day it is judged, the programs that served it in the period (a service)
    and those it is actively enrolled in."""

    household_id: str
    facts: HouseholdFacts
    served: frozenset[str]
    enrolled: frozenset[str] = frozenset()
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None


def served(row: Mapping[str, Any]) -> set[str]:
    """The programs a `targeting_facts` row was served by: a service in the
    period, or an active enrolment."""
    return {s["program"] for s in row["services"]} | set(row["enrolled"])


@dataclass(frozen=True)
class _Judged:
    """One kind of household (one `HouseholdFacts`) judged by every rule."""

    by_program: Mapping[str, Eligibility]
    eligible: frozenset[str]
    ruled: frozenset[str]


def eligibility_findings(book: RuleBook, rows: Iterable[TargetingRow], on: date) -> list[Finding]:
    """Exclusion and inclusion errors of every household in `rows`, each
    program judged by its rule valid on `on`: each kind of household is judged
    once, then each household is set arithmetic on the programs it got."""
    found: list[Finding] = []
    kinds: dict[HouseholdFacts, _Judged] = {}
    for row in rows:
        judged = kinds.get(row.facts)
        if judged is None:
            results = book.evaluate(row.facts, on)
            judged = kinds[row.facts] = _Judged(
                {e.program: e for e in results},
                frozenset(e.program for e in results if e.eligible),
                frozenset(e.program for e in results),
            )
        got = row.served | row.enrolled
        missed: Collection[str] = judged.eligible - got
        if got:  # not excluded from what a program it got already gives
            missed = {p for p in missed if not got & book.covered_by.get(p, frozenset())}
        wrong = (got & judged.ruled) - judged.eligible
        for program in sorted({*missed, *wrong}):
            found.append(_finding(row, judged.by_program[program], program in wrong))
    return found


def _finding(row: TargetingRow, e: Eligibility, was_served: bool) -> Finding:
    kind = "inclusion" if was_served else "exclusion"
    words = FINDING_KINDS[kind].format(program=e.program)
    if kind == "inclusion":
        words = " ".join([words, *(c.explanation for c in e.failed)])
    return Finding(
        household_id=row.household_id,
        kind=kind,
        programs=(e.program,),
        rule=f"{e.program} {e.rule_version}",
        explanation=words,
        kelurahan_code=row.kelurahan_code,
        kecamatan_code=row.kecamatan_code,
        conditions=e.conditions,
        enrolled=e.program in row.enrolled,
    )


def with_services(finding: Finding, services: Iterable[Mapping[str, Any]]) -> Finding:
    """An eligibility finding with its evidence: the household's services of
    its program in the period (`services`: all of the household's)."""
    return replace(finding, services=tuple(s for s in services if s["program"] in finding.programs))


def duplication_finding(row: Mapping[str, Any], home: TargetingRow | None) -> Finding:
    """A `duplicated_aid` row as a finding; `home` is its household's row (for its area)."""
    return Finding(
        household_id=str(row["household_id"]),
        kind="duplication",
        programs=tuple(row["programs"]),
        rule=str(row["rule"]),
        explanation=explain(str(row["rule"]), row.get("reason")),
        kelurahan_code=home.kelurahan_code if home else None,
        kecamatan_code=home.kecamatan_code if home else None,
        services=tuple(row["services"]),
    )


def targeting_row(row: Mapping[str, Any], on: date) -> TargetingRow:
    """A household as the graph's `city_targeting_facts` reads it (births as
    ISO dates or dates), its facts counted on `on`."""
    births = [date.fromisoformat(b) if isinstance(b, str) else b for b in row["births"]]
    return TargetingRow(
        household_id=str(row["household_id"]),
        facts=facts_of(row.get("decile"), births, row["problems"], on),
        served=frozenset(row["served"]),
        enrolled=frozenset(row["enrolled"]),
        kelurahan_code=row.get("kelurahan_code"),
        kecamatan_code=row.get("kecamatan_code"),
    )


def household_row(row: Mapping[str, Any], on: date) -> TargetingRow:
    """A household as `targeting_facts` reads it (members, services, enrolments),
    its facts counted on `on`: one household judged as the city's rows are."""
    return TargetingRow(
        household_id=str(row["household_id"]),
        facts=household_facts(row.get("decile"), row["members"], on),
        served=frozenset(s["program"] for s in row["services"]),
        enrolled=frozenset(row["enrolled"]),
        kelurahan_code=row.get("kelurahan_code"),
        kecamatan_code=row.get("kecamatan_code"),
    )


def finding_record(finding: Finding) -> dict[str, Any]:
    """A finding as plain data (JSON keeps it: dates as ISO text), to store."""
    out = asdict(finding)
    out["services"] = [
        {k: v.isoformat() if isinstance(v, date) else v for k, v in s.items()}
        for s in finding.services
    ]
    return out


def finding_from(record: Mapping[str, Any]) -> Finding:
    """A stored `finding_record` back as a finding."""
    return Finding(
        household_id=str(record["household_id"]),
        kind=str(record["kind"]),
        programs=tuple(record["programs"]),
        rule=str(record["rule"]),
        explanation=str(record["explanation"]),
        kelurahan_code=record.get("kelurahan_code"),
        kecamatan_code=record.get("kecamatan_code"),
        conditions=tuple(ConditionResult(**c) for c in record.get("conditions") or ()),
        services=tuple(
            {
                **s,
                "service_date": date.fromisoformat(s["service_date"])
                if isinstance(s.get("service_date"), str)
                else s.get("service_date"),
            }
            for s in record.get("services") or ()
        ),
        enrolled=bool(record.get("enrolled")),
    )


@dataclass(frozen=True)
class WhatIf:
    """A rule changed for a look, against the rule in force: who it newly
    excludes and includes. Nothing is stored."""

    program: str
    rule_version: str
    households: int
    eligible_now: int
    eligible_then: int
    newly_excluded: tuple[str, ...]
    newly_included: tuple[str, ...]
    unit_cost: float | None
    """What the program paid per household served in the period (None: no amounts)."""

    @property
    def cost_change(self) -> float | None:
        if self.unit_cost is None:
            return None
        return (len(self.newly_included) - len(self.newly_excluded)) * self.unit_cost


def what_if(
    now: Rule, then: Rule, rows: Iterable[TargetingRow], paid: Mapping[str, float]
) -> WhatIf:
    """Every household of `rows` (its facts counted on the day judged) judged by
    the rule in force (`now`) and by the changed one (`then`); `paid`: what the
    program paid each household it paid in the period, for the unit cost."""
    households = eligible_now = eligible_then = 0
    excluded: list[str] = []
    included: list[str] = []
    judged: dict[HouseholdFacts, tuple[bool, bool]] = {}  # households alike are judged once
    for row in rows:
        households += 1
        facts = row.facts
        if facts not in judged:
            judged[facts] = (now.evaluate(facts).eligible, then.evaluate(facts).eligible)
        before, after = judged[facts]
        eligible_now += before
        eligible_then += after
        if before and not after:
            excluded.append(row.household_id)
        elif after and not before:
            included.append(row.household_id)
    return WhatIf(
        program=now.program,
        rule_version=then.version,
        households=households,
        eligible_now=eligible_now,
        eligible_then=eligible_then,
        newly_excluded=tuple(sorted(excluded)),
        newly_included=tuple(sorted(included)),
        unit_cost=sum(paid.values()) / len(paid) if paid else None,
    )


__all__ = [
    "DUPLICATION_PAIR",
    "DUPLICATION_RULES",
    "DUPLICATION_RULE_EXPR",
    "FINDINGS_WINDOW",
    "FINDING_KINDS",
    "Finding",
    "TargetingRow",
    "WhatIf",
    "duplication_finding",
    "eligibility_findings",
    "explain",
    "finding_from",
    "finding_record",
    "household_row",
    "served",
    "targeting_row",
    "what_if",
    "with_services",
]
