from __future__ import annotations

from datetime import date

import strawberry

from domain.shapes import Row


def signer(principal: object) -> str:
    """The name an assessment is signed with: the person signed in (a staff
    JWT's subject, a key's label), else their role."""
    return str(getattr(principal, "subject", None) or getattr(principal, "role", ""))


@strawberry.type(
    description="A social worker's (pekerja sosial) assessment of a household: "
    "the problems found and an intervention plan (in words, its goals, the "
    "programs matched to the problems and a follow-up date). Social workers "
    "and Dinsos only. An edit is a new version; earlier ones are kept."
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
    goals: list[str]
    programs: list[str] = strawberry.field(description="Program codes from the catalogue.")
    follow_up_on: date | None
    version: int
    revises: strawberry.ID | None = strawberry.field(
        description="The version this one replaced, if it is an edit."
    )
    previous_versions: list[Assessment] = strawberry.field(
        description="The versions this one replaced, newest first."
    )

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
            goals=list(row.get("goals") or []),
            programs=list(row.get("programs") or []),
            follow_up_on=row.get("follow_up_on"),
            version=int(row.get("version") or 1),
            revises=strawberry.ID(row["revises"]) if row.get("revises") else None,
            previous_versions=[cls.from_row(r) for r in row.get("history") or []],
        )
