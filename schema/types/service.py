from __future__ import annotations

from datetime import date

import strawberry

from domain.shapes import Row
from schema.permissions import Provenance

_OTHERS = " Null when another organization's and you are an agency or foundation."


@strawberry.type(description="A service or benefit delivered, from any agency or foundation.")
class Service:
    id: strawberry.ID
    service_date: date | None
    program: str | None
    amount: float | None
    funder: str | None = strawberry.field(
        description="A kind of budget (APBN, FOUNDATION, ...) or the organization that paid "
        "from its own money." + _OTHERS
    )
    organization: str | None = strawberry.field(description="Who delivered it." + _OTHERS)
    source: str | None = strawberry.field(description="The source it came from." + _OTHERS)
    person_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: Row, shown: Provenance) -> Service:
        amount = row.get("amount")
        owner = row.get("organization")
        return cls(
            id=strawberry.ID(row["service_id"]),
            service_date=row.get("service_date"),
            program=row.get("program"),
            amount=float(amount) if amount is not None else None,
            funder=shown.funder(row.get("funder"), row.get("funder_is_organization")),
            organization=shown.name(owner, owner),
            source=shown.name(row.get("source"), owner),
            person_id=strawberry.ID(row["person_id"]) if row.get("person_id") else None,
        )
