# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.shapes import Row
from schema.audit import read
from schema.context import Context
from schema.loaders import Resolved, now_or_later
from schema.permissions import Policy, mask, mask_contact, provenance_for
from schema.types.problem import Problem, visible_problems
from schema.types.source_record import SourceRecord, other_organizations, visible_records

if TYPE_CHECKING:
    from schema.types.household import Household


@strawberry.enum(
    description="A person's status from the sources: ACTIVE, DECEASED (a source "
    "says so, or the civil registry withdrew the row), MOVED (address "
    "outside the city), WITHDRAWN (every source withdrew its record), "
    "MERGED (the id was found to be a duplicate of another person)."
)
class PersonStatus(Enum):
    ACTIVE = "active"
    DECEASED = "deceased"
    MOVED = "moved"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"


RESOLVED_FROM_HELP = (
    "The id you asked for, when linkage merged it into this one. Ids are "
    "never reused or dropped: an old id keeps answering with its survivor."
)


@strawberry.type(description="One person, as linked across every source.")
class Person:
    id: strawberry.ID
    full_name: str | None
    nik: str | None = strawberry.field(description="NIK, masked for agencies and foundations.")
    no_kk: str | None = strawberry.field(description="Family-card number, masked likewise.")
    phone: str | None = strawberry.field(description="Masked for agencies and foundations.")
    birth_date: date | None
    birth_place: str | None
    sex: str | None
    relationship: str | None = strawberry.field(description="To the head of family.")
    household_id: strawberry.ID | None
    status: str | None = strawberry.field(
        default="active",
        description="active, deceased, moved, withdrawn or merged (see PersonStatus).",
    )
    resolved_from: strawberry.ID | None = strawberry.field(
        default=None, description=RESOLVED_FROM_HELP
    )
    search_score: float | None = strawberry.field(
        default=None, description="Full-text relevance when found by searchPersons."
    )

    @classmethod
    def from_row(cls, row: Row, policy: Policy) -> Person:
        hid = row.get("household_id")
        return cls(
            id=strawberry.ID(row["person_id"]),
            full_name=row.get("full_name"),
            nik=mask(row.get("nik"), policy),
            no_kk=mask(row.get("no_kk"), policy),
            phone=mask_contact(row.get("phone"), policy),
            birth_date=row.get("birth_date"),
            birth_place=row.get("birth_place"),
            sex=row.get("sex"),
            relationship=row.get("relationship"),
            household_id=strawberry.ID(hid) if hid else None,
            status=row.get("status") or "active",
            resolved_from=row.get("resolved_from"),
            search_score=row.get("score"),
        )

    @strawberry.field
    async def household(
        self, info: strawberry.Info[Context, None]
    ) -> Annotated[Household, strawberry.lazy("schema.types.household")] | None:
        from schema.types.household import Household

        if self.household_id is None:
            return None
        row = await info.context.loaders.household.load(self.household_id)
        if row:
            read(info, persons=[self.id], households=[self.household_id])
        return Household.from_row(row, info.context.policy) if row else None

    @strawberry.field(
        graphql_type=list[Problem],
        description="PPKS problems; special categories only for social workers and Dinsos.",
    )
    def problems(self, info: strawberry.Info[Context, None]) -> Resolved[list[Problem]]:
        def shown(rows: list[Row]) -> list[Problem]:
            read(info, persons=[self.id])
            return visible_problems(rows, info.context.policy)

        # a household's members come with their problems (primed)
        return now_or_later(info.context.loaders.person_problems, self.id, shown)

    @strawberry.field(
        description="Every source record linked to this person, with the "
        "match evidence (lineage); for agencies and foundations "
        "their own records only."
    )
    async def source_records(self, info: strawberry.Info[Context, None]) -> list[SourceRecord]:
        rows = await info.context.loaders.source_records.load(self.id)
        read(info, persons=[self.id])
        return visible_records(rows, info.context.policy, provenance_for(info.context.principal))

    @strawberry.field(
        description="How many organizations other than yours hold a record on "
        "this person (agencies and foundations are not told which)."
    )
    async def other_organizations(self, info: strawberry.Info[Context, None]) -> int:
        rows = await info.context.loaders.source_records.load(self.id)
        read(info, persons=[self.id])
        return other_organizations(
            (r.get("organization") for r in rows), provenance_for(info.context.principal)
        )
