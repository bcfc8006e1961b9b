"""PPKS: Pemerlu Pelayanan Kesejahteraan Sosial, the 26 official categories of
people needing social-welfare services (Permensos 8/2012)."""

from __future__ import annotations

import strawberry

from domain.shapes import Row
from schema.permissions import Policy


@strawberry.type(description="A PPKS category (problem) as data.")
class Problem:
    code: str
    number: int | None
    name: str
    name_en: str | None
    special_category: bool = strawberry.field(
        description="Special-category personal data under UU PDP (health, criminal, ...)."
    )
    special_kind: str | None

    @classmethod
    def from_row(cls, row: Row) -> Problem:
        return cls(
            code=row["code"],
            number=row.get("number"),
            name=row.get("name") or "",
            name_en=row.get("name_en"),
            special_category=bool(row.get("special_category")),
            special_kind=row.get("special_kind"),
        )


def visible_problems(rows: list[Row], policy: Policy) -> list[Problem]:
    """Problems the caller may see on a named person (the graph filters too)."""
    return [
        Problem.from_row(r)
        for r in rows
        if policy.sees_special_category or not r.get("special_category")
    ]
