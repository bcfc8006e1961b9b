# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Program cycles: open one (a DRAFT whose roster is drawn live), approve it
(four eyes; the roster is frozen), re-check it against today's rule and data,
record what was paid out against the frozen roster (DISTRIBUTED: each payment
is also a service of the program, so budgets' spending, the findings and the
household's history see it), close it, and list them (`domain.cycles`; who
may take which step: `schema.permissions.PROGRAM_CYCLE_STEPS`). Every step is
journaled first (kinds `program_cycle.*`) and audited."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date
from typing import Any

import strawberry

from domain import rows
from domain.cycles import RosterEntry, recheck
from journal import kinds
from schema import inputs
from schema.audit import Purpose, personal, read, wrote
from schema.context import Context
from schema.eligibility import city_facts, draw_roster_now, rule_on
from schema.errors import InputError, NotFound
from schema.journaling import append, claim, fact, plain_fact
from schema.pagination import Connection, connection, window
from schema.permissions import (
    PROGRAM_CYCLE_STEPS,
    require_city_aggregates,
    require_eligibility,
    require_four_eyes,
    require_step,
)
from schema.types.cycle import (
    CycleDifference,
    CycleDifferenceKind,
    CycleRecheck,
    ProgramCycle,
    ProgramCycleStatus,
    cycle_store,
    roster_entries,
)

Info = strawberry.Info[Context, None]
#: payments written to the graph per statement
_BATCH = 500


def _who(info: Info) -> str:
    principal = info.context.principal
    return str(getattr(principal, "subject", None) or principal.organization)


async def _cycle(info: Info, cycle_id: str) -> dict[str, Any]:
    row = await cycle_store(info).cycle(cycle_id)
    if row is None:
        raise NotFound("program cycle", cycle_id)
    return row


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    """What a cycle's journal fact says of it: ids, dates, counts, never a household."""
    keys = ("cycle_id", "program", "name", "period_start", "period_end", "status")
    return {k: row[k] for k in keys} | {"rule_version": row["rule_version"]}


def digest(entries: list[RosterEntry]) -> str:
    """A fingerprint of a frozen roster (its entries as stored), kept in the
    journal: a roster changed afterwards no longer matches it."""
    h = hashlib.sha256()
    for e in entries:
        h.update(e.to_json().encode())
    return h.hexdigest()


