# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Subscriptions over graphql-transport-ws, fed by `schema.pubsub`."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.context import Context
from schema.errors import Forbidden, NotFound
from schema.permissions import require_personal
from schema.pubsub import household_topic, referral_topic
from schema.types.referral import Referral
from schema.types.subscription_events import HouseholdChange

Info = strawberry.Info[Context, None]


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Changes to one household you may see.")
    async def household_changed(self, info: Info,
                                id: strawberry.ID) -> AsyncGenerator[HouseholdChange, None]:
        require_personal(info.context.principal)
        if await info.context.loaders.household.load(id) is None:
            raise NotFound("household", id)
        async for event in info.context.pubsub.subscribe(household_topic(id)):
            yield event

    @strawberry.subscription(description="New and updated referrals to or from an "
                                         "organization (your own, unless you see all).")
    async def referrals_for_organization(
        self, info: Info, organization: str
    ) -> AsyncGenerator[Referral, None]:
        require_personal(info.context.principal)
        scoped = info.context.scope["organization"]
        if scoped is not None and scoped != organization:
            raise Forbidden("you may follow only your own organization's referrals.")
        async for event in info.context.pubsub.subscribe(referral_topic(organization)):
            yield event
