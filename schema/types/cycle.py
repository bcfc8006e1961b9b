# mypy: disable-error-code="untyped-decorator"
"""Program cycles: a program's roster for a period, frozen when approved, and
its re-check against today's rule and data (`domain.cycles`, `schema.cycles`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry

from domain.cycles import Difference, RosterEntry, entry_of
from domain.eligibility import HouseholdFacts
from domain.shapes import Row
from schema.audit import personal, read
from schema.eligibility import draw_roster_now
from schema.errors import ServiceError
from schema.pagination import Connection, connection, window
from schema.permissions import require_eligibility, suppress
from schema.services import ProgramCycles
from schema.types.eligibility import EligibilityCondition


@strawberry.enum(description="Where a program cycle is in its lifecycle.")
class ProgramCycleStatus(Enum):
    DRAFT = "DRAFT"
    """Opened; its roster is drawn afresh each time it is read."""
    APPROVED = "APPROVED"
    """Approved by a Dinsos administrator other than the opener: its roster is frozen."""
    DISTRIBUTED = "DISTRIBUTED"
    """What was paid out against the frozen roster is recorded (by another administrator)."""
    CLOSED = "CLOSED"
    """Closed by an administrator other than the one who recorded the distribution."""


@strawberry.type(description="What a program's rule read about a household on a day.")
class CycleFacts:
    decile: int | None
    members: int
    children_under_18: int
    school_age_children: int
    elders: int
    disabled_members: int
    pregnant_members: int
    ppks: list[str]

    @classmethod
    def of(cls, facts: HouseholdFacts) -> CycleFacts:
        return cls(**{**asdict(facts), "ppks": list(facts.ppks)})


@strawberry.type(
    name="CycleRosterEntry", description="One household of a cycle's roster, as the rule saw it."
)
class RosterEntryType:
    household_id: strawberry.ID
    kelurahan_code: str | None
    kecamatan_code: str | None
    eligible: bool
    rule_version: str
    members: int = strawberry.field(description="Its active members when the roster was drawn.")
    facts: CycleFacts
    conditions: list[EligibilityCondition]

    @classmethod
    def of(cls, e: RosterEntry) -> RosterEntryType:
        return cls(
            household_id=strawberry.ID(e.household_id),
            kelurahan_code=e.kelurahan_code,
            kecamatan_code=e.kecamatan_code,
            eligible=e.eligibility.eligible,
            rule_version=e.eligibility.rule_version,
            members=e.facts.members,
            facts=CycleFacts.of(e.facts),
            conditions=[EligibilityCondition.of(c) for c in e.eligibility.conditions],
        )


def cycle_store(info: strawberry.Info[Any, Any]) -> ProgramCycles:
    store: ProgramCycles | None = info.context.services.cycles
    if store is None:
        raise ServiceError("program cycles are not kept on this hub.")
    return store


async def roster_entries(
    info: strawberry.Info[Any, Any], row: Row, offset: int = 0, limit: int | None = None
) -> tuple[list[RosterEntry], int]:
    """A cycle's roster, a page of it and its size: the frozen entries of an
    approved cycle, or a draft's drawn now."""
    if row["status"] == ProgramCycleStatus.APPROVED.value:
        texts = await cycle_store(info).roster(row["cycle_id"], offset=offset, limit=limit)
        return [entry_of(t) for t in texts], int(row["households"] or 0)
    drawn = await draw_roster_now(info, row["program"], date.fromisoformat(row["period_start"]))
    end = None if limit is None else offset + limit
    return drawn[offset:end], len(drawn)


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@strawberry.type(
    description="A program's cycle (siklus): its period, its status and its roster, frozen "
    "when approved so later registry edits and rule changes leave it as approved."
)
class ProgramCycle:
    id: strawberry.ID
    program: str
    name: str
    period_start: date
    period_end: date
    status: ProgramCycleStatus
    rule_version: str = strawberry.field(
        description="The program's rule version valid on the first day of the period."
    )
    opened_by: str
    opened_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    households: int | None = strawberry.field(
        description="Households on the frozen roster (null while a draft, and under 5 for "
        "aggregate-only roles)."
    )
    members: int | None = strawberry.field(
        description="Their active members when frozen (null as households)."
    )
    distributed_by: str | None = None
    distributed_at: datetime | None = None
    paid_on: date | None = strawberry.field(default=None, description="The day it was paid out.")
    funder: str | None = strawberry.field(default=None, description="Who paid it.")
    paid_households: int | None = strawberry.field(
        default=None,
        description="Roster households paid (null until distributed, and under 5 for "
        "aggregate-only roles).",
    )
    paid_amount: float | None = strawberry.field(
        default=None, description="What was paid out in all, IDR (null as paidHouseholds)."
    )
    closed_by: str | None = None
    closed_at: datetime | None = None
    row: strawberry.Private[Row] = strawberry.field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Row, policy: Any) -> ProgramCycle:
        households = None if row["households"] is None else suppress(row["households"], policy)
        # withheld with its households: the two together would tell of a small cell
        members = None if households is None else row["members"]
        paid_count = row.get("paid_households")
        paid = None if paid_count is None else suppress(paid_count, policy)

        return cls(
            id=strawberry.ID(row["cycle_id"]),
            program=row["program"],
            name=row["name"],
            period_start=date.fromisoformat(row["period_start"]),
            period_end=date.fromisoformat(row["period_end"]),
            status=ProgramCycleStatus(row["status"]),
            rule_version=row["rule_version"],
            opened_by=row["opened_by"],
            opened_at=datetime.fromisoformat(row["opened_at"]),
            approved_by=row.get("approved_by"),
            approved_at=datetime.fromisoformat(row["approved_at"])
            if row.get("approved_at")
            else None,
            households=households,
            members=members,
            distributed_by=row.get("distributed_by"),
            distributed_at=_instant(row.get("distributed_at")),
            paid_on=date.fromisoformat(row["paid_on"]) if row.get("paid_on") else None,
            funder=row.get("funder"),
            paid_households=paid,
            paid_amount=None if paid is None else row.get("paid_amount"),
            closed_by=row.get("closed_by"),
            closed_at=_instant(row.get("closed_at")),
            row=row,
        )

    @strawberry.field(
        description="The households on the roster, by id, with the facts the rule saw and "
        "its verdict: frozen once approved, drawn now while a draft. Social workers and "
        "Dinsos only, with a purpose."
    )
    async def roster(
        self,
        info: strawberry.Info[Any, Any],
        first: int = 20,
        after: str | None = None,
        purpose: Annotated[
            str | None, strawberry.argument(description="Why you read this.")
        ] = None,
    ) -> Connection[RosterEntryType]:
        require_eligibility(info.context.principal)
        personal(info, purpose)
        offset, limit = window(first, after)
        page, total = await roster_entries(info, self.row, offset, limit)
        read(info, households=[e.household_id for e in page])
        return connection(
            [{"entry": e} for e in page], total, offset, lambda r: RosterEntryType.of(r["entry"])
        )


