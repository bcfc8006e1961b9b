# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Subscriptions over graphql-transport-ws, fed by the journal.

Every change is a journal fact; each server process's tailer (schema.tailer)
publishes it on the process's `PubSub`, so a subscriber on any worker sees
changes made through any worker and by `hub load`. Same gates as queries:
a role that sees named households, a purpose (the X-Purpose header,
`X-Purpose` in the connection_init payload, or the `purpose` argument), and
the caller's scope. Each delivered event is written to the audit log before
it is sent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

import strawberry

from domain.shapes import Row, Scope
from journal import Fact
from schema.audit import flush, personal, read
from schema.context import Context
from schema.errors import Forbidden, NotFound
from schema.feed import deliver, journal_of, parse_cursor, visible
from schema.journaling import settled
from schema.pubsub import FEED_TOPIC, REFERRALS_TOPIC, household_topic
from schema.services import Repository
from schema.types.feed import FeedEvent
from schema.types.referral import Referral
from schema.types.subscription_events import HouseholdChange

Info = strawberry.Info[Context, None]
Purpose = Annotated[
    str | None,
    strawberry.argument(
        description="Why you follow this personal data (recorded in the audit log)."
    ),
]


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Changes to one household you may see.")
    async def household_changed(
        self, info: Info, id: strawberry.ID, purpose: Purpose = None
    ) -> AsyncGenerator[HouseholdChange, None]:
        personal(info, purpose)
        if await info.context.loaders.household.load(id) is None:
            raise NotFound("household", id)
        async for event in info.context.pubsub.subscribe(household_topic(id)):
            # the feed's rule: special-category kinds, the complaints the role
            # reads (none for agencies and foundations), the household granted
            if event.fact is None or not await visible(info.context, [event.fact]):
                continue
            read(info, households=[event.household_id])
            await flush(info.context)
            yield event

    @strawberry.subscription(
        description="New and updated referrals to or from an "
        "organization (your own, unless you see all)."
    )
    async def referrals_for_organization(
        self, info: Info, organization: str, purpose: Purpose = None
    ) -> AsyncGenerator[Referral, None]:
        policy = personal(info, purpose)
        scoped = info.context.scope["organization"]
        if scoped is not None and scoped != organization:
            raise Forbidden("you may follow only your own organization's referrals.")
        repository, scope = info.context.repository, info.context.scope
        fact: Fact
        async for fact in info.context.pubsub.subscribe(REFERRALS_TOPIC):
            referral_id = fact.subject or fact.payload.get("referral_id")
            parties = {fact.payload.get("from_org"), fact.payload.get("to_org")} - {None}
            if not referral_id or (parties and organization not in parties):
                continue  # not this organization's: no graph look-up, no wait
            # as it is now, and only if the caller may see it
            written = fact.payload.get("row") or fact.payload
            row = await _settled(repository, str(referral_id), scope, written)
            if row is None or organization not in (row.get("to_org"), row.get("from_org")):
                continue
            read(info, households=[row["household_id"]])
            await flush(info.context)
            yield Referral.from_row(row).shown_to(policy)

    @strawberry.subscription(
        description="The change feed as it happens: the same events "
        "as the `feed` query, about households you may "
        "see. With `after`, the events since that cursor "
        "come first."
    )
    async def feed(
        self, info: Info, after: str | None = None, purpose: Purpose = None
    ) -> AsyncGenerator[FeedEvent, None]:
        personal(info, purpose)
        journal = journal_of(info.context)
        start = parse_cursor(after)
        last = start if start is not None else await asyncio.to_thread(journal.head)
        # the published fact only wakes us: we read the journal from our own
        # cursor, so nothing is missed or repeated whatever the tailer dropped
        updates = info.context.pubsub.subscribe(FEED_TOPIC)
        woken = asyncio.ensure_future(anext(updates))
        await asyncio.sleep(0)  # listening now: what is appended from here wakes us
        try:
            while True:
                while batch := await asyncio.to_thread(journal.read, last, 200):
                    last = batch[-1].seq
                    shown = await visible(info.context, batch)
                    if shown:
                        events = deliver(info, shown)
                        await flush(info.context)
                        for event in events:
                            yield event
                while (await woken).seq <= last:  # already read
                    woken = asyncio.ensure_future(anext(updates))
                woken = asyncio.ensure_future(anext(updates))
        finally:
            woken.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await woken
            await updates.aclose()  # type: ignore[attr-defined]


def _landed(row: Row, written: Mapping[str, Any]) -> bool:
    """Whether the graph's referral holds the journaled write: its history is
    at least as long as the fact's (a later move counts), or, for a fact
    without a history, its status is the fact's."""
    steps = written.get("history")
    if steps:
        return len(row.get("history") or ()) >= len(steps)
    status = written.get("status")
    return status is None or row.get("status") == status


async def _settled(
    repository: Repository, referral_id: str, scope: Scope, written: Mapping[str, Any]
) -> Row | None:
    """The referral as the graph holds it once the fact's write has landed;
    as it stands if it has not landed within `schema.journaling.SETTLE_WAIT_S`;
    None if it never shows (or is not the caller's to see)."""

    async def read() -> Row | None:
        return (await repository.referrals_by_id([referral_id], scope))[0]

    return await settled(read, lambda row: row is not None and _landed(row, written))
