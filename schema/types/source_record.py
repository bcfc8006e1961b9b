from __future__ import annotations

import json
from datetime import date

import strawberry
from strawberry.scalars import JSON

from schema.permissions import Policy, mask
from schema.services import Row


@strawberry.type(description="Why two source records were linked: the match probability, "
                             "the match weight and which fields agreed.")
class MatchEvidence:
    other_record_key: str
    match_probability: float | None
    match_weight: float | None
    fields: JSON | None


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
    def from_row(cls, row: Row, policy: Policy) -> SourceRecord:
        return cls(
            record_key=strawberry.ID(row["record_key"]), source=row.get("source"),
            organization=row.get("organization"), source_record_id=row.get("source_record_id"),
            full_name=row.get("full_name"), nik=mask(row.get("nik"), policy),
            no_kk=mask(row.get("no_kk"), policy), birth_date=row.get("birth_date"),
            person_id=strawberry.ID(row["person_id"]),
            match_probability=row.get("match_probability"),
            evidence=[MatchEvidence(other_record_key=e["other_record_key"],
                                    match_probability=e.get("match_probability"),
                                    match_weight=e.get("match_weight"),
                                    fields=_json(e.get("evidence")))
                      for e in row.get("evidence") or []],
        )


def _json(value: object) -> JSON | None:
    if isinstance(value, str):
        try:
            return JSON(json.loads(value))
        except ValueError:
            return JSON(value)
    return JSON(value) if value is not None else None
