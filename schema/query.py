# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Root query fields."""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Annotated, Any, Final

import strawberry
from strawberry.types.nodes import SelectedField

from domain.identity import ID_LENGTH, id_digits
from domain.targeting import explain
from domain.thresholds import POOR_DECILE_MAX, is_decile
from schema.audit import Purpose, personal, read, rows_read
from schema.budgets import BudgetQueries, budget_shown
from schema.caseload import CaseloadQueries
from schema.change_requests import ChangeRequestQueries
from schema.context import Context
from schema.cycles import ProgramCycleQueries
from schema.decile_alerts import DecileAlertQueries
from schema.errors import InputError, NotFound, ServiceError
from schema.feed import FeedQueries
from schema.grants import GrantQueries
from schema.pagination import Connection, connection, cursor_snapshot, window
from schema.permissions import (
    Policy,
    provenance_for,
    require_aggregates,
    require_audit_reader,
    require_budget_reader,
    suppress,
)
from schema.referrals import ReferralQueries
from schema.review import ReviewQueries
from schema.service_desk import ServiceDeskQueries
from schema.services import Analytics
from schema.targeting import TargetingQueries
from schema.types.analysis import (
    BudgetProblem,
    Budgets,
    CoverageGapCount,
    CoverageGaps,
    DecileCount,
    DuplicatedAid,
    FundingPool,
    PovertyIndicator,
    PovertyMonth,
    PovertyTarget,
    ProgramNeed,
)
from schema.types.audit import AuditEvent
from schema.types.household import Household
from schema.types.person import Person, PersonStatus
from schema.types.problem import Problem
from schema.types.program import Funder, Program
from schema.types.service import Service

Info = strawberry.Info[Context, None]


@strawberry.enum
class HouseholdSortField(Enum):
    HOUSEHOLD_ID = "HOUSEHOLD_ID"
    DECILE = "DECILE"
    KELURAHAN = "KELURAHAN"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum
class AreaLevel(Enum):
    KECAMATAN = "KECAMATAN"
    KELURAHAN = "KELURAHAN"


@strawberry.input
class HouseholdSort:
    field: HouseholdSortField = HouseholdSortField.HOUSEHOLD_ID
    direction: SortDirection = SortDirection.ASC


@strawberry.enum(
    description="ACTIVE households, or those MERGED into another (their id "
    "resolves to it) or WITHDRAWN (every record withdrawn)."
)
class HouseholdStatus(Enum):
    ACTIVE = "active"
    MERGED = "merged"
    WITHDRAWN = "withdrawn"


@strawberry.input(
    description="Look-up by address, problem, decile or identifiers; all given filters must hold."
)
class HouseholdFilter:
    kecamatan_code: str | None = None
    kelurahan_code: str | None = None
    rt: str | None = None
    rw: str | None = None
    ppks: str | None = None
    decile: int | None = None
    max_decile: int | None = None
    nik: str | None = None
    no_kk: str | None = None
    kelurahan: str | None = strawberry.field(
        default=None, description="Kelurahan by code or by name (any letter case)."
    )
    address: str | None = strawberry.field(
        default=None,
        description="Words the address contains (any letter case; at least 3 characters).",
    )
    status: list[HouseholdStatus] | None = strawberry.field(
        default=None, description="Default: active households only."
    )


#: the shortest address text `households(filter: {address})` looks for
MIN_ADDRESS_TEXT = 3
MAX_ADDRESS_TEXT = 200


def _address(field: str, value: str | None) -> str | None:
    """Address words to look for, with runs of spaces made one."""
    text = " ".join((value or "").split())
    if not text:
        return None
    if not MIN_ADDRESS_TEXT <= len(text) <= MAX_ADDRESS_TEXT:
        raise InputError(
            field, f"give {MIN_ADDRESS_TEXT} to {MAX_ADDRESS_TEXT} characters of the address."
        )
    return text


def _digits(field: str, value: str | None) -> str | None:
    """A NIK or KK to look up, written as every path reads it (`domain.identity.id_digits`)."""
    clean = id_digits(value)
    if clean is None:
        return None
    if not (clean.isascii() and clean.isdigit() and len(clean) == ID_LENGTH):
        raise InputError(field, f"must be {ID_LENGTH} digits.")
    return clean


