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

An alert is raised by a load that moves a decile (`hub.decile_alerts`) and by
an enrolment recorded through the API for a household already over a
program's decile threshold (`at_enrolment`). The enrolment itself carries the
pause (`ENROLMENT_MARKS`): `PAUSED` with the alert's id while it waits,
lifted by `CONFIRMED_CONTINUE`, `STOPPED` (no longer active) by `STOP`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from domain.eligibility import ConditionResult, HouseholdFacts, RuleBook
from domain.thresholds import DECILE_MIN

#: an alert waiting for its field check: the enrolment is paused meanwhile
PAUSED_FOR_FIELD_CHECK: Final = "PAUSED_FOR_FIELD_CHECK"
#: a resolution's outcome -> the alert's status after it
OUTCOMES: Final[dict[str, str]] = {"CONFIRMED_CONTINUE": "CONTINUED", "STOP": "STOPPED"}
#: every status an alert can have
STATUSES: Final[tuple[str, ...]] = (PAUSED_FOR_FIELD_CHECK, *OUTCOMES.values())
#: an alert's status -> the mark its enrolment carries (None: no mark, the pause is lifted)
ENROLMENT_MARKS: Final[dict[str, str | None]] = {
    PAUSED_FOR_FIELD_CHECK: "PAUSED",
    OUTCOMES["CONFIRMED_CONTINUE"]: None,
    OUTCOMES["STOP"]: "STOPPED",
}


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


def at_enrolment(book: RuleBook, facts: HouseholdFacts, program: str, on: date) -> Crossing | None:
    """An enrolment in `program` of a household already over its decile
    threshold: the conditions of the rule valid on `on` that hold at the
    lowest decile and fail at its own, as if its decile had crossed from there.
    Judged on the decile alone, whatever the rule's other conditions say: the
    pause is shown to whoever enrolled it (an agency, a foundation), who sees
    the decile but must not learn the rule's answer on the rest (disabilities,
    pregnancy: `schema.mutation.check_enrolment` keeps it from them). A
    household without a decile is not a decile matter."""
    rule = book.rule(program, on)
    if facts.decile is None or rule is None:
        return None
    lowest = rule.evaluate(replace(facts, decile=DECILE_MIN))
    own = rule.evaluate(facts)
    held = {c.name for c in lowest.conditions if c.held}
    failed = tuple(c for c in own.failed if c.name in held)
    return Crossing(program, rule.version, DECILE_MIN, facts.decile, failed) if failed else None


def alert_payload(
    household_id: str,
    crossing: Crossing,
    kecamatan_code: str | None = None,
    kelurahan_code: str | None = None,
) -> dict[str, object]:
    """What a `decile_alert.raised` fact says: the household, the program and
    rule, the deciles before and after, the failed conditions in words."""
    return {
        "household_id": household_id,
        "program": crossing.program,
        "rule_version": crossing.rule_version,
        "from": crossing.decile_from,
        "to": crossing.decile_to,
        "status": PAUSED_FOR_FIELD_CHECK,
        "failed": [c.name for c in crossing.failed],
        "explanation": crossing.explanation,
        "explanation_en": crossing.explanation_en,
        "kecamatan_code": kecamatan_code,
        "kelurahan_code": kelurahan_code,
    }


__all__ = [
    "ENROLMENT_MARKS",
    "OUTCOMES",
    "PAUSED_FOR_FIELD_CHECK",
    "STATUSES",
    "Crossing",
    "alert_payload",
    "at_enrolment",
    "crossings",
]
