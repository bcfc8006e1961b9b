"""What a mutation acts on: the household and person ids a caller gives,
checked against what it may see, and the change published about them."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.context import Context
from schema.errors import InputError

Info = strawberry.Info[Context, None]


async def visible_household(info: Info, field: str, household_id: str) -> dict[str, Any]:
    row = await info.context.loaders.household.load(household_id)
    if row is None:
        raise InputError(field, f"no household {household_id!r} that you may see.")
    return row


async def resolve(info: Info, field: str, target: Any) -> None:
    """`target.household_id` (when set) and `target.person_id` must be ones
    the caller may see, the person a member of the household; an id merged
    into another is replaced by its survivor's, so the fact lands there."""
    household_id = getattr(target, "household_id", None)
    if household_id is not None:
        row = await visible_household(info, field + ".householdId", household_id)
        target.household_id = household_id = strawberry.ID(row["household_id"])
    person_id = target.person_id
    if person_id is None:
        return
    found = await info.context.loaders.person.load(person_id)
    if found is None:
        raise InputError(field + ".personId", f"no person {person_id!r} that you may see.")
    if household_id is not None and found.get("household_id") != household_id:
        raise InputError(
            field + ".personId",
            f"person {person_id!r} is not a member of household {household_id!r}.",
        )
    target.person_id = strawberry.ID(found["person_id"])


__all__ = ["resolve", "visible_household"]
