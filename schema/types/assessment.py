from __future__ import annotations

from datetime import date

import strawberry

from domain.shapes import Row


@strawberry.type(
    description="A social worker's (pekerja sosial) assessment of a household: "
    "the problems found and a plan. Social workers and Dinsos only."
)
class Assessment:
    id: strawberry.ID
    household_id: strawberry.ID
    person_id: strawberry.ID | None
    assessed_on: date | None
    social_worker: str | None
    organization: str | None
    ppks: list[str]
    plan: str | None
    notes: str | None

    @classmethod
    def from_row(cls, row: Row) -> Assessment:
        return cls(
            id=strawberry.ID(row["assessment_id"]),
            household_id=strawberry.ID(row["household_id"]),
            person_id=strawberry.ID(row["person_id"]) if row.get("person_id") else None,
            assessed_on=row.get("assessed_on"),
            social_worker=row.get("social_worker"),
            organization=row.get("organization"),
            ppks=list(row.get("ppks") or []),
            plan=row.get("plan"),
            notes=row.get("notes"),
        )
