# mypy: disable-error-code="untyped-decorator"
"""Eligibility and the targeting findings: who should get a program, who gets it
and should not, and who gets aid twice (`domain.eligibility`, `domain.targeting`)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

import strawberry

from domain.targeting import Finding, WhatIf
from schema.permissions import Provenance
from schema.types.eligibility import EligibilityCondition
from schema.types.household import Household
from schema.types.service import Service


@strawberry.enum(description="What a targeting finding is.")
class TargetingKind(Enum):
    EXCLUSION = "exclusion"
    """Eligible by the program's rule, and neither served in the period nor enrolled."""
    INCLUSION = "inclusion"
    """Served in the period or enrolled, and not eligible by the program's rule."""
    DUPLICATION = "duplication"
    """Duplicated aid, by the rules of `duplicatedAid`."""


@strawberry.type(
    description="One targeting finding about one household, with its evidence: the rule's "
    "conditions (exclusion, inclusion) and the services behind it."
)
class TargetingFinding:
    household: Household
    kind: TargetingKind
    programs: list[str]
    rule: str = strawberry.field(
        description="The program's rule and version ('PKH 2024.1'), or the duplication rule "
        "(same_program, not_allowed, same_need)."
    )
    explanation: str = strawberry.field(description="The finding in words (Bahasa Indonesia).")
    conditions: list[EligibilityCondition]
    services: list[Service]
    enrolled: bool = strawberry.field(description="Whether the household is enrolled in it.")

    @classmethod
    def of(cls, finding: Finding, household: Household, shown: Provenance) -> TargetingFinding:
        return cls(
            household=household,
            kind=TargetingKind(finding.kind),
            programs=list(finding.programs),
            rule=finding.rule,
            explanation=finding.explanation,
            conditions=[EligibilityCondition.of(c) for c in finding.conditions],
            services=[Service.from_row(dict(s), shown) for s in finding.services],
            enrolled=finding.enrolled,
        )


@strawberry.type(description="Targeting findings in one kelurahan, of one kind and program.")
class TargetingCount:
    kecamatan_code: str | None
    kelurahan_code: str | None
    kind: TargetingKind
    program: str
    households: int | None = strawberry.field(
        description="Null when under 5 and withheld for aggregate-only roles."
    )


@strawberry.type(
    description="A program's rule changed for a look, against the rule in force: nothing "
    "is stored or applied."
)
class EligibilityWhatIf:
    program: str
    rule_version: str = strawberry.field(description="The rule in force, '+what-if'.")
    expression: str = strawberry.field(description="The changed rule's `when`.")
    households: int
    eligible_now: int | None
    eligible_then: int | None
    newly_excluded: int | None
    newly_included: int | None
    unit_cost: float | None = strawberry.field(
        description="What the program paid per household served in the period; null when "
        "its services carry no amounts."
    )
    cost_change: float | None = strawberry.field(
        description="(newly included - newly excluded) x unitCost, per period."
    )
    newly_excluded_households: list[strawberry.ID] | None = strawberry.field(
        description="Their ids: for social workers and Dinsos only, else null."
    )

    @classmethod
    def of(
        cls, w: WhatIf, expression: str, shown: bool, suppress: Callable[[int], int | None]
    ) -> EligibilityWhatIf:
        """`suppress` is the caller's small-cell rule; `shown`: may it see the ids."""
        return cls(
            program=w.program,
            rule_version=w.rule_version,
            expression=expression,
            households=w.households,
            eligible_now=suppress(w.eligible_now),
            eligible_then=suppress(w.eligible_then),
            newly_excluded=suppress(len(w.newly_excluded)),
            newly_included=suppress(len(w.newly_included)),
            unit_cost=w.unit_cost,
            cost_change=w.cost_change,
            newly_excluded_households=[strawberry.ID(h) for h in w.newly_excluded]
            if shown
            else None,
        )