@strawberry.type
class ProgramCycleMutations:
    @strawberry.mutation(
        description="Open a program cycle (a DRAFT) for a period: its roster is the "
        "households the program's rule valid on `periodStart` finds eligible then, drawn "
        "afresh until a Dinsos administrator other than you approves it. Social workers "
        "and Dinsos."
    )
    async def open_program_cycle(
        self, info: Info, program: str, name: str, period_start: date, period_end: date
    ) -> ProgramCycle:
        policy = require_eligibility(info.context.principal)
        store = cycle_store(info)
        if period_end < period_start:
            raise InputError("periodEnd", "the end of the period is before its start.")
        rule = rule_on(info, program, period_start, "program")
        row: dict[str, Any] = {
            "cycle_id": f"cyc-{uuid.uuid4()}",
            "program": program,
            "name": inputs.required_text("name", name),
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "status": ProgramCycleStatus.DRAFT.value,
            "rule_version": rule.version,
            "opened_by": _who(info),
            "opened_at": inputs.now().isoformat(),
        }
        await append(
            info,
            [plain_fact(info, kinds.PROGRAM_CYCLE_OPENED, _summary(row), subject=row["cycle_id"])],
        )
        stored = await store.open(row)
        wrote(info)
        return ProgramCycle.from_row(stored, policy)

    @strawberry.mutation(
        description="Approve a DRAFT program cycle (Dinsos administrators; not the one who "
        "opened it): its roster is drawn and frozen with the facts each household's "
        "verdict rests on, so later registry edits and rule changes leave it as approved."
    )
    async def approve_program_cycle(self, info: Info, id: strawberry.ID) -> ProgramCycle:
        policy = require_eligibility(info.context.principal)
        store = cycle_store(info)
        current = await _cycle(info, id)
        status = current["status"]
        require_step(
            PROGRAM_CYCLE_STEPS, "program cycle", info.context.principal, status, "APPROVED"
        )
        who = _who(info)
        require_four_eyes(current["opened_by"], who, "the cycle was opened", "approves")
        start = date.fromisoformat(current["period_start"])
        version = rule_on(info, current["program"], start, "id").version
        entries = await draw_roster_now(info, current["program"], start)
        frozen = {
            **_summary(current),
            "status": ProgramCycleStatus.APPROVED.value,
            "rule_version": version,
            "households": len(entries),
            "members": sum(e.facts.members for e in entries),
            "roster_digest": digest(entries),
        }
        # one step out of DRAFT: whoever claims it in the journal first approves it
        if not await claim(
            info,
            plain_fact(
                info,
                kinds.PROGRAM_CYCLE_APPROVED,
                frozen,
                subject=id,
                key=f"{id}:from:{status}",
            ),
        ):
            raise InputError("id", f"the cycle moved on meanwhile; it is no longer {status}.")
        moved = await store.approve(id, who, inputs.now(), version, [e.to_json() for e in entries])
        if moved is None:
            raise InputError("id", f"the cycle moved on meanwhile; it is no longer {status}.")
        wrote(info, households=[e.household_id for e in entries])
        return ProgramCycle.from_row(moved, policy)

    @strawberry.mutation(
        description="Judge an approved cycle's frozen roster again by the rule valid on `on` "
        "(today when not given) and the registry as it is now, and list the differences: "
        "households no longer eligible, newly eligible and not on the roster, whose facts "
        "changed, or gone, each in words. The roster is not changed. Social workers and "
        "Dinsos, with a purpose."
    )
    async def recheck_program_cycle(
        self, info: Info, id: strawberry.ID, on: date | None = None, purpose: Purpose = None
    ) -> CycleRecheck:
        policy = require_eligibility(info.context.principal)
        personal(info, purpose)
        current = await _cycle(info, id)
        if current["status"] != ProgramCycleStatus.APPROVED.value:
            raise InputError(
                "id", "only an approved cycle has a frozen roster to re-check; approve it first."
            )
        day = on or inputs.now().date()
        rule = rule_on(info, current["program"], day, "on")
        frozen, _ = await roster_entries(info, current)
        found = recheck(frozen, rule, await city_facts(info, day), day)
        counts = {k.value: sum(d.kind == k.value for d in found) for k in CycleDifferenceKind}
        await append(
            info,
            [
                plain_fact(
                    info,
                    kinds.PROGRAM_CYCLE_RECHECKED,
                    {**_summary(current), "on": day.isoformat(), "checked_with": rule.version}
                    | {"differences": counts},
                    subject=id,
                )
            ],
        )
        wrote(info)  # the re-check's fact
        read(info, households=[d.household_id for d in found])
        return CycleRecheck(
            cycle=ProgramCycle.from_row(current, policy),
            on=day,
            rule_version=rule.version,
            differences=[CycleDifference.of(d) for d in found],
        )


async def _step(info: Info, id: strawberry.ID, target: ProgramCycleStatus) -> dict[str, Any]:
    """The cycle, checked that the caller may move it to `target` now."""
    current = await _cycle(info, id)
    require_step(
        PROGRAM_CYCLE_STEPS,
        "program cycle",
        info.context.principal,
        current["status"],
        target.value,
    )
    return current


async def _claim_step(
    info: Info, id: str, current: dict[str, Any], payload: dict[str, Any]
) -> None:
    """One step out of a status: whoever claims it in the journal first takes it."""
    target = payload["status"]
    kind = {
        ProgramCycleStatus.DISTRIBUTED.value: kinds.PROGRAM_CYCLE_DISTRIBUTED,
        ProgramCycleStatus.CLOSED.value: kinds.PROGRAM_CYCLE_CLOSED,
    }[target]
    status = current["status"]
    fact = plain_fact(info, kind, payload, subject=id, key=f"{id}:from:{status}")
    # the same caller again with the same step: theirs failed after its claim
    if not await claim(info, fact, retry=True):
        raise InputError("id", f"the cycle moved on meanwhile; it is no longer {status}.")


