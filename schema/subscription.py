# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Subscriptions over graphql-transport-ws, fed by `schema.pubsub`.

Same gates as queries: a role that sees named households, a purpose (the
X-Purpose header, `X-Purpose` in the connection_init payload, or the
`purpose` argument), and the caller's scope. Each delivered event is written
to the audit log before it is sent."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from schema.audit import flush, personal, read
from schema.context import Context
from schema.errors import Forbidden, NotFound
from schema.pubsub import household_topic, referral_topic
from schema.types.referral import Referral
from schema.types.subscription_events import HouseholdChange

Info = strawberry.Info[Context, None]
Purpose = Annotated[str | None, strawberry.argument(
    description="Why you follow this personal data (recorded in the audit log).")]


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Changes to one household you may see.")
    async def household_changed(self, info: Info, id: strawberry.ID,
                                purpose: Purpose = None) -> AsyncGenerator[HouseholdChange, None]:
        personal(info, purpose)
        if await info.context.loaders.household.load(id) is None:
            raise NotFound("household", id)
        async for event in info.context.pubsub.subscribe(household_topic(id)):
            read(info, households=[event.household_id])
            await flush(info.context)
            yield event

    @strawberry.subscription(description="New and updated referrals to or from an "
                                         "organization (your own, unless you see all).")
    async def referrals_for_organization(
        self, info: Info, organization: str, purpose: Purpose = None
    ) -> AsyncGenerator[Referral, None]:
        personal(info, purpose)
        scoped = info.context.scope["organization"]
        if scoped is not None and scoped != organization:
            raise Forbidden("you may follow only your own organization's referrals.")
        async for event in info.context.pubsub.subscribe(referral_topic(organization)):
            read(info, households=[event.household_id])
            await flush(info.context)
            yield event.shown_to(info.context.policy)
