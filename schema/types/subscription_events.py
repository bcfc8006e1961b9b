from __future__ import annotations

from datetime import datetime

import strawberry

from journal import Fact


@strawberry.type(
    description="Something changed on a household: re-read what you need. "
    "`kind` is the journal fact's kind in capitals "
    "(`service.recorded` -> SERVICE_RECORDED); `cursor` is its place "
    "in the feed."
)
class HouseholdChange:
    household_id: strawberry.ID
    kind: str
    at: datetime
    cursor: str | None = None
    fact: strawberry.Private[Fact | None] = None
    """The journal fact, for the feed's visibility rule (`schema.feed.visible`)."""