def _selects(info: Info, name: str) -> bool:
    """Whether the query asks for sub-field `name` of this field (fragments too)."""
    pending = list(info.selected_fields[0].selections)
    while pending:
        node = pending.pop()
        if isinstance(node, SelectedField):
            if node.name == name:
                return True
        else:
            pending.extend(node.selections)
    return False


def _decile(field: str, value: int | None) -> int | None:
    if value is not None and not is_decile(value):
        raise InputError(field, "a welfare decile (desil) is between 1 and 10.")
    return value


def _analytics(info: Info) -> Analytics:
    analytics = info.context.services.analytics
    if analytics is None:
        raise ServiceError("the city figures are not configured on this hub.")
    return analytics


def _rate(poor: int | None, population: int | None) -> float | None:
    """Poor people over the population, when both are known."""
    return round(poor / population, 6) if poor is not None and population else None


def _program_need(row: dict[str, Any], policy: Policy) -> ProgramNeed:
    """A program's need; its cost too is withheld with a small count (it is one)."""
    households = suppress(row["households_in_need"], policy)
    shown = households is not None
    return ProgramNeed(
        program=row["program"],
        households_in_need=households,
        cost_per_household=row["cost_per_household"],
        need_cost=row["need_cost"] if shown else None,
        budget=row["budget"],
        payable=row["payable"] if shown else None,
    )


async def _among(info: Info) -> list[str] | None:
    """The households a city figure counts for the caller: all (None), or for a
    relationship-scoped organization those the graph opens to it."""
    scope = info.context.scope
    if scope["organization"] is None:
        return None
    return await info.context.repository.visible_households(scope)


