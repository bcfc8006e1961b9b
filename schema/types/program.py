# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from datetime import date

import strawberry

from domain.shapes import Row
from schema.permissions import Policy, Provenance, sees_eligibility


@strawberry.type(description="A household's enrolment in a program.")
class Enrolment:
    program_code: str
    program_name: str | None
    benefit_kind: str | None
    need: str | None
    funder: str | None = strawberry.field(description="The program's funder.")
    organization: str | None = strawberry.field(
        description="Who delivers it; null when another organization and you are an agency "
        "or foundation."
    )
    since: date | None
    until: date | None
    active: bool
    status: str = strawberry.field(
        default="ACTIVE",
        description="ACTIVE; PAUSED while a decile alert waits for its field check "
        "(`decileAlert`); STOPPED when the field check stopped it. Always ACTIVE for "
        "agencies and foundations: a load's alert is raised only when the rule held at "
        "the old decile, so a pause would tell them the rule's hidden conditions.",
    )
    decile_alert: strawberry.ID | None = strawberry.field(
        default=None,
        description="The decile alert that paused or stopped it (see decileAlerts); "
        "null for agencies and foundations.",
    )

    @classmethod
    def from_row(cls, row: Row, shown: Provenance, policy: Policy) -> Enrolment:
        """The enrolment as `policy` may read it: its decile pause only for those who
        see eligibility (`sees_eligibility`), since a load raises an alert only when
        the rule's other (special-category) conditions held at the old decile."""
        owner = row.get("organization")
        marked = sees_eligibility(policy)
        return cls(
            program_code=row["code"],
            program_name=row.get("name"),
            benefit_kind=row.get("benefit_kind"),
            need=row.get("need"),
            funder=row.get("funder"),
            organization=shown.name(owner, owner),
            since=row.get("since"),
            until=row.get("until"),
            active=bool(row.get("active", True)),
            status=str(row.get("status") or "ACTIVE") if marked else "ACTIVE",
            decile_alert=strawberry.ID(row["alert_id"]) if marked and row.get("alert_id") else None,
        )


@strawberry.type(
    description="An intervention program: who funds it, what it addresses, "
    "how many households it reaches and the share of need covered."
)
class Program:
    code: str
    name: str | None
    benefit_kind: str | None
    need: str | None
    description: str | None
    funder: str | None
    ppks: list[str]
    households_reached: int | None
    households_in_need: int | None

    @strawberry.field(
        description="True when a count here is under 5 and withheld (null) "
        "for aggregate-only roles."
    )
    def suppressed(self) -> bool:
        return None in (self.households_reached, self.households_in_need)

    @strawberry.field(
        description="Households reached / households with a problem the "
        "program addresses; null when a count is suppressed."
    )
    def share_of_need_covered(self) -> float | None:
        if not self.households_in_need or self.households_reached is None:
            return None
        return round(min(self.households_reached / self.households_in_need, 1.0), 4)


@strawberry.type(
    description="A funder: national, provincial or city budget, a foundation, CSR or zakat body."
)
class Funder:
    code: str
    name: str | None
    kind: str | None
    public: bool | None
    programs: list[str]
    households_reached: int | None
    services: int | None
    amount: float | None

    @strawberry.field(
        description="True when the counts here are withheld (null): under 5 "
        "for aggregate-only roles, or another organization's own "
        "money on your households for agencies and foundations."
    )
    def suppressed(self) -> bool:
        return self.households_reached is None
