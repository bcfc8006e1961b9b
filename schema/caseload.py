# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""A social worker's own caseload: the follow-ups their assessments set, due
by a day (by default the hub's window, `domain.thresholds.follow_ups_due_by`).
Referrals waiting are `referrals` (schema.referrals)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from domain.thresholds import follow_ups_due_by
from schema import inputs
from schema.audit import Purpose, personal, rows_read
from schema.context import Context
from schema.pagination import Connection, connection, window
from schema.types.assessment import Assessment, signer

Info = strawberry.Info[Context, None]


@strawberry.type
class CaseloadQueries:
    @strawberry.field(
        description="Your own assessments (the current version of each) whose follow-up "
        "is on or before `due` (default: within the hub's follow-up window, overdue ones "
        "included), soonest first. Assessments are special-category data: a role that "
        "may not see them gets none."
    )
    async def follow_ups(
        self,
        info: Info,
        due: date | None = None,
        every: Annotated[
            bool,
            strawberry.argument(
                description="Every current assessment you signed, due or not and with or "
                "without a follow-up date: your households."
            ),
        ] = False,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[Assessment]:
        personal(info, purpose)
        offset, limit = window(first, after)
        page = await info.context.repository.follow_ups(
            info.context.scope,
            social_worker=signer(info.context.principal),
            due=None if every else due or follow_ups_due_by(inputs.now().date()),
            offset=offset,
            limit=limit,
        )
        rows_read(info, page["rows"])
        return connection(page["rows"], page["total"], offset, Assessment.from_row)


__all__ = ["CaseloadQueries"]
