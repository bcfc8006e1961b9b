# mypy: disable-error-code="untyped-decorator"
"""Aggregates for analysts and Dinsos: coverage gaps, duplicated aid, poverty."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.pagination import Connection
from schema.types.household import Household
from schema.types.service import Service


@strawberry.type(
    description="Households with a problem and no active program addressing "
    "it, in one kelurahan for one PPKS. `households` is null when "
    "the cell is suppressed (under 5, for aggregate-only roles)."
)
class CoverageGapCount:
    kecamatan_code: str | None
    kelurahan_code: str | None
    ppks: str
    households: int | None

    @strawberry.field(
        description="True when a count here is under 5 and withheld (null) "
        "for aggregate-only roles."
    )
    def suppressed(self) -> bool:
        return self.households is None


@strawberry.type
class CoverageGaps:
    counts: list[CoverageGapCount]
    total_households: int | None
    households: Connection[Household] | None = strawberry.field(
        description="The households themselves; null for aggregate-only roles."
    )


@strawberry.type(
    description="A household whose services in the period overlap: the same program from "
    "several funders or organizations, a forbidden pair of programs, or one need from "
    "several funders (see `rule`)."
)
class DuplicatedAid:
    household: Household
    rule: str = strawberry.field(
        description="Which rule found it: same_program (one program from several funders or "
        "organizations), not_allowed (a pair the combination table forbids, whatever the "
        "need) or same_need (one need from several funders, the pair not allowed)."
    )
    explanation: str = strawberry.field(
        description="The rule in words a social worker can read out (Bahasa Indonesia), "
        "with the combination table's reason when it gives one."
    )
    need: str = strawberry.field(
        description="The need the programs address; 'a / b' when a forbidden pair's differ."
    )
    programs: list[str]
    funders: list[str] = strawberry.field(
        description="The funders of these services; an organization's own money is left out "
        "for agencies and foundations unless it is theirs."
    )
    services: list[Service]


@strawberry.type
class DecileCount:
    decile: int
    households: int | None

    @strawberry.field(
        description="True when a count here is under 5 and withheld (null) "
        "for aggregate-only roles."
    )
    def suppressed(self) -> bool:
        return self.households is None


@strawberry.type(description="Poverty in one area against the city target.")
class PovertyIndicator:
    code: str
    name: str | None
    level: str
    households: int | None
    people: int | None
    poor_people: int | None = strawberry.field(
        description="People in households at or below the poor decile or listed by P3KE."
    )
    population: int | None = strawberry.field(
        description="The area's population (the population file's), null when it has none."
    )
    poverty_rate: float | None = strawberry.field(
        description="poorPeople / population; null when either is unknown or withheld."
    )
    baseline: float = strawberry.field(description="The city's baseline rate (4.25% in 2022).")
    target: float = strawberry.field(description="The city's target rate.")
    above_target: bool | None
    by_decile: list[DecileCount]

    @strawberry.field(
        description="True when a count here is under 5 and withheld (null) "
        "for aggregate-only roles."
    )
    def suppressed(self) -> bool:
        return None in (self.households, self.people, self.poor_people)


@strawberry.type(description="The city's poverty rate against its baseline and target.")
class PovertyTarget:
    population: int = strawberry.field(description="The city's population, the denominator.")
    population_year: int = strawberry.field(description="The population file's year.")
    population_source: str = strawberry.field(description="Where the population figures come from.")
    poor_people: int | None = strawberry.field(
        description="Active people in poor households (decile 1-4 or P3KE), as you may count "
        "them (a scoped organization: among the households it serves)."
    )
    poverty_rate: float | None = strawberry.field(description="poorPeople / population.")
    baseline: float
    target: float
    above_target: bool | None
    poor_people_above_target: int | None = strawberry.field(
        description="How many fewer poor people the target needs."
    )


@strawberry.type(
    description="The poverty rate of one area in one report month: people in households "
    "poor at the month's cut-off (their decile then, from the journal's decile changes) "
    "over the area's population."
)
class PovertyMonth:
    month: str = strawberry.field(description="The report month, YYYY-MM.")
    code: str = strawberry.field(description="The area's code, or CITY.")
    level: str = strawberry.field(description="CITY, KECAMATAN or KELURAHAN.")
    population: int | None = strawberry.field(description="The denominator (population file).")
    poor_people: int | None = strawberry.field(
        description="Active people in poor households then (null: unknown or withheld)."
    )
    poverty_rate: float | None = strawberry.field(description="poorPeople / population.")
    known: bool = strawberry.field(
        description="False for a month that ended before the hub's first load: nothing "
        "was recorded then."
    )


@strawberry.type(description="One funder's budget for a program and year, and its spending.")
class Budget:
    funder: str
    program: str
    year: int
    quota_households: int
    amount: float = strawberry.field(description="The budget (IDR).")
    spent: float | None = strawberry.field(
        description="The amounts of the services of its program its funder paid in its year "
        "(null with a withheld households count: one household's aid is personal)."
    )
    households_served: int | None = strawberry.field(
        description="Households those services reached (null: a small cell withheld)."
    )

    @strawberry.field(description="amount - spent (null when spent is withheld).")
    def remaining(self) -> float | None:
        return None if self.spent is None else self.amount - self.spent


@strawberry.type(description="A row of the budgets file left out, and why.")
class BudgetProblem:
    row: int
    reason: str


@strawberry.type
class Budgets:
    budgets: list[Budget]
    quarantined: list[BudgetProblem]


@strawberry.type(description="One program's need against its budgets in a year.")
class ProgramNeed:
    program: str
    households_in_need: int | None = strawberry.field(
        description="Poor households (decile 1-4 or P3KE) with an active person with a "
        "problem the program addresses."
    )
    cost_per_household: int = strawberry.field(description="The program catalogue's, IDR a year.")
    need_cost: float | None = strawberry.field(
        description="householdsInNeed x costPerHousehold (null when the count is withheld)."
    )
    budget: float
    payable: float | None = strawberry.field(description="The least of needCost and budget.")


@strawberry.type(description="What the funding pool can pay against the cost of the need.")
class FundingPool:
    year: int
    pool: float = strawberry.field(description="Every budget of the year (IDR).")
    need_cost: float | None = strawberry.field(
        description="The cost of serving every household in need of each program (null "
        "when a program's count is withheld: the total less the others would give it)."
    )
    payable: float | None = strawberry.field(
        description="Of needCost, what the budgets can pay (null as needCost)."
    )
    share_of_need_covered: float | None = strawberry.field(description="payable / needCost.")
    programs: list[ProgramNeed]


@strawberry.type
class Period:
    start: date
    end: date