@strawberry.type
class ProgramCycleDistribution:
    @strawberry.mutation(
        description="Record what was paid out against an APPROVED cycle's frozen roster "
        "(Dinsos administrators; not the one who approved it): every roster household "
        "but `notPaid` was paid `amount` (IDR) on `paidOn`, within the period, by the "
        "program's funder. Each payment is recorded as a service of the program, so it "
        "counts as spending against the funder's budget and as serving the household. "
        "The cycle becomes DISTRIBUTED."
    )
    async def distribute_program_cycle(
        self,
        info: Info,
        id: strawberry.ID,
        paid_on: date,
        amount: float,
        not_paid: list[strawberry.ID] | None = None,
        purpose: Purpose = None,
    ) -> ProgramCycle:
        policy = require_eligibility(info.context.principal)
        personal(info, purpose)
        current = await _step(info, id, ProgramCycleStatus.DISTRIBUTED)
        who = _who(info)
        require_four_eyes(current["approved_by"], who, "the cycle was approved", "pays it out")
        start, end = (date.fromisoformat(current[k]) for k in ("period_start", "period_end"))
        if not start <= paid_on <= end:
            raise InputError("paidOn", f"pay a cycle within its period, {start} to {end}.")
        if amount < 0:
            raise InputError("amount", "must not be negative.")
        frozen, _ = await roster_entries(info, current)
        roster = [e.household_id for e in frozen]
        skipped = {str(h) for h in not_paid or []}
        stray = sorted(skipped - set(roster))
        if stray:
            raise InputError("notPaid", f"not on the cycle's roster: {', '.join(stray[:5])}.")
        program = current["program"]
        funder = (await info.context.repository.program_funders([program])).get(program)
        org = str(info.context.principal.organization)
        paid_ids = [hid for hid in roster if hid not in skipped]
        paid = [
            rows.Service(
                service_id=f"svc-{id}-{hid}",
                household_id=hid,
                person_id=None,
                program=program,
                service_date=paid_on,
                amount=amount,
                funder=funder or org,
                organization=org,
                source=f"cycle:{id}",
                record_key=None,
                link_pending=False,
            )
            for hid in paid_ids
        ]
        payload = {
            **_summary(current),
            "status": ProgramCycleStatus.DISTRIBUTED.value,
            "paid_on": paid_on.isoformat(),
            "funder": funder or org,
            "paid_households": len(paid),
            "not_paid": len(roster) - len(paid),
            "paid_amount": amount * len(paid),
        }
        await _claim_step(info, id, current, payload)
        # each payment a service, journaled before it reaches the graph (replayed if not);
        # keyed, and its id is the cycle's and household's, so a retry after a failure
        # past the claim (the graph down) journals and writes each once
        await append(
            info,
            [
                fact(
                    info,
                    kinds.SERVICE_RECORDED,
                    r,
                    households=[r.household_id],
                    key=f"{kinds.SERVICE_RECORDED}:{r.service_id}",
                )
                for r in paid
            ],
        )
        for i in range(0, len(paid), _BATCH):
            await info.context.repository.write(paid[i : i + _BATCH])
        moved = await cycle_store(info).distribute(
            id,
            who,
            inputs.now(),
            paid_on,
            funder or org,
            [(hid, amount, r.service_id) for hid, r in zip(paid_ids, paid, strict=True)],
        )
        if moved is None:
            raise InputError(
                "id", f"the cycle moved on meanwhile; it is no longer {current['status']}."
            )
        wrote(info, households=paid_ids)
        return ProgramCycle.from_row(moved, policy)

    @strawberry.mutation(
        description="Close a DISTRIBUTED cycle (Dinsos administrators; not the one who "
        "recorded its distribution), with a note. A closed cycle moves no further."
    )
    async def close_program_cycle(self, info: Info, id: strawberry.ID, note: str) -> ProgramCycle:
        policy = require_eligibility(info.context.principal)
        current = await _step(info, id, ProgramCycleStatus.CLOSED)
        who = _who(info)
        require_four_eyes(current["distributed_by"], who, "the distribution was recorded", "closes")
        text = inputs.required_text("note", note)
        payload = {**_summary(current), "status": ProgramCycleStatus.CLOSED.value}
        await _claim_step(info, id, current, payload)
        moved = await cycle_store(info).close_cycle(id, who, inputs.now(), text)
        if moved is None:
            raise InputError(
                "id", f"the cycle moved on meanwhile; it is no longer {current['status']}."
            )
        wrote(info)
        return ProgramCycle.from_row(moved, policy)


@strawberry.type
class ProgramCycleQueries:
    @strawberry.field(
        description="Program cycles, the latest period first (of `program` when given). "
        "Analysts see the counts (under 5 withheld); the roster is for social workers and "
        "Dinsos."
    )
    async def program_cycles(
        self,
        info: Info,
        program: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[ProgramCycle]:
        policy = require_city_aggregates(info.context.principal)
        offset, limit = window(first, after)
        page = await cycle_store(info).cycles(program=program, offset=offset, limit=limit)
        return connection(
            page["rows"], page["total"], offset, lambda r: ProgramCycle.from_row(r, policy)
        )

    @strawberry.field(description="One program cycle by id, its roster paged.")
    async def program_cycle(self, info: Info, id: strawberry.ID) -> ProgramCycle:
        policy = require_city_aggregates(info.context.principal)
        return ProgramCycle.from_row(await _cycle(info, id), policy)


__all__ = ["ProgramCycleDistribution", "ProgramCycleMutations", "ProgramCycleQueries", "digest"]
