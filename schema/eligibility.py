"""Eligibility and targeting for the resolvers: the rules from the request's
services, a household's facts from the graph, the findings of a whole city from
two set-based reads (`targeting_facts` and `duplicated_aid`), never one read
per household."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import strawberry

from domain.cycles import RosterEntry, draw_roster
from domain.eligibility import Eligibility, Rule, RuleBook, household_facts
from domain.shapes import Row, Scope
from domain.targeting import Finding, duplication_finding, eligibility_findings
from schema.errors import InputError, ServiceError

#: all of a city's duplicated aid in one read
WHOLE_CITY: int = 10**9


def rules(info: strawberry.Info[Any, Any]) -> RuleBook:
    book: RuleBook | None = info.context.services.rules
    if book is None:
        raise ServiceError("the eligibility rules are not loaded on this hub.")
    return book


async def household_eligibility(
    info: strawberry.Info[Any, Any], household_id: str, on: date, program: str | None = None
) -> list[Eligibility]:
    """One household's eligibility on `on`, for every program with a rule then
    (or `program`), from all its facts (`full_facts`: callers show it only to
    those who may see it); [] when the household is not visible."""
    book = rules(info)
    rows = await info.context.repository.targeting_facts(
        full_facts(info.context.scope), start=on, end=on, ids=[household_id]
    )
    if not rows:
        return []
    facts = household_facts(rows[0].get("decile"), rows[0]["members"], on)
    return book.evaluate(facts, on, {program} if program else None)


def rule_on(info: strawberry.Info[Any, Any], program: str, on: date, field: str) -> Rule:
    """`program`'s rule valid on `on`; an InputError on `field` when none is."""
    rule = rules(info).rule(program, on)
    if rule is None:
        raise InputError(field, f"{program} has no eligibility rule valid on {on}.")
    return rule


async def city_facts(info: strawberry.Info[Any, Any], on: date) -> list[Row]:
    """Every active household's `targeting_facts` row (all its facts) on `on`."""
    rows: list[Row] = await info.context.repository.targeting_facts(
        full_facts(info.context.scope), start=on, end=on
    )
    return rows


async def draw_roster_now(
    info: strawberry.Info[Any, Any], program: str, on: date
) -> list[RosterEntry]:
    """A cycle's roster as the registry stands now: the households `program`'s
    rule valid on `on` (the cycle's first day) finds eligible then."""
    rule = rule_on(info, program, on, "periodStart")
    return draw_roster(rule, await city_facts(info, on), on)


def full_facts(scope: Scope) -> Scope:
    """`scope` reading every problem: eligibility counts a disabled member whoever
    asks; only named results are kept from roles that may not see it."""
    return {**scope, "special_category": True}


async def city_findings(
    info: strawberry.Info[Any, Any], scope: Scope, start: date, end: date
) -> list[Finding]:
    """Every finding in the city the scope sees, eligibility judged on `end`:
    two statements, then the rules in one pass."""
    book = rules(info)
    repository = info.context.repository
    facts, duplicated = await asyncio.gather(
        repository.targeting_facts(scope, start=start, end=end),
        repository.duplicated_aid(scope, start=start, end=end, limit=WHOLE_CITY),
    )
    found = eligibility_findings(book, facts, end)
    areas = {r["household_id"]: r for r in facts}
    found += [duplication_finding(r, areas.get(r["household_id"], {})) for r in duplicated["rows"]]
    found.sort(key=lambda f: (f.household_id, f.kind, f.programs, f.rule))
    return found


def in_area(finding: Finding, area: str | None) -> bool:
    return area is None or area in (finding.kelurahan_code, finding.kecamatan_code)


__all__ = [
    "WHOLE_CITY",
    "city_facts",
    "city_findings",
    "draw_roster_now",
    "full_facts",
    "household_eligibility",
    "in_area",
    "rule_on",
    "rules",
]
