# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""A household: the people on one family card (KK) at one address, as linked."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any, Final

import strawberry

from domain.rows import HOUSEHOLD_FIELDS
from domain.shapes import Row
from schema.audit import read, rows_read
from schema.context import Context
from schema.eligibility import household_eligibility
from schema.loaders import Resolved, now_or_later
from schema.permissions import Policy, mask, provenance_for, sees_eligibility
from schema.types.assessment import Assessment
from schema.types.eligibility import ProgramEligibility
from schema.types.person import RESOLVED_FROM_HELP, Person, PersonStatus
from schema.types.problem import Problem, visible_problems
from schema.types.program import Enrolment
from schema.types.referral import Referral
from schema.types.service import Service
from schema.types.source_record import SourceRecord, other_organizations, visible_records

#: The fields of `domain.rows.Household` that the API names otherwise.
SHOWN_AS: Final[dict[str, str]] = {"household_id": "id", "welfare_decile": "decile"}


@strawberry.type(description="A household and its 360° view.")
class Household:
    id: strawberry.ID
    no_kk: str | None = strawberry.field(
        description="Family-card number, masked for agencies and foundations."
    )
    address: str | None
    street: str | None
    house_number: str | None
    rt: str | None = strawberry.field(description="Rukun Tetangga, the neighbourhood unit.")
    rw: str | None = strawberry.field(description="Rukun Warga, the unit above RT.")
    kelurahan_code: str | None
    kelurahan: str | None = strawberry.field(description="Village (kelurahan) name.")
    kecamatan_code: str | None
    kecamatan: str | None = strawberry.field(description="District (kecamatan) name.")
    decile: int | None = strawberry.field(description="DTSEN welfare decile (desil) 1..10.")
    status: str | None = strawberry.field(
        description="active, merged (into another household, see resolvedFrom) or withdrawn."
    )
    resolved_from: strawberry.ID | None = strawberry.field(
        default=None, description=RESOLVED_FROM_HELP
    )

    @classmethod
    def from_row(cls, row: Row, policy: Policy) -> Household:
        """Every field of `domain.rows.Household` (by its name here, `SHOWN_AS`),
        the KK number masked by the policy, and the area names."""
        shown: dict[str, Any] = {
            SHOWN_AS.get(name, name): row.get(name) for name in HOUSEHOLD_FIELDS
        }
        shown["id"] = strawberry.ID(row["household_id"])
        shown["no_kk"] = mask(row.get("no_kk"), policy)
        return cls(
            **shown,
            kelurahan=row.get("kelurahan"),
            kecamatan=row.get("kecamatan"),
            resolved_from=row.get("resolved_from"),
        )

    # The parts below resolve through `now_or_later`: at once when the 360°
    # view came with the household, else batched across households.

    @strawberry.field(
        graphql_type=list[Person],
        description="Members with the given statuses (default: active only).",
    )
    def members(
        self, info: strawberry.Info[Context, None], status: list[PersonStatus] | None = None
    ) -> Resolved[list[Person]]:
        wanted = {s.value for s in status or [PersonStatus.ACTIVE]}

        def shown(rows: list[Row]) -> list[Person]:
            rows = [r for r in rows if (r.get("status") or "active") in wanted]
            rows_read(info, rows)
            return [Person.from_row(r, info.context.policy) for r in rows]

        return now_or_later(info.context.loaders.members, self.id, shown)

    @strawberry.field(graphql_type=list[Problem], description="Every PPKS problem of any member.")
    def problems(self, info: strawberry.Info[Context, None]) -> Resolved[list[Problem]]:
        def shown(rows: list[Row]) -> list[Problem]:
            read(info, households=[self.id])
            return visible_problems(rows, info.context.policy)

        return now_or_later(info.context.loaders.household_problems, self.id, shown)

    @strawberry.field(graphql_type=list[Enrolment], description="Active program enrolments.")
    def current_programs(self, info: strawberry.Info[Context, None]) -> Resolved[list[Enrolment]]:
        def shown(rows: list[Row]) -> list[Enrolment]:
            read(info, households=[self.id])
            shown_to = provenance_for(info.context.principal)
            return [Enrolment.from_row(r, shown_to, info.context.policy) for r in rows]

        return now_or_later(info.context.loaders.current_programs, self.id, shown)

    @strawberry.field(
        graphql_type=list[Service],
        description="Every service received from every agency and foundation, newest first.",
    )
    def service_history(self, info: strawberry.Info[Context, None]) -> Resolved[list[Service]]:
        def shown(rows: list[Row]) -> list[Service]:
            read(info, households=[self.id], persons=[r.get("person_id") for r in rows])
            shown_to = provenance_for(info.context.principal)
            return [Service.from_row(r, shown_to) for r in rows]

        return now_or_later(info.context.loaders.service_history, self.id, shown)

    @strawberry.field(
        graphql_type=list[Assessment],
        description="Assessments; empty unless you are a social worker or Dinsos.",
    )
    def assessments(self, info: strawberry.Info[Context, None]) -> Resolved[list[Assessment]]:
        if not info.context.policy.sees_special_category:
            return []

        def shown(rows: list[Row]) -> list[Assessment]:
            read(info, households=[self.id], persons=[r.get("person_id") for r in rows])
            return [Assessment.from_row(r) for r in rows]

        return now_or_later(info.context.loaders.assessments, self.id, shown)

    @strawberry.field(
        description="Eligibility for each program with a rule valid on `on` (default: "
        "today), condition by condition; empty unless you are a social worker or Dinsos "
        "(the conditions name disabilities)."
    )
    async def eligibility(
        self,
        info: strawberry.Info[Context, None],
        on: date | None = None,
        program: str | None = None,
    ) -> list[ProgramEligibility]:
        if not sees_eligibility(info.context.policy):
            return []
        found = await household_eligibility(info, self.id, on or date.today(), program)
        read(info, households=[self.id])
        return [ProgramEligibility.of(e) for e in found]

    @strawberry.field(
        graphql_type=list[Referral],
        description="Referrals concerning this household (for agencies and "
        "foundations: the ones from or to them).",
    )
    def referrals(self, info: strawberry.Info[Context, None]) -> Resolved[list[Referral]]:
        def shown(rows: list[Row]) -> list[Referral]:
            read(info, households=[self.id])
            return [Referral.from_row(r).shown_to(info.context.policy) for r in rows]

        return now_or_later(info.context.loaders.referrals, self.id, shown)

    @strawberry.field(
        description="Source records of all members, with match evidence "
        "(for agencies and foundations: their own records)."
    )
    async def source_records(self, info: strawberry.Info[Context, None]) -> list[SourceRecord]:
        rows = await self._member_records(info)
        return visible_records(rows, info.context.policy, provenance_for(info.context.principal))

    @strawberry.field(
        description="How many organizations other than yours hold a record on "
        "a member or delivered a service here (agencies and "
        "foundations are not told which)."
    )
    async def other_organizations(self, info: strawberry.Info[Context, None]) -> int:
        records = await self._member_records(info)
        services = await info.context.loaders.service_history.load(self.id)
        owners = [r.get("organization") for r in [*records, *services]]
        return other_organizations(owners, provenance_for(info.context.principal))

    async def _member_records(self, info: strawberry.Info[Context, None]) -> list[Row]:
        loaders = info.context.loaders
        members = await loaders.members.load(self.id)
        per_person = await asyncio.gather(
            *(loaders.source_records.load(m["person_id"]) for m in members)
        )
        read(info, households=[self.id], persons=[m["person_id"] for m in members])
        return [r for rows in per_person for r in rows]
