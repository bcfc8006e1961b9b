# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""The clerical review queue as a query; the decision is the mutation
`decideReviewPair` (schema.mutation). Both go through the one review service
(`Services.review`) and are for the roles that may decide (casework)."""

from __future__ import annotations

import strawberry

from schema.audit import Purpose, personal, read
from schema.context import Context
from schema.errors import ServiceError
from schema.pagination import Connection, connection, window
from schema.permissions import require_casework
from schema.types.review import ReviewPair

Info = strawberry.Info[Context, None]


@strawberry.type
class ReviewQueries:
    @strawberry.field(
        description="The open uncertain pairs, costliest first, each with its two "
        "records side by side and the evidence per comparison (social workers, "
        "Dinsos). A pair decided through decideReviewPair leaves the queue at once."
    )
    async def review_queue(
        self, info: Info, first: int = 20, after: str | None = None, purpose: Purpose = None
    ) -> Connection[ReviewPair]:
        require_casework(info.context.principal)
        policy = personal(info, purpose)
        review = info.context.services.review
        if review is None:
            raise ServiceError("the review queue is not configured on this hub.")
        offset, limit = window(first, after)
        page = await review.open_pairs(offset=offset, limit=limit)
        records = [r for row in page["rows"] for r in (row.get("records") or {}).values()]
        read(
            info,
            persons=[r.get("person_id") for r in records],
            households=[r.get("household_id") for r in records],
        )
        return connection(
            page["rows"], page["total"], offset, lambda r: ReviewPair.from_row(r, policy)
        )


__all__ = ["ReviewQueries"]
