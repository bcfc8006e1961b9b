"""The targeting findings: aid that misses ("salah sasaran") and aid given twice.

- `exclusion`: a household the program's rule finds eligible, that neither
  received a service of it in the period nor is enrolled in it, nor in a
  program that gives the same (`RuleBook.covered_by`: SEMBAKO-KOTA is for
  families outside BPNT);
- `inclusion`: a household served by a program (a service in the period, or an
  active enrolment) whose rule finds it not eligible;
- `duplication`: duplicated aid ("bantuan ganda"), by the rules below.

Eligibility is `domain.eligibility`'s; `eligibility_findings` finds the first
two for a whole city in one pass over the rows `targeting_facts` reads. The
graph finds duplicated aid (`graph.repository.GraphRepository.duplicated_aid`);
the API, the console and the report explain every kind from here.

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from domain.eligibility import (
    ConditionResult,
    Eligibility,
    HouseholdFacts,
    Rule,
    RuleBook,
    household_facts,
)

DUPLICATION_RULES: Final[dict[str, str]] = {
    "same_program": "Program yang sama diterima dari lebih dari satu penyandang dana atau "
    "lembaga dalam periode ini.",
    "not_allowed": "Dua program ini menurut tabel kombinasi tidak boleh diterima bersamaan.",
    "same_need": "Dua program untuk kebutuhan yang sama dari penyandang dana berbeda, "
    "dan kombinasinya tidak diizinkan dalam tabel.",
}


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


def served(row: Mapping[str, Any]) -> set[str]:
    """The programs a `targeting_facts` row was served by: a service in the
    period, or an active enrolment."""
    return {s["program"] for s in row["services"]} | set(row["enrolled"])


def eligibility_findings(
    book: RuleBook, rows: Iterable[Mapping[str, Any]], on: date
) -> list[Finding]:
    """Exclusion and inclusion errors of every household in `rows` (as
    `targeting_facts` reads them), each program judged by its rule valid on `on`."""
    found: list[Finding] = []
    judged: dict[HouseholdFacts, list[Eligibility]] = {}  # households alike are judged once
    for row in rows:
        facts = household_facts(row.get("decile"), row["members"], on)
        if facts not in judged:
            judged[facts] = book.evaluate(facts, on)
        got = served(row)
        for e in judged[facts]:
            covered = bool(got & book.covered_by.get(e.program, frozenset()))
            finding = _finding(row, e, e.program in got, covered)
            if finding is not None:
                found.append(finding)
    return found


def _finding(
    row: Mapping[str, Any], e: Eligibility, was_served: bool, covered: bool
) -> Finding | None:
    """`covered`: served by a program that gives what `e.program` gives (the
    combination table forbids both), so not excluded from it."""
    if e.eligible == was_served or (e.eligible and covered):
        return None
    kind = "inclusion" if was_served else "exclusion"
    words = FINDING_KINDS[kind].format(program=e.program)
    if kind == "inclusion":
        words = " ".join([words, *(c.explanation for c in e.failed)])
    return Finding(
        household_id=str(row["household_id"]),
        kind=kind,
        programs=(e.program,),
        rule=f"{e.program} {e.rule_version}",
        explanation=words,
        kelurahan_code=row.get("kelurahan_code"),
        kecamatan_code=row.get("kecamatan_code"),
        conditions=e.conditions,
        services=tuple(s for s in row["services"] if s["program"] == e.program),
        enrolled=e.program in row["enrolled"],
    )


def duplication_finding(row: Mapping[str, Any], area: Mapping[str, Any]) -> Finding:
    """A `duplicated_aid` row as a finding; `area` is its household's codes."""
    return Finding(
        household_id=str(row["household_id"]),
        kind="duplication",
        programs=tuple(row["programs"]),
        rule=str(row["rule"]),
        explanation=explain(str(row["rule"]), row.get("reason")),
        kelurahan_code=area.get("kelurahan_code"),
        kecamatan_code=area.get("kecamatan_code"),
        services=tuple(row["services"]),
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


def what_if(now: Rule, then: Rule, rows: Iterable[Mapping[str, Any]], on: date) -> WhatIf:
    """Every household of `rows` judged by the rule in force (`now`) and by the
    changed one (`then`)."""
    households = eligible_now = eligible_then = 0
    excluded: list[str] = []
    included: list[str] = []
    paid: dict[str, float] = {}
    judged: dict[HouseholdFacts, tuple[bool, bool]] = {}  # households alike are judged once
    for row in rows:
        households += 1
        facts = household_facts(row.get("decile"), row["members"], on)
        if facts not in judged:
            judged[facts] = (now.evaluate(facts).eligible, then.evaluate(facts).eligible)
        before, after = judged[facts]
        eligible_now += before
        eligible_then += after
        if before and not after:
            excluded.append(str(row["household_id"]))
        elif after and not before:
            included.append(str(row["household_id"]))
        amounts = [s["amount"] for s in row["services"] if s["program"] == now.program]
        if any(a is not None for a in amounts):
            paid[str(row["household_id"])] = sum(a or 0.0 for a in amounts)
    return WhatIf(
        program=now.program,
        rule_version=then.version,
        households=households,
        eligible_now=eligible_now,
        eligible_then=eligible_then,
        newly_excluded=tuple(excluded),
        newly_included=tuple(included),
        unit_cost=sum(paid.values()) / len(paid) if paid else None,
    )


__all__ = [
    "DUPLICATION_RULES",
    "FINDING_KINDS",
    "Finding",
    "WhatIf",
    "duplication_finding",
    "eligibility_findings",
    "explain",
    "served",
    "what_if",
]
