# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""The change feed: the journal's facts, as each caller may see them.

A partner that cannot hold a websocket pages through `feed(after, first)`;
one that can subscribes to `feed` (schema.subscription). Both show a fact to
an organization only when it may see one of the households the fact names
(the graph's VISIBLE rule, asked once per batch through
`Repository.granted`); Dinsos roles see every fact, and only they see facts
that name no household. Payloads are masked as the role reads (see
`schema.types.feed`), and every delivered fact is audited as a read of its
households and people.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final

import strawberry

from domain.shapes import Row
from journal import Fact, Journal, kinds
from schema.audit import personal, read
from schema.context import Context
from schema.errors import InputError, ServiceError
from schema.journaling import SETTLE_WAIT_S, settled
from schema.permissions import hidden_grievance_kinds, provenance_for
from schema.types.feed import FeedEvent, FeedPage

Info = strawberry.Info[Context, None]

#: the most events one page returns (the API's `first:` limit, schema.extensions)
MAX_FEED_PAGE: Final = 100
#: facts read from the journal per visibility check
_BATCH: Final = 500
#: batches one page looks through before it answers (with an end cursor past
#: what it skipped), so a partner that may see little is not held up
_MAX_BATCHES: Final = 20


def journal_of(context: Context) -> Journal:
    journal = context.services.journal
    if journal is None:
        raise ServiceError("the change feed is not available on this server.")
    return journal


def parse_cursor(after: str | None) -> int | None:
    """A feed cursor (a journal seq, opaque to callers); None for none."""
    if after is None:
        return None
    text = after.strip()
    if not text.isascii() or not text.isdigit():
        raise InputError("after", "a cursor from a feed event or page (endCursor).")
    return int(text)


async def visible(context: Context, facts: Sequence[Fact]) -> list[Fact]:
    """The facts this caller may see, in order, with one graph call: about a
    household it may see (any, for Dinsos roles), and a special-category fact
    only if its role sees those."""
    if not context.policy.sees_special_category:
        facts = [f for f in facts if f.kind not in kinds.SPECIAL_CATEGORY]
    facts = [f for f in facts if f.kind not in kinds.COMPLAINTS or _reads(context, f)]
    if context.scope["organization"] is None:
        return list(facts)
    households = sorted({h for f in facts for h in f.household_ids})
    shown = set()
    if households:
        granted = await context.services.repository.granted(households, context.scope)
        shown = {h for h, ok in zip(households, granted, strict=True) if ok}
    opening = [f for f in facts if _opens(context, f) and not shown.intersection(f.household_ids)]
    if opening:
        shown |= await _opened(context, opening)
    return [f for f in facts if shown.intersection(f.household_ids)]


def _opens(context: Context, fact: Fact) -> bool:
    """A referral made to the caller's organization, journaled so lately that
    its graph write may still be on its way: that write opens the household
    to it (the graph's GRANTED). An older one is judged as the graph stands,
    with no wait (a write whose graph step failed waits for `hub load`'s
    replay, and a feed page over it must not wait each time)."""
    return (
        fact.kind == kinds.REFERRAL_CREATED
        and datetime.now(UTC) - fact.at.astimezone(UTC) <= timedelta(seconds=2 * SETTLE_WAIT_S)
        and fact.payload.get("to_org") == context.scope["organization"]
        and bool(fact.subject or fact.payload.get("referral_id"))
    )


async def _opened(context: Context, opening: Sequence[Fact]) -> set[str]:
    """The households that referrals to the caller open, judged once the graph
    holds the referrals: the journal has a fact before the graph has its write
    (schema.journaling), and a subscriber is told of it in between, so the
    household would be judged closed and the referral's event lost. A referral
    the graph holds already (declined since, say) is judged as it stands."""
    repository, scope = context.services.repository, context.scope
    ids = [str(f.subject or f.payload.get("referral_id")) for f in opening]

    async def read() -> list[Row | None]:
        return await repository.referrals_by_id(ids, scope)

    await settled(read, lambda rows: all(r is not None for r in rows))
    households = sorted({h for f in opening for h in f.household_ids})
    granted = await repository.granted(households, scope)
    return {h for h, ok in zip(households, granted, strict=True) if ok}


def _reads(context: Context, complaint: Fact) -> bool:
    """A complaint's fact (or its reported finding's): Dinsos' roles, and only the
    kinds of complaint the role may read."""
    if context.scope["organization"] is not None or not context.policy.casework:
        return False
    row = complaint.payload.get("row") or {}
    kind = row.get("grievance_kind", row.get("kind"))
    return kind not in hidden_grievance_kinds(context.principal)


async def page(context: Context, after: int, first: int) -> tuple[list[Fact], int, bool]:
    """Up to `first` visible facts after `after`; the cursor of the last fact
    looked at; whether more facts follow it."""
    journal = journal_of(context)
    found: list[Fact] = []
    last = after
    for _ in range(_MAX_BATCHES):
        batch = await asyncio.to_thread(journal.read, last, _BATCH)
        if not batch:
            break
        shown = {f.seq for f in await visible(context, batch)}
        for fact in batch:
            last = fact.seq
            if fact.seq in shown:
                found.append(fact)
                if len(found) == first:
                    break
        if len(found) == first or len(batch) < _BATCH:
            break
    head = await asyncio.to_thread(journal.head)
    return found, last, last < head


def deliver(info: Info, facts: Sequence[Fact]) -> list[FeedEvent]:
    """The facts as the caller reads them, noted in the audit trail."""
    read(
        info,
        persons=[p for f in facts for p in f.person_ids],
        households=[h for f in facts for h in f.household_ids],
    )
    policy, provenance = info.context.policy, provenance_for(info.context.principal)
    return [FeedEvent.shown(f, policy, provenance) for f in facts]


PurposeArg = Annotated[
    str | None,
    strawberry.argument(
        description="Why you read these changes (recorded in the audit log); instead of the "
        "X-Purpose header."
    ),
]


@strawberry.type
class FeedQueries:
    @strawberry.field(
        description="The change feed, oldest first: what changed on the "
        "households you may see (pipeline runs and API writes). "
        "Start without `after` (from the beginning), then pass "
        "the page's endCursor. At most 100 events a page."
    )
    async def feed(
        self, info: Info, after: str | None = None, first: int = 50, purpose: PurposeArg = None
    ) -> FeedPage:
        personal(info, purpose)
        if not 1 <= first <= MAX_FEED_PAGE:
            raise InputError("first", f"between 1 and {MAX_FEED_PAGE}.")
        facts, last, more = await page(info.context, parse_cursor(after) or 0, first)
        return FeedPage(events=deliver(info, facts), end_cursor=str(last), has_next_page=more)


__all__ = [
    "MAX_FEED_PAGE",
    "FeedQueries",
    "deliver",
    "journal_of",
    "page",
    "parse_cursor",
    "visible",
]
