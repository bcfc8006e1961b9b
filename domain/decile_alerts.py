"""Decile threshold alerts: a household's DTSEN decile (desil) moved so that a
program it is enrolled in no longer finds it eligible.

The threshold is the program's own eligibility rule (`domain.eligibility`),
never a second table: the rule is evaluated on the household's facts with the
decile before and with the decile after. When it held before and fails after,
the enrolment is paused for a field check (`PAUSED_FOR_FIELD_CHECK`) and the
alert names the conditions that failed, in the rule's own words (a PKH family
moving from desil 4 to desil 5: "Keluarga berada di desil 5, di luar batas
desil 1 sampai 4."). A social worker or Dinsos resolves it after the visit:
`CONFIRMED_CONTINUE` (the enrolment goes on) or `STOP`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from domain.eligibility import ConditionResult, HouseholdFacts, RuleBook

#: an alert waiting for its field check: the enrolment is paused meanwhile
PAUSED_FOR_FIELD_CHECK: Final = "PAUSED_FOR_FIELD_CHECK"
#: a resolution's outcome -> the alert's status after it
OUTCOMES: Final[dict[str, str]] = {"CONFIRMED_CONTINUE": "CONTINUED", "STOP": "STOPPED"}
#: every status an alert can have
STATUSES: Final[tuple[str, ...]] = (PAUSED_FOR_FIELD_CHECK, *OUTCOMES.values())


@dataclass(frozen=True)
class Crossing:
    """A program whose rule held for the household at `decile_from` and fails at
    `decile_to`; `failed` are the conditions that held before and fail now."""

    program: str
    rule_version: str
    decile_from: int | None
    decile_to: int | None
    failed: tuple[ConditionResult, ...]

    @property
    def explanation(self) -> str:
        return " ".join(c.explanation for c in self.failed)

    @property
    def explanation_en(self) -> str:
        return " ".join(c.explanation_en for c in self.failed)


def crossings(
    book: RuleBook,
    facts: HouseholdFacts,
    decile_from: int | None,
    decile_to: int | None,
    on: date,
    programs: Iterable[str],
) -> list[Crossing]:
    """The programs of `programs` (those the household is enrolled in) whose
    rule valid on `on` the decile's move from `decile_from` to `decile_to`
    makes fail; `facts` are the household's other facts (its decile is replaced)."""
    out = []
    for program in sorted(set(programs)):
        rule = book.rule(program, on)
        if rule is None:
            continue
        before = rule.evaluate(replace(facts, decile=decile_from))
        after = rule.evaluate(replace(facts, decile=decile_to))
        if before.eligible and not after.eligible:
            held = {c.name for c in before.conditions if c.held}
            failed = tuple(c for c in after.failed if c.name in held)
            out.append(Crossing(program, rule.version, decile_from, decile_to, failed))
    return out


__all__ = ["OUTCOMES", "PAUSED_FOR_FIELD_CHECK", "STATUSES", "Crossing", "crossings"]