@strawberry.enum(description="How a household's standing differs from a cycle's frozen roster.")
class CycleDifferenceKind(Enum):
    NOW_INELIGIBLE = "NOW_INELIGIBLE"
    """On the roster, and no longer eligible by the rule and data of the day."""
    NEWLY_ELIGIBLE = "NEWLY_ELIGIBLE"
    """Eligible by the rule and data of the day, and not on the roster."""
    FACTS_CHANGED = "FACTS_CHANGED"
    """On the roster and still eligible, but the facts the rule reads changed."""
    GONE = "GONE"
    """On the roster, and no longer an active household of the registry."""


@strawberry.type(name="FactChange", description="A fact the rule reads, then (frozen) and now.")
class FactChangeType:
    fact: str
    then: str
    now: str
    explanation: str


@strawberry.type(description="One household whose standing differs from the frozen roster.")
class CycleDifference:
    household_id: strawberry.ID
    kind: CycleDifferenceKind
    explanation: str = strawberry.field(description="The difference in words (Bahasa Indonesia).")
    changes: list[FactChangeType]
    conditions: list[EligibilityCondition] = strawberry.field(
        description="The rule's conditions on the day of the re-check (none when GONE)."
    )

    @classmethod
    def of(cls, d: Difference) -> CycleDifference:
        return cls(
            household_id=strawberry.ID(d.household_id),
            kind=CycleDifferenceKind(d.kind),
            explanation=d.explanation,
            changes=[
                FactChangeType(fact=c.fact, then=c.then, now=c.now, explanation=c.explanation)
                for c in d.changes
            ],
            conditions=[EligibilityCondition.of(c) for c in d.conditions],
        )


@strawberry.type(
    description="A cycle's frozen roster judged again by the rule and data of a day; the "
    "roster itself is not changed."
)
class CycleRecheck:
    cycle: ProgramCycle
    on: date
    rule_version: str = strawberry.field(description="The rule version valid on `on`.")
    differences: list[CycleDifference]
