"""Eligibility and targeting for the resolvers: the rules from the request's
services, a household's facts from the graph (batched per request by the
`eligibility_facts` loader, or with its 360° view), the findings of a whole
city from two set-based reads (`city_targeting_facts` and `duplicated_aid`),
never one read per household, kept in `FindingsCache` until something is
written."""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date
from typing import Any, TypeVar

import strawberry

from domain.cycles import RosterEntry, draw_roster
from domain.eligibility import Eligibility, Rule, RuleBook, household_facts
from domain.shapes import Row, Scope
from domain.targeting import (
    Finding,
    TargetingRow,
    duplication_finding,
    eligibility_findings,
    household_row,
    targeting_row,
    with_services,
)
from schema.errors import InputError, ServiceError

T = TypeVar("T")

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
    those who may see it); [] when the household is not visible. The households
    of one request are read together (`Loaders.eligibility_facts`), and a
    household asked for by id brings them with its 360° view."""
    book = rules(info)
    row = await info.context.loaders.eligibility_facts.load(household_id)
    if row is None:
        return []
    facts = household_facts(row.get("decile"), row["members"], on)
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


class FindingsCache:
    """A city's targeting rows and findings, kept until anything is written:
    each key holds the journal's head (every API write is journaled before it
    reaches the graph), the graph's stamp (a load generation begun or
    published, an erasure), the caller's scope and the period, and for the
    findings the rules' version; its first item names the kind ("rows",
    "findings"). Calls that arrive while one computes wait for it. `held`: how
    many keys are kept (newest last)."""

    def __init__(self, held: int = 8) -> None:
        self._held = held
        self._found: OrderedDict[Hashable, asyncio.Future[Any]] = OrderedDict()
        self.computed: Counter[str] = Counter()
        """How many times each kind was computed (read, not served from here)."""

    async def get(self, key: tuple[str, Hashable], compute: Callable[[], Awaitable[T]]) -> T:
        held = self._found.get(key)
        if held is not None:
            self._found.move_to_end(key)
            found: T = await asyncio.shield(held)
            return found
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._found[key] = future
        while len(self._found) > self._held:
            self._found.popitem(last=False)
        try:
            self.computed[key[0]] += 1
            future.set_result(await compute())
        except asyncio.CancelledError:
            self._found.pop(key, None)
            future.cancel()
            raise
        except Exception as exc:
            self._found.pop(key, None)
            future.set_exception(exc)
            future.exception()  # retrieved: waiting callers get it, nobody else
            raise
        return future.result()


async def _kept(
    info: strawberry.Info[Any, Any],
    kind: str,
    key: tuple[Hashable, ...],
    compute: Callable[[], Awaitable[T]],
) -> T:
    """`compute()`, served from `FindingsCache` while nothing is written
    (without a journal, every call computes)."""
    services = info.context.services
    if services.journal is None:
        return await compute()
    stamp = (await info.context.repository.graph_stamp(), services.journal.head())
    cache: FindingsCache = services.findings
    return await cache.get((kind, (*stamp, *key)), compute)


def _scope_key(scope: Scope) -> tuple[Hashable, ...]:
    return (
        scope["organization"],
        scope["special_category"],
        tuple(sorted(scope.get("opened") or ())),
    )


async def city_rows(
    info: strawberry.Info[Any, Any], scope: Scope, start: date, end: date
) -> list[TargetingRow]:
    """Every active household the scope sees as the findings read it, facts
    counted on `end`: one statement (`city_targeting_facts`), kept in
    `FindingsCache` while nothing is written, for the findings and the what-if."""
    repository = info.context.repository

    async def compute() -> list[TargetingRow]:
        facts = await repository.city_targeting_facts(scope, start=start, end=end)
        return [targeting_row(r, end) for r in facts]

    return await _kept(info, "rows", (*_scope_key(scope), start, end), compute)


async def city_findings(
    info: strawberry.Info[Any, Any], scope: Scope, start: date, end: date
) -> list[Finding]:
    """Every finding in the city the scope sees, eligibility judged on `end`:
    two statements (the city's rows, `city_rows`, and its duplicated aid), then
    the rules in one pass; served from `FindingsCache` while nothing is written
    (without a journal, every call computes)."""
    book = rules(info)
    repository = info.context.repository

    async def compute() -> list[Finding]:
        rows, duplicated = await asyncio.gather(
            city_rows(info, scope, start, end),
            repository.duplicated_aid(scope, start=start, end=end, limit=WHOLE_CITY),
        )
        found = eligibility_findings(book, rows, end)
        homes = {r.household_id: r for r in rows}
        found += [duplication_finding(r, homes.get(r["household_id"])) for r in duplicated["rows"]]
        found.sort(key=lambda f: (f.household_id, f.kind, f.programs, f.rule))
        return found

    key = (book.version, str(book.path), *_scope_key(scope), start, end)
    return await _kept(info, "findings", key, compute)


async def with_evidence(
    info: strawberry.Info[Any, Any], scope: Scope, found: Sequence[Finding], start: date, end: date
) -> list[Finding]:
    """`found` (a page) with the services behind each inclusion error, in one
    read for the page: the city's findings carry only the programs served."""
    ids = sorted({f.household_id for f in found if f.kind == "inclusion"})
    if not ids:
        return list(found)
    rows = await info.context.repository.targeting_facts(scope, start=start, end=end, ids=ids)
    services = {r["household_id"]: r["services"] for r in rows}
    return [
        with_services(f, services.get(f.household_id, ())) if f.kind == "inclusion" else f
        for f in found
    ]


async def household_findings(
    info: strawberry.Info[Any, Any], scope: Scope, household_id: str, start: date, end: date
) -> list[Finding]:
    """One household's findings in [start, end], eligibility judged on `end`, by
    the rules the city's findings use (`eligibility_findings`, the graph's
    `duplicated_aid`), with their evidence; [] when the scope does not see it.
    Read fresh (not from `FindingsCache`): a complaint's check is of now."""
    book = rules(info)
    repository = info.context.repository
    facts, duplicated = await asyncio.gather(
        repository.targeting_facts(scope, start=start, end=end, ids=[household_id]),
        repository.duplicated_aid(
            scope, start=start, end=end, limit=WHOLE_CITY, household_id=household_id
        ),
    )
    if not facts:
        return []
    home = household_row(facts[0], end)
    found = [
        with_services(f, facts[0]["services"]) if f.kind == "inclusion" else f
        for f in eligibility_findings(book, [home], end)
    ]
    found += [duplication_finding(r, home) for r in duplicated["rows"]]
    found.sort(key=lambda f: (f.household_id, f.kind, f.programs, f.rule))
    return found


def in_area(finding: Finding, area: str | None) -> bool:
    return area is None or area in (finding.kelurahan_code, finding.kecamatan_code)


__all__ = [
    "WHOLE_CITY",
    "FindingsCache",
    "city_facts",
    "city_findings",
    "city_rows",
    "draw_roster_now",
    "full_facts",
    "household_eligibility",
    "household_findings",
    "in_area",
    "rule_on",
    "rules",
    "with_evidence",
]
