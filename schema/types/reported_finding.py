# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""A targeting finding a complaint reported: the household's targeting check
(`domain.targeting`, as `targetingFindings` runs it) made when Dinsos acted on
the complaint as TARGETING_FINDING, kept with the complaint's number."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import strawberry

from domain import service_desk as desk
from domain.shapes import Row
from domain.targeting import finding_from
from schema.permissions import provenance_for
from schema.types.grievance import GrievanceKind
from schema.types.household import Household
from schema.types.targeting import TargetingFinding

Info = strawberry.Info[Any, None]


@strawberry.type(
    description="A targeting finding a complaint reported (actOnGrievance TARGETING_FINDING): "
    "the household's targeting check over [checkedFrom, checkedTo], eligibility judged on "
    "checkedTo, by the rules targetingFindings uses, with the complaint's number as evidence. "
    "No findings: the rules found nothing, and it is to be checked in the field."
)
class ReportedFinding:
    id: strawberry.ID
    grievance_id: strawberry.ID | None
    grievance_number: str | None = strawberry.field(
        description="The complaint's public number: the evidence that reported it."
    )
    grievance_kind: GrievanceKind | None
    household_id: strawberry.ID | None
    checked_from: date | None
    checked_to: date | None
    rules_version: str | None = strawberry.field(description="The eligibility rules' version.")
    reported_by: str | None
    reported_at: datetime | None
    findings_text: strawberry.Private[str | None] = None

    @strawberry.field(description="Whether the rules found nothing: to be checked in the field.")
    def field_check(self) -> bool:
        return not self._records

    @strawberry.field(
        description="What the check found, in words: each finding's explanation, or "
        "that the rules found nothing and it is to be checked in the field."
    )
    def explanation(self) -> str:
        if not self._records:
            return desk.NO_RULE_FINDING
        return " ".join(str(r["explanation"]) for r in self._records)

    @strawberry.field(description="The findings the check returned, each with its evidence.")
    async def findings(self, info: Info) -> list[TargetingFinding]:
        if not self._records or self.household_id is None:
            return []
        row = await info.context.loaders.household.load(str(self.household_id))
        if row is None:
            return []
        household = Household.from_row(row, info.context.policy)
        shown = provenance_for(info.context.principal)
        return [TargetingFinding.of(finding_from(r), household, shown) for r in self._records]

    @property
    def _records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = json.loads(self.findings_text or "[]")
        return found

    @classmethod
    def from_row(cls, row: Row) -> ReportedFinding:
        kind = row.get("grievance_kind")
        return cls(
            id=strawberry.ID(row["reported_finding_id"]),
            grievance_id=_id(row.get("grievance_id")),
            grievance_number=row.get("grievance_number"),
            grievance_kind=GrievanceKind(kind) if kind else None,
            household_id=_id(row.get("household_id")),
            checked_from=row.get("period_start"),
            checked_to=row.get("period_end"),
            rules_version=row.get("rules_version"),
            reported_by=row.get("reported_by"),
            reported_at=row.get("reported_at"),
            findings_text=row.get("findings"),
        )


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


__all__ = ["ReportedFinding"]
