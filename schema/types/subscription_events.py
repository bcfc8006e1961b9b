from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="Something changed on a household: re-read what you need.")
class HouseholdChange:
    household_id: strawberry.ID
    kind: str
    at: datetime
