"""An uncertain pair of the clerical review queue, as a reviewer sees it: the
two records side by side and, per comparison, the level that applied and its
match weight (the evidence linkage wrote; see linkage.review and linkage.explain)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import strawberry

from domain.shapes import Row
from schema.permissions import Policy, mask, mask_contact, mask_evidence


@strawberry.type(description="One record of an uncertain pair, as its source sent it.")
class ReviewRecord:
    record_key: strawberry.ID
    source: str | None
    organization: str | None
    source_record_id: str | None
    full_name: str | None
    nik: str | None
    no_kk: str | None
    birth_date: date | None
    birth_place: str | None
    sex: str | None
    address: str | None
    rt: str | None
    rw: str | None
    kelurahan: str | None
    phone: str | None
    person_id: strawberry.ID | None = strawberry.field(
        description="The person the record belongs to now (the pair's two differ)."
    )
    household_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: Row, policy: Policy) -> ReviewRecord:
        person, household = row.get("person_id"), row.get("household_id")
        return cls(
            record_key=strawberry.ID(str(row["record_key"])),
            source=row.get("source"),
            organization=row.get("organization"),
            source_record_id=row.get("source_record_id"),
            full_name=row.get("full_name"),
            nik=mask(row.get("nik"), policy),
            no_kk=mask(row.get("no_kk"), policy),
            birth_date=row.get("birth_date"),
            birth_place=row.get("birth_place"),
            sex=row.get("sex"),
            address=row.get("address"),
            rt=row.get("rt"),
            rw=row.get("rw"),
            kelurahan=row.get("kelurahan"),
            phone=mask_contact(row.get("phone"), policy),
            person_id=strawberry.ID(str(person)) if person is not None else None,
            household_id=strawberry.ID(str(household)) if household is not None else None,
        )


@strawberry.type(description="A value a comparison compared, on the left and right record.")
class ComparedValue:
    name: str
    left: str | None
    right: str | None


@strawberry.type(
    description="One comparison of the pair: the level that applied (its label in the "
    "model), its match weight (log2 Bayes factor; above 0 speaks for one person) and "
    "the values compared (NIK, KK and phone masked as elsewhere for the role)."
)
class ReviewComparison:
    comparison: str
    level: str | None
    match_weight: float | None
    values: list[ComparedValue]

    @classmethod
    def from_evidence(cls, item: Mapping[str, Any]) -> ReviewComparison:
        values = item.get("values")
        pairs = values.items() if isinstance(values, Mapping) else ()
        weight = item.get("match_weight")
        return cls(
            comparison=str(item.get("comparison")),
            level=None if item.get("level") is None else str(item["level"]),
            match_weight=None if weight is None else float(weight),
            values=[
                ComparedValue(name=str(k), left=_side(v, 0), right=_side(v, 1)) for k, v in pairs
            ],
        )


@strawberry.type(
    description="An uncertain pair: two records the linkage keeps apart with a match "
    "probability in the review band, costliest first (a household receiving aid, then "
    "one on a welfare list)."
)
class ReviewPair:
    pair_id: strawberry.ID
    match_probability: float | None
    cost: int = strawberry.field(
        description="What a wrong answer costs: 2 the household receives aid, "
        "1 it is on a welfare list, 0 neither."
    )
    to_check: list[str] = strawberry.field(
        description="The comparisons missing or disagreeing: what the reviewer should check."
    )
    left: ReviewRecord | None
    right: ReviewRecord | None
    comparisons: list[ReviewComparison]

    @classmethod
    def from_row(cls, row: Row, policy: Policy) -> ReviewPair:
        evidence = mask_evidence(row.get("evidence") or [], policy) or []
        records = row.get("records") or {}
        left, right = (records.get(row[k]) for k in ("record_key_l", "record_key_r"))
        return cls(
            pair_id=strawberry.ID(str(row["pair_id"])),
            match_probability=row.get("match_probability"),
            cost=int(row.get("cost") or 0),
            to_check=[str(c) for c in row.get("to_check") or []],
            left=ReviewRecord.from_row(left, policy) if left else None,
            right=ReviewRecord.from_row(right, policy) if right else None,
            comparisons=[
                ReviewComparison.from_evidence(c) for c in evidence if isinstance(c, Mapping)
            ],
        )


def _side(value: Any, index: int) -> str | None:
    if isinstance(value, list | tuple):
        found = value[index] if len(value) > index else None
    else:
        found = value
    return None if found is None else str(found)


__all__ = ["ComparedValue", "ReviewComparison", "ReviewPair", "ReviewRecord"]
