# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Budgets through the API: set one (Dinsos administrators; journaled with the
old value, so every version is kept), read a budget's history, and the budget
what-if: what a changed budget would pay for, and who would stay out. The
budgets in force are the budgets file's with the journal's changes applied
(`reports.budgets.in_force`, through `services.analytics`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from domain.cover import Funds, capacity, cover
from domain.cycles import draw_roster
from journal import kinds
from schema.audit import ShownPurpose, read, require_purpose, wrote
from schema.context import Context
from schema.eligibility import city_facts, rule_on
from schema.errors import InputError, ServiceError
from schema.journaling import append, clean_row, plain_fact
from schema.permissions import (
    Policy,
    require_budget_reader,
    require_budget_setter,
    sees_eligibility,
    suppress,
)
from schema.services import Analytics
from schema.types.analysis import Budget

Info = strawberry.Info[Context, None]


def _analytics(info: Info) -> Analytics:
    analytics: Analytics | None = info.context.services.analytics
    if analytics is None:
        raise ServiceError("the city figures are not configured on this hub.")
    return analytics


def budget_shown(b: dict[str, Any], policy: Policy) -> Budget:
    """A budget row (`Analytics.budgets`) as the role may see it: what one
    household received is withheld with a small count."""
    served = suppress(b["households"], policy)
    return Budget(
        funder=b["funder"],
        program=b["program"],
        year=b["year"],
        quota_households=b["quota_households"],
        amount=b["amount"],
        spent=b["spent"] if served is not None else None,
        households_served=served,
    )


async def _budget(info: Info, funder: str, program: str, year: int) -> dict[str, Any] | None:
    found = await _analytics(info).budgets(year=year)
    return next(
        (b for b in found["budgets"] if (b["funder"], b["program"]) == (funder, program)), None
    )


@strawberry.type(description="One value a budget has had: the budgets file's, or one set.")
class BudgetVersion:
    quota_households: int
    amount: float
    source: str = strawberry.field(description="'file' (the budgets file) or 'api' (setBudget).")
    set_at: datetime | None
    set_by: str | None
    reason: str | None


@strawberry.type(
    description="A budget changed for a look: what the program's budgets of the year would "
    "pay for, against what they pay for now. Nothing is stored or applied."
)
class BudgetWhatIf:
    funder: str
    program: str
    year: int
    on: date = strawberry.field(description="The day eligibility is judged.")
    rule_version: str
    cost_per_household: int = strawberry.field(description="The program catalogue's (IDR).")
    budget_now: float | None = strawberry.field(description="This funder's budget now, if any.")
    budget_then: float
    pool_now: float = strawberry.field(description="The program's budgets of the year now.")
    pool_then: float
    eligible: int | None = strawberry.field(description="Households the rule finds eligible.")
    covered_now: int | None
    covered_then: int | None
    cost_now: float | None = strawberry.field(description="coveredNow x costPerHousehold.")
    cost_then: float | None
    left_out_now: int | None
    left_out_then: int | None
    newly_left_out: int | None = strawberry.field(
        description="Covered now and left out then (null when withheld)."
    )
    left_out_households: list[strawberry.ID] | None = strawberry.field(
        description="Who stays out then: for social workers and Dinsos only, else null."
    )
    newly_left_out_households: list[strawberry.ID] | None


@strawberry.type
class BudgetMutations:
    @strawberry.mutation(
        description="Set a funder's budget for a program and year (a new one, or a change): "
        "checked as a budgets file's row is, journaled with the old value (budgetHistory), "
        "in force at once for budgets, fundingPool and the monthly report. Dinsos "
        "administrators only."
    )
    async def set_budget(
        self,
        info: Info,
        funder: str,
        program: str,
        year: int,
        amount: float,
        quota_households: int,
        reason: str | None = None,
    ) -> Budget:
        policy = require_budget_setter(info.context.principal)
        analytics = _analytics(info)
        problem = await analytics.budget_problem(
            funder=funder,
            program=program,
            year=year,
            quota_households=quota_households,
            amount=amount,
        )
        if problem:
            raise InputError("budget", f"{problem}.")
        before = await _budget(info, funder, program, year)
        previous = (
            None
            if before is None
            else {"amount": before["amount"], "quota_households": before["quota_households"]}
        )
        payload = {
            "funder": funder,
            "program": program,
            "year": year,
            "amount": float(amount),
            "quota_households": quota_households,
            "previous": previous,
            "reason": reason.strip() if reason and reason.strip() else None,
        }
        subject = f"{funder}:{program}:{year}"
        # kept as every journaled write is: identifiers typed into the reason masked
        fact = plain_fact(info, kinds.BUDGET_SET, clean_row(payload), subject=subject)
        await append(info, [fact])
        wrote(info)
        after = await _budget(info, funder, program, year)
        assert after is not None, "a budget just set is in force"
        return budget_shown(after, policy)


@strawberry.type
class BudgetQueries:
    @strawberry.field(
        description="A budget's values over time, oldest first: the budgets file's, then each "
        "set through setBudget, with who set it, when and why. Analysts and Dinsos staff."
    )
    async def budget_history(
        self, info: Info, funder: str, program: str, year: int
    ) -> list[BudgetVersion]:
        require_budget_reader(info.context.principal)
        found = await _analytics(info).budget_history(funder=funder, program=program, year=year)
        return [
            BudgetVersion(
                quota_households=v["quota_households"],
                amount=v["amount"],
                source=v["source"],
                set_at=datetime.fromisoformat(v["set_at"]) if v["set_at"] else None,
                set_by=v["set_by"],
                reason=v["reason"],
            )
            for v in found
        ]

    @strawberry.field(
        description="What if a funder's budget for a program and year were `amount` (and "
        "`quotaHouseholds`, else its quota now; a new budget without one has none): how "
        "many of the households the program's rule finds eligible on `on` (today by "
        "default) the program's budgets of the year would pay for, at what cost, and who "
        "stays out. Each budget pays for amount / costPerHousehold households, at most its "
        "quota, the poorest (lowest decile) first. Read-only; analysts and Dinsos staff, "
        "the households for social workers and Dinsos only."
    )
    async def budget_what_if(
        self,
        info: Info,
        funder: str,
        program: str,
        year: int,
        amount: float,
        quota_households: int | None = None,
        on: date | None = None,
        purpose: ShownPurpose = None,
    ) -> BudgetWhatIf:
        policy = require_budget_reader(info.context.principal)
        shown = sees_eligibility(policy)
        if shown:  # the households left out are named: their read needs a purpose
            require_purpose(info, purpose)
        analytics = _analytics(info)
        day = on or date.today()
        rule = rule_on(info, program, day, "program")
        found = (await analytics.budgets(year=year))["budgets"]
        budgets = [b for b in found if b["program"] == program]
        mine = next((b for b in budgets if b["funder"] == funder), None)
        pool = await analytics.funding_pool(year=year)
        cost = next(p["cost_per_household"] for p in pool["programs"] if p["program"] == program)
        quota = quota_households
        if quota is None:
            quota = mine["quota_households"] if mine else int(amount // cost)
        problem = await analytics.budget_problem(
            funder=funder, program=program, year=year, quota_households=quota, amount=amount
        )
        if problem:
            raise InputError("budget", f"{problem}.")
        now_funds = [Funds(b["amount"], b["quota_households"]) for b in budgets]
        then_funds = [
            Funds(b["amount"], b["quota_households"]) for b in budgets if b["funder"] != funder
        ] + [Funds(amount, quota)]
        eligible = draw_roster(rule, await city_facts(info, day), day)
        now = cover(eligible, capacity(now_funds, cost))
        then = cover(eligible, capacity(then_funds, cost))
        newly = tuple(h for h in then.left_out if h not in set(now.left_out))
        if shown:
            read(info, households=then.left_out)

        def count(n: int) -> int | None:
            return suppress(n, policy)

        def paid(n: int) -> float | None:
            return None if count(n) is None else float(n * cost)

        return BudgetWhatIf(
            funder=funder,
            program=program,
            year=year,
            on=day,
            rule_version=rule.version,
            cost_per_household=cost,
            budget_now=mine["amount"] if mine else None,
            budget_then=float(amount),
            pool_now=sum(f.amount for f in now_funds),
            pool_then=sum(f.amount for f in then_funds),
            eligible=count(len(eligible)),
            covered_now=count(len(now.covered)),
            covered_then=count(len(then.covered)),
            cost_now=paid(len(now.covered)),
            cost_then=paid(len(then.covered)),
            left_out_now=count(len(now.left_out)),
            left_out_then=count(len(then.left_out)),
            newly_left_out=count(len(newly)),
            left_out_households=[strawberry.ID(h) for h in then.left_out] if shown else None,
            newly_left_out_households=[strawberry.ID(h) for h in newly] if shown else None,
        )


__all__ = ["BudgetMutations", "BudgetQueries", "budget_shown"]
