# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Root query fields of targeting: the findings, their counts by area, and the
what-if of a changed rule (`domain.targeting`, `schema.eligibility`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import date
from typing import Annotated

import strawberry

from domain.eligibility import RuleError
from domain.targeting import Finding, what_if
from domain.thresholds import is_decile
from schema.audit import ShownPurpose, personal, require_purpose, rows_read
from schema.context import Context
from schema.eligibility import (
    city_findings,
    city_rows,
    full_facts,
    in_area,
    rule_on,
    rules,
    with_evidence,
)
from schema.errors import InputError
from schema.pagination import Connection, connection, window
from schema.permissions import (
    provenance_for,
    require_city_aggregates,
    require_eligibility,
    sees_eligibility,
    suppress,
)
from schema.types.household import Household
from schema.types.targeting import (
    EligibilityWhatIf,
    TargetingCount,
    TargetingFinding,
    TargetingKind,
)

Info = strawberry.Info[Context, None]
From = Annotated[date, strawberry.argument(name="from")]


def _period(start: date, end: date) -> None:
    if end < start:
        raise InputError("to", "the end of the period is before its start.")


@strawberry.type
class TargetingQueries:
    @strawberry.field(
        description="Targeting findings in [from, to], eligibility judged on `to`: eligible "
        "households neither served nor enrolled (EXCLUSION), households served or enrolled "
        "but not eligible (INCLUSION) and duplicated aid (DUPLICATION), each with its "
        "evidence; in a kecamatan or kelurahan (`area`, a code) and of the kinds and "
        "program given. Social workers and Dinsos only."
    )
    async def targeting_findings(
        self,
        info: Info,
        from_: From,
        to: date,
        area: str | None = None,
        kind: list[TargetingKind] | None = None,
        program: str | None = None,
        first: int = 20,
        after: str | None = None,
        purpose: Annotated[
            str | None, strawberry.argument(description="Why you read this.")
        ] = None,
    ) -> Connection[TargetingFinding]:
        require_eligibility(info.context.principal)
        policy = personal(info, purpose)
        _period(from_, to)
        offset, limit = window(first, after)
        kinds = {k.value for k in kind or TargetingKind}
        found = [
            f
            for f in await city_findings(info, info.context.scope, from_, to)
            if f.kind in kinds and in_area(f, area) and (program is None or program in f.programs)
        ]
        page = await with_evidence(
            info, info.context.scope, found[offset : offset + limit], from_, to
        )
        households = await info.context.loaders.household.load_many([f.household_id for f in page])
        by_id = {h["household_id"]: h for h in households if h}
        shown = provenance_for(info.context.principal)
        rows_read(info, [{"household_id": f.household_id} for f in page])

        def make(f: Finding) -> TargetingFinding:
            return TargetingFinding.of(f, Household.from_row(by_id[f.household_id], policy), shown)

        shown_rows = [{"finding": f} for f in page if f.household_id in by_id]
        return connection(shown_rows, len(found), offset, lambda r: make(r["finding"]))

    @strawberry.field(
        description="Targeting findings in [from, to] counted by kelurahan, kind and program "
        "(households; a finding of two programs counts under each). For analysts and Dinsos; "
        "counts under 5 are withheld for aggregate-only roles."
    )
    async def targeting_summary(
        self, info: Info, from_: From, to: date, area: str | None = None
    ) -> list[TargetingCount]:
        policy = require_city_aggregates(info.context.principal)
        _period(from_, to)
        found = await city_findings(info, full_facts(info.context.scope), from_, to)
        households: Counter[tuple[str | None, str | None, str, str]] = Counter()
        for key in {
            (f.kecamatan_code, f.kelurahan_code, f.kind, p, f.household_id)
            for f in found
            if in_area(f, area)
            for p in f.programs
        }:
            households[key[:4]] += 1
        return [
            TargetingCount(
                kecamatan_code=kec,
                kelurahan_code=kel,
                kind=TargetingKind(kind),
                program=program,
                households=suppress(n, policy),
            )
            for (kec, kel, kind, program), n in sorted(
                households.items(), key=lambda kv: tuple(str(k) for k in kv[0])
            )
        ]

    @strawberry.field(
        description="What a changed rule would do, before anything is applied: give "
        "`decileMax` (the decile cut-off, e.g. PKH from 4 to 3) or `expression` (the rule's "
        "`when`, over the rules file's conditions; needs `program`), or both; neither "
        "gives the rules in force, no difference. One answer per program with a rule valid "
        "on `to` (or `program`'s); households judged on `to`, the cost from the program's "
        "services in [from, to]. Read-only; analysts and Dinsos."
    )
    async def eligibility_what_if(
        self,
        info: Info,
        from_: From,
        to: date,
        program: str | None = None,
        decile_max: int | None = None,
        expression: str | None = None,
        purpose: ShownPurpose = None,
    ) -> list[EligibilityWhatIf]:
        policy = require_city_aggregates(info.context.principal)
        shown = sees_eligibility(policy)
        if shown:  # the households left out are named: their read needs a purpose
            require_purpose(info, purpose)
        _period(from_, to)
        book = rules(info)
        if expression is not None and program is None:
            raise InputError("expression", "an expression is one program's: give program too.")
        if decile_max is not None and not is_decile(decile_max):
            raise InputError("decileMax", "a DTSEN decile is a whole number from 1 to 10.")
        if program is not None:
            rule_on(info, program, to, "program")
        # without a program: every program whose rule is in force on `to`
        programs = (
            [program]
            if program is not None
            else [p for p in book.programs if book.rule(p, to) is not None]
        )
        params = {"decile_max": decile_max} if decile_max is not None else None
        changed = []
        for code in programs:
            try:
                changed.append(book.what_if(code, to, when=expression, params=params))
            except RuleError as e:
                raise InputError("expression", str(e)) from None
        # the city's rows the findings read (kept while nothing is written)
        scope = full_facts(info.context.scope)
        rows, paid = await asyncio.gather(
            city_rows(info, scope, from_, to),
            info.context.repository.programs_paid(scope, programs, start=from_, end=to),
        )
        out = []
        for then in changed:
            now = book.rule(then.program, to)
            assert now is not None
            result = what_if(now, then, rows, paid[now.program])
            if shown and result.newly_excluded:
                rows_read(info, [{"household_id": h} for h in result.newly_excluded])
            out.append(
                EligibilityWhatIf.of(result, then.when, shown, lambda n: suppress(n, policy))
            )
        return out