#: a report month as the API takes it
_MONTH: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@strawberry.type
class Query(
    DecileAlertQueries,
    ServiceDeskQueries,
    GrantQueries,
    ChangeRequestQueries,
    FeedQueries,
    ReviewQueries,
    ReferralQueries,
    CaseloadQueries,
    TargetingQueries,
    ProgramCycleQueries,
    BudgetQueries,
):
    @strawberry.field(
        description="A household by id, if you may see it. An id merged into "
        "another household answers with that one (see resolvedFrom)."
    )
    async def household(self, info: Info, id: strawberry.ID, purpose: Purpose = None) -> Household:
        policy = personal(info, purpose)
        row = await info.context.loaders.household.load(id)
        if row is None:
            raise NotFound("household", id)
        read(info, households=[row["household_id"]])
        return Household.from_row(row, policy)

    @strawberry.field(
        description="A person by id, if you may see their household. An id "
        "merged into another person answers with that one "
        "(see resolvedFrom)."
    )
    async def person(self, info: Info, id: strawberry.ID, purpose: Purpose = None) -> Person:
        policy = personal(info, purpose)
        row = await info.context.loaders.person.load(id)
        if row is None:
            raise NotFound("person", id)
        rows_read(info, [row])
        return Person.from_row(row, policy)

    @strawberry.field(
        description="Fuzzy name search (nicknames, old spellings, typos), "
        "optionally within a kelurahan (code or name), RT and RW, "
        "among persons of the given statuses (default: active)."
    )
    async def search_persons(
        self,
        info: Info,
        name: str,
        kelurahan: str | None = None,
        rt: str | None = None,
        rw: str | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
        status: list[PersonStatus] | None = None,
    ) -> Connection[Person]:
        policy = personal(info, purpose)
        if not any(ch.isalnum() for ch in name):
            raise InputError("name", "give at least one letter of the name.")
        offset, limit = window(first, after)
        normalise = info.context.services.name_normaliser
        tokens = list(normalise(name)) if normalise is not None else []
        text = " ".join(tokens) if tokens else name
        page = await info.context.repository.search_persons(
            text,
            info.context.scope,
            kelurahan=kelurahan,
            rt=rt,
            rw=rw,
            offset=offset,
            limit=limit,
            statuses=[s.value for s in status or [PersonStatus.ACTIVE]],
        )
        rows_read(info, page["rows"])
        return connection(page["rows"], page["total"], offset, lambda r: Person.from_row(r, policy))

    @strawberry.field(description="Households by address, problem, decile, NIK or KK.")
    async def households(
        self,
        info: Info,
        filter: HouseholdFilter | None = None,
        sort: HouseholdSort | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[Household]:
        policy = personal(info, purpose)
        offset, limit = window(first, after)
        f = filter or HouseholdFilter()
        sort = sort or HouseholdSort()
        filters = {
            "kecamatan_code": f.kecamatan_code,
            "kelurahan_code": f.kelurahan_code,
            "rt": f.rt,
            "rw": f.rw,
            "ppks": f.ppks,
            "decile": _decile("filter.decile", f.decile),
            "max_decile": _decile("filter.maxDecile", f.max_decile),
            "nik": _digits("filter.nik", f.nik),
            "no_kk": _digits("filter.noKk", f.no_kk),
            "kelurahan": (f.kelurahan or "").strip() or None,
            "address": _address("filter.address", f.address),
            "statuses": [s.value for s in f.status or [HouseholdStatus.ACTIVE]],
        }
        page = await info.context.repository.find_households(
            info.context.scope,
            filters=filters,
            sort=sort.field.value,
            descending=sort.direction is SortDirection.DESC,
            offset=offset,
            limit=limit,
        )
        rows_read(info, page["rows"])
        return connection(
            page["rows"], page["total"], offset, lambda r: Household.from_row(r, policy)
        )

    @strawberry.field(
        description="Households with a problem and no active program that "
        "addresses it, by area (kecamatan or kelurahan code) and PPKS: "
        "the monthly report's coverage gaps."
    )
    async def coverage_gaps(
        self,
        info: Info,
        area: str | None = None,
        ppks: str | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> CoverageGaps:
        policy = require_aggregates(info.context.principal)
        named = policy.can_see_personal and _selects(info, "households")
        if named:  # the counts need no purpose; the households themselves do
            personal(info, purpose)
        offset, limit = window(first, after)
        scope = info.context.scope
        result = await _analytics(info).coverage_gaps(
            area=area,
            ppks=ppks,
            special_category=scope["special_category"],
            households=await _among(info),
        )
        counts = [
            CoverageGapCount(
                kecamatan_code=c["kecamatan_code"],
                kelurahan_code=c["kelurahan_code"],
                ppks=c["ppks"],
                households=suppress(c["households"], policy),
            )
            for c in result["counts"]
        ]
        total = len(result["households"])
        households = None
        if named:
            ids = [h["household_id"] for h in result["households"][offset : offset + limit]]
            rows = [r for r in await info.context.loaders.household.load_many(ids) if r]
            rows_read(info, rows)
            households = connection(rows, total, offset, lambda r: Household.from_row(r, policy))
        return CoverageGaps(
            counts=counts, total_households=suppress(total, policy), households=households
        )

    @strawberry.field(
        description="Overlapping benefits in [from, to]: one program from several funders or "
        "organizations, pairs the combination table forbids, and one need from several "
        "funders unless the pair is allowed."
    )
    async def duplicated_aid(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
        household: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only this household's findings (its 360 page's warnings)."
            ),
        ] = None,
    ) -> Connection[DuplicatedAid]:
        policy = personal(info, purpose)
        if to < from_:
            raise InputError("to", "the end of the period is before its start.")
        offset, limit = window(first, after)
        page = await info.context.repository.duplicated_aid(
            info.context.scope,
            start=from_,
            end=to,
            offset=offset,
            limit=limit,
            household_id=None if household is None else str(household),
        )
        households = await info.context.loaders.household.load_many(
            [r["household_id"] for r in page["rows"]]
        )
        by_id = {h["household_id"]: h for h in households if h}
        shown = provenance_for(info.context.principal)

        def make(r: dict[str, object]) -> DuplicatedAid:
            services = [Service.from_row(s, shown) for s in r["services"]]  # type: ignore[attr-defined]
            return DuplicatedAid(
                household=Household.from_row(by_id[str(r["household_id"])], policy),
                rule=str(r["rule"]),
                explanation=explain(str(r["rule"]), r.get("reason")),  # type: ignore[arg-type]
                need=str(r["need"]),
                programs=list(r["programs"]),  # type: ignore[call-overload]
                funders=sorted({s.funder for s in services if s.funder}),
                services=services,
            )

        rows = [r for r in page["rows"] if r["household_id"] in by_id]
        rows_read(info, rows)
        return connection(rows, page["total"], offset, make)

    @strawberry.field(
        description="The PPKS categories a search by problem can name (reference "
        "data, open to every role): all 26 for a role that may see special-category "
        "data, the others without the special-category ones."
    )
    async def ppks_categories(self, info: Info) -> list[Problem]:
        rows = await info.context.repository.problems(info.context.scope)
        return [Problem.from_row(r) for r in rows]

    @strawberry.field(
        description="Programs: funder, problems addressed, households reached "
        "and the share of need covered."
    )
    async def programs(self, info: Info) -> list[Program]:
        policy = require_aggregates(info.context.principal)
        rows = await info.context.repository.programs(info.context.scope)
        return [
            Program(
                code=r["code"],
                name=r.get("name"),
                benefit_kind=r.get("benefit_kind"),
                need=r.get("need"),
                description=r.get("description"),
                funder=r.get("funder"),
                ppks=list(r.get("ppks") or []),
                households_reached=suppress(r["households_reached"], policy),
                households_in_need=suppress(r["households_in_need"], policy),
            )
            for r in rows
        ]

    @strawberry.field(description="Funders: who funds what, households reached, amounts.")
    async def funders(self, info: Info) -> list[Funder]:
        policy = require_aggregates(info.context.principal)
        shown = provenance_for(info.context.principal)
        rows = await info.context.repository.funders(info.context.scope)
        out = []
        for r in rows:
            # how many of your households another organization paid for is who serves whom
            named = shown.funder(r["code"], r.get("is_organization")) is not None
            reached = suppress(r["households_reached"], policy) if named else None
            out.append(
                Funder(
                    code=r["code"],
                    name=r.get("name"),
                    kind=r.get("kind"),
                    public=r.get("public"),
                    programs=list(r.get("programs") or []),
                    households_reached=reached,
                    services=r["services"] if reached is not None else None,
                    amount=float(r["amount"]) if reached is not None else None,
                )
            )
        return out

    @strawberry.field(
        description="Poverty by kecamatan or kelurahan: poor people over the area's "
        "population (the hub's population file), against the city's baseline and target "
        "rates (settings). Poor: people in households at or below poorDecile "
        f"(the hub's definition: {POOR_DECILE_MAX}) or listed by P3KE. The monthly "
        "report's figures: active people of the households staged and linked."
    )
    async def poverty_indicators(
        self, info: Info, level: AreaLevel = AreaLevel.KECAMATAN, poor_decile: int = POOR_DECILE_MAX
    ) -> list[PovertyIndicator]:
        policy = require_aggregates(info.context.principal)
        _decile("poorDecile", poor_decile)
        analytics = _analytics(info)
        rows = await analytics.poverty(
            level=level.value, poor_decile=poor_decile, households=await _among(info)
        )
        goals = await analytics.targets()
        out = []
        for r in rows:
            poor = suppress(r["poor_people"], policy)
            rate = _rate(poor, r.get("population"))
            out.append(
                PovertyIndicator(
                    code=r["code"],
                    name=r.get("name"),
                    level=level.value,
                    households=suppress(r["households"], policy),
                    people=suppress(r["people"], policy),
                    poor_people=poor,
                    population=r.get("population"),
                    poverty_rate=rate,
                    baseline=goals["baseline"],
                    target=goals["target"],
                    above_target=rate > goals["target"] if rate is not None else None,
                    by_decile=[
                        DecileCount(
                            decile=d["decile"], households=suppress(d["households"], policy)
                        )
                        for d in r["by_decile"]
                    ],
                )
            )
        return out

    @strawberry.field(
        description="The city's poverty rate (poor people over its population) against "
        "the baseline and the target, with the population file's version: the headline "
        "of the dashboard and the report."
    )
    async def poverty_target(self, info: Info) -> PovertyTarget:
        policy = require_aggregates(info.context.principal)
        analytics = _analytics(info)
        rows = await analytics.poverty(level="KECAMATAN", households=await _among(info))
        goals = await analytics.targets()
        poor = suppress(sum(r["poor_people"] for r in rows), policy)
        if any(suppress(r["poor_people"], policy) is None for r in rows):
            poor = None  # the city less the kecamatan shown would give back a withheld one
        rate = _rate(poor, goals["population"])
        return PovertyTarget(
            population=goals["population"],
            population_year=goals["population_year"],
            population_source=goals["population_source"],
            poor_people=poor,
            poverty_rate=rate,
            baseline=goals["baseline"],
            target=goals["target"],
            above_target=rate > goals["target"] if rate is not None else None,
            poor_people_above_target=None
            if poor is None
            else max(0, poor - round(goals["target"] * goals["population"])),
        )

    @strawberry.field(
        description="The poverty rate per report month (the cut-off day's rules) from "
        "`from` to `to` (YYYY-MM; by default the twelve months up to this one), for the "
        "city, or for `area` (a kecamatan or kelurahan code), or for every area of "
        "`level`: poor people then over the population. A month's deciles are the "
        "journal's (each load's decile changes): README, DTSEN deciles, threshold alerts "
        "and the poverty trend."
    )
    async def poverty_trend(
        self,
        info: Info,
        from_: Annotated[str | None, strawberry.argument(name="from")] = None,
        to: str | None = None,
        area: str | None = None,
        level: AreaLevel | None = None,
    ) -> list[PovertyMonth]:
        policy = require_aggregates(info.context.principal)
        for name, value in (("from", from_), ("to", to)):
            if value is not None and not _MONTH.fullmatch(value):
                raise InputError(name, f"{value!r}: write the month as YYYY-MM, e.g. 2026-11.")
        try:
            rows = await _analytics(info).poverty_trend(
                first=from_,
                last=to,
                level=level.value if level else "CITY",
                area=area,
                households=await _among(info),
            )
        except ValueError as exc:
            field = "area" if str(exc).startswith("area") else "from"
            raise InputError(field, str(exc)) from None
        out = []
        for r in rows:
            poor = suppress(r["poor_people"], policy) if r["known"] else None
            out.append(
                PovertyMonth(
                    month=r["month"],
                    code=r["code"],
                    level=r["level"],
                    population=r["population"],
                    poor_people=poor,
                    poverty_rate=r["rate"] if poor is not None else None,
                    known=r["known"],
                )
            )
        return out

    @strawberry.field(
        description="Budgets per funder, program and year (the hub's budgets file with the "
        "changes set through setBudget), each "
        "with what was spent on it from the recorded services; and the file's rows left "
        "out with their reason. Analysts and Dinsos staff."
    )
    async def budgets(self, info: Info, year: int | None = None) -> Budgets:
        policy = require_budget_reader(info.context.principal)
        found = await _analytics(info).budgets(year=year)
        return Budgets(
            budgets=[budget_shown(b, policy) for b in found["budgets"]],
            quarantined=[
                BudgetProblem(row=q["row"], reason=q["reason"]) for q in found["quarantined"]
            ],
        )

    @strawberry.field(
        description="The share of need covered in a year (this year by default): what the "
        "funders' budgets can pay against the cost of serving every poor household in need "
        "of each program (cost per household from the program catalogue). Analysts and "
        "Dinsos staff."
    )
    async def funding_pool(self, info: Info, year: int | None = None) -> FundingPool:
        policy = require_budget_reader(info.context.principal)
        found = await _analytics(info).funding_pool(year=year or date.today().year)
        programs = [_program_need(p, policy) for p in found["programs"]]
        # a total less the programs shown would give back a withheld program's need
        whole = all(p.households_in_need is not None for p in programs)
        return FundingPool(
            year=found["year"],
            pool=found["pool"],
            need_cost=found["need_cost"] if whole else None,
            payable=found["payable"] if whole else None,
            share_of_need_covered=found["share_of_need_covered"] if whole else None,
            programs=programs,
        )

    @strawberry.field(
        description="The audit log, newest first: who read or changed whose "
        "data, when and why. For the auditor and Dinsos "
        "administrators only."
    )
    async def audit_log(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        person_id: strawberry.ID | None = None,
    ) -> Connection[AuditEvent]:
        policy = require_audit_reader(info.context.principal)
        sink = info.context.services.audit
        if sink is None:
            raise ServiceError("the audit log is not configured on this hub.")
        offset, limit = window(first, after)
        page = await sink.entries(
            person_id=person_id, offset=offset, limit=limit, as_of=cursor_snapshot(after)
        )
        if person_id is not None:
            read(info, persons=[person_id])
        return connection(
            page["rows"],
            page["total"],
            offset,
            lambda r: AuditEvent.from_row(r, policy),
            snapshot=page["as_of"],
        )
