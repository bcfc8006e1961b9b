from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import strawberry
from strawberry.scalars import JSON

from domain.shapes import Row
from schema.permissions import Policy, Provenance, mask, mask_evidence


@strawberry.type(
    description="Why two source records were linked: the match probability, "
    "the match weight and which fields agreed."
)
class MatchEvidence:
    other_record_key: str | None = strawberry.field(
        description="The other record; null when another organization holds it and you are "
        "an agency or foundation (who serves whom is not shown)."
    )
    match_probability: float | None
    match_weight: float | None
    fields: JSON | None = strawberry.field(
        description="Each comparison: its level, match weight and the two values compared; "
        "NIK, KK and phone masked for agencies and foundations."
    )


@strawberry.type(description="One record as a source sent it, with its link to the person.")
class SourceRecord:
    record_key: strawberry.ID
    source: str | None
    organization: str | None
    source_record_id: str | None
    full_name: str | None
    nik: str | None
    no_kk: str | None
    birth_date: date | None
    person_id: strawberry.ID
    match_probability: float | None
    evidence: list[MatchEvidence]

    @classmethod
    def from_row(cls, row: Row, policy: Policy, shown: Provenance) -> SourceRecord:
        return cls(
            record_key=strawberry.ID(row["record_key"]),
            source=row.get("source"),
            organization=row.get("organization"),
            source_record_id=row.get("source_record_id"),
            full_name=row.get("full_name"),
            nik=mask(row.get("nik"), policy),
            no_kk=mask(row.get("no_kk"), policy),
            birth_date=row.get("birth_date"),
            person_id=strawberry.ID(row["person_id"]),
            match_probability=row.get("match_probability"),
            evidence=[
                MatchEvidence(
                    other_record_key=shown.name(e["other_record_key"], e.get("other_organization")),
                    match_probability=e.get("match_probability"),
                    match_weight=e.get("match_weight"),
                    fields=_json(mask_evidence(_parsed(e.get("evidence")), policy)),
                )
                for e in row.get("evidence") or []
            ],
        )


def visible_records(rows: Iterable[Row], policy: Policy, shown: Provenance) -> list[SourceRecord]:
    """The records the caller may see: every one, or (agencies, foundations) its own."""
    return [
        SourceRecord.from_row(r, policy, shown) for r in rows if shown.shows(r.get("organization"))
    ]


def other_organizations(owners: Iterable[object], shown: Provenance) -> int:
    """How many organizations other than the caller's are among `owners`."""
    return len({str(o) for o in owners if o is not None} - {shown.organization})


def _parsed(value: object) -> object:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _json(value: object) -> JSON | None:
    return JSON(value) if value is not None else None
