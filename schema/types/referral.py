# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from enum import Enum

import strawberry

from domain.shapes import Row
from domain.thresholds import is_referral_overdue
from schema.permissions import Policy, mask_text


@strawberry.enum(
    description="Where a referral stands: OPEN (sent), RECEIVED (the receiving "
    "organization has seen it), ACCEPTED, IN_SERVICE, COMPLETED (done; the note "
    "says the outcome), DECLINED (the note says why), REFERRED_ONWARD (the receiver "
    "passed it to another organization; the note says where), CANCELLED (by the sender)."
)
class ReferralStatus(Enum):
    OPEN = "OPEN"
    RECEIVED = "RECEIVED"
    ACCEPTED = "ACCEPTED"
    IN_SERVICE = "IN_SERVICE"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    REFERRED_ONWARD = "REFERRED_ONWARD"
    CANCELLED = "CANCELLED"


#: status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "OPEN": frozenset({"RECEIVED", "ACCEPTED", "DECLINED", "REFERRED_ONWARD", "CANCELLED"}),
    "RECEIVED": frozenset({"ACCEPTED", "DECLINED", "REFERRED_ONWARD", "CANCELLED"}),
    "ACCEPTED": frozenset({"IN_SERVICE", "COMPLETED", "REFERRED_ONWARD", "CANCELLED"}),
    "IN_SERVICE": frozenset({"COMPLETED", "CANCELLED"}),
    "COMPLETED": frozenset(),
    "DECLINED": frozenset(),
    "REFERRED_ONWARD": frozenset(),
    "CANCELLED": frozenset(),
}
#: moves that must say something in the note: why (declined), the outcome
#: (completed), where to (referred onward)
NOTE_REQUIRED: frozenset[str] = frozenset({"DECLINED", "COMPLETED", "REFERRED_ONWARD"})
#: the only move a scoped sender makes; every other is the receiver's
SENDER_MOVES: frozenset[str] = frozenset({"CANCELLED"})


@strawberry.type(description="A referral of a household from one organization to another.")
class Referral:
    id: strawberry.ID
    household_id: strawberry.ID
    from_organization: str | None
    to_organization: str | None
    program: str | None
    status: str
    note: str | None
    created_at: datetime | None
    updated_at: datetime | None
    history: list[str]
    onward_from: strawberry.ID | None = strawberry.field(
        default=None,
        description="The referral this one was referred onward from (`referOnward`); "
        "null for a first referral.",
    )
    onward_to: strawberry.ID | None = strawberry.field(
        default=None,
        description="Referred onward: the referral it became (from its receiver to "
        "`onwardOrganization`).",
    )
    onward_organization: str | None = strawberry.field(
        default=None, description="Referred onward: the organization it went on to."
    )

    @strawberry.field(
        description="Waiting (OPEN or RECEIVED) for the receiving organization longer "
        "than the hub's limit (domain.thresholds.REFERRAL_OVERDUE_DAYS) since its last move."
    )
    def overdue(self) -> bool:
        moved = self.updated_at or self.created_at
        return is_referral_overdue(
            self.status, moved.date() if moved else None, datetime.now(UTC).date()
        )

    @strawberry.field(
        description="The statuses it may move to next: CANCELLED is the sender's "
        "move, the others the receiver's; DECLINED, COMPLETED and REFERRED_ONWARD "
        "need a note. REFERRED_ONWARD is made with `referOnward`."
    )
    def next_statuses(self) -> list[ReferralStatus]:
        return [ReferralStatus(s) for s in sorted(TRANSITIONS.get(self.status, frozenset()))]

    @classmethod
    def from_row(cls, row: Row) -> Referral:
        return cls(
            id=strawberry.ID(row["referral_id"]),
            household_id=strawberry.ID(row["household_id"]),
            from_organization=row.get("from_org"),
            to_organization=row.get("to_org"),
            program=row.get("program"),
            status=row.get("status") or "OPEN",
            note=row.get("note"),
            created_at=_dt(row.get("created_at")),
            updated_at=_dt(row.get("updated_at")),
            history=list(row.get("history") or []),
            onward_from=_id(row.get("onward_from")),
            onward_to=_id(row.get("onward_to")),
            onward_organization=row.get("onward_org"),
        )

    def shown_to(self, policy: Policy) -> Referral:
        """As the role may read it: identifiers someone wrote into the note masked."""
        return dataclasses.replace(self, note=mask_text(self.note, policy))


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _dt(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None
