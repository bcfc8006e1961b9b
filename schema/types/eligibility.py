# mypy: disable-error-code="untyped-decorator"
"""A household's eligibility for each program, condition by condition (`domain.eligibility`)."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.eligibility import ConditionResult, Eligibility


@strawberry.type(description="One condition of a program's rule, as it stands for a household.")
class EligibilityCondition:
    name: str = strawberry.field(description="The condition's name in the rules file.")
    held: bool
    explanation: str = strawberry.field(
        description="What a social worker reads to the family (Bahasa Indonesia)."
    )
    explanation_en: str

    @classmethod
    def of(cls, c: ConditionResult) -> EligibilityCondition:
        return cls(
            name=c.name, held=c.held, explanation=c.explanation, explanation_en=c.explanation_en
        )


@strawberry.type(description="Whether a household may receive a program on a day, and why.")
class ProgramEligibility:
    program: str
    eligible: bool
    rule_version: str
    valid_since: date = strawberry.field(description="The first day the rule version holds.")
    valid_until: date | None = strawberry.field(
        description="Its last day; null while it is the version in force."
    )
    conditions: list[EligibilityCondition] = strawberry.field(
        description="Every condition the rule names, in its order, held or failed."
    )

    @classmethod
    def of(cls, e: Eligibility) -> ProgramEligibility:
        return cls(
            program=e.program,
            eligible=e.eligible,
            rule_version=e.rule_version,
            valid_since=e.valid_from,
            valid_until=e.valid_to,
            conditions=[EligibilityCondition.of(c) for c in e.conditions],
        )
