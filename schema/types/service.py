from __future__ import annotations

from datetime import date

import strawberry

from schema.services import Row


@strawberry.type(description="A service or benefit delivered, from any agency or foundation.")
class Service:
    id: strawberry.ID
    service_date: date | None
    program: str | None
    amount: float | None
    funder: str | None
    organization: str | None
    source: str | None
    person_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: Row) -> Service:
        amount = row.get("amount")
        return cls(id=strawberry.ID(row["service_id"]), service_date=row.get("service_date"),
                   program=row.get("program"),
                   amount=float(amount) if amount is not None else None,
                   funder=row.get("funder"), organization=row.get("organization"),
                   source=row.get("source"),
                   person_id=strawberry.ID(row["person_id"]) if row.get("person_id") else None)
