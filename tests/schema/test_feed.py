"""The change feed: paged by cursor, scoped per organization, masked, audited,
and streamed by the `feed` subscription (the tailer publishes the journal)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, Api
from waiting import BUDGET_S, until

from journal import Fact, NewFact, kinds
from schema.context import Context
from schema.feed import _opens
from schema.journaling import SETTLE_WAIT_S
from schema.pubsub import FEED_TOPIC

pytestmark = pytest.mark.anyio

FEED = """query($after: String, $first: Int!) { feed(after: $after, first: $first) {
    endCursor hasNextPage events { cursor kind origin householdIds personIds subject
    organization payload } } }"""
NIK = "3273010101900001"


def seed(api: Api) -> list[int]:
    """Four facts: about H1 (YAY-A serves it), about H4 (hidden from YAY-A), about
    nothing (Dinsos only), and a merge naming H4 and H1."""
    journal = api.services.journal
    assert journal is not None
    return journal.append(
        [
            NewFact(
                kind=kinds.SERVICE_RECORDED,
                household_ids=("H1",),
                subject="S-1",
                organization="YAY-B",
                payload={
                    "program": "ZAKAT",
                    "organization": "YAY-B",
                    "note": f"checked KTP {NIK}",
                    "nik": NIK,
                },
            ),
            NewFact(
                kind=kinds.DECILE_CHANGED,
                household_ids=("H4",),
                subject="H4",
                payload={"household_id": "H4", "from": 3, "to": 2},
            ),
            NewFact(kind=kinds.LINK_PUBLISHED, payload={"run": "r1"}),
            NewFact(
                kind=kinds.HOUSEHOLD_MERGED,
                household_ids=("H4", "H1"),
                subject="H4",
                payload={"household_id": "H4", "survivor_id": "H1"},
            ),
        ]
    )


async def pages(api: Api, principal: Any, first: int) -> list[dict[str, Any]]:
    events, after = [], None
    for _ in range(10):
        page = (await api.data(FEED, principal, after=after, first=first))["feed"]
        events += page["events"]
        after = page["endCursor"]
        if not page["hasNextPage"]:
            return events
    raise AssertionError("the feed did not end")


async def test_dinsos_sees_every_fact_in_order_page_by_page(api: Api) -> None:
    seqs = seed(api)
    events = await pages(api, ADMIN, first=1)
    assert [int(e["cursor"]) for e in events] == seqs
    assert [e["origin"] for e in events] == ["api", "pipeline", "pipeline", "pipeline"]
    assert events[0]["payload"]["nik"] == NIK and events[0]["organization"] == "YAY-B"


async def test_a_foundation_sees_only_facts_about_its_households_masked(api: Api) -> None:
    seqs = seed(api)
    events = await pages(api, YAY_A, first=50)
    assert [int(e["cursor"]) for e in events] == [seqs[0], seqs[3]]
    service = events[0]
    assert service["payload"]["nik"] == "3273**********01"
    assert NIK not in service["payload"]["note"]
    # another organization is not named to a foundation
    assert service["organization"] is None and service["payload"]["organization"] is None
    # audited as a read of the households it was shown
    reads = [
        e for e in api.audit.events if e.operation == "read:feed" and e.organization == "YAY-A"
    ]
    assert reads and {h for e in reads for h in e.household_ids} == {"H1", "H4"}


async def test_feed_refuses_bad_cursors_pages_and_roles(api: Api) -> None:
    seed(api)
    bad = await api.run(FEED, ADMIN, after="x1", first=5)
    assert bad.errors and bad.errors[0].extensions["code"] == "BAD_USER_INPUT"
    big = await api.run(FEED, ADMIN, after=None, first=1000)
    assert big.errors and big.errors[0].extensions["code"] == "BAD_USER_INPUT"
    analyst = await api.run(FEED, ANALYST, after=None, first=5)
    assert analyst.errors and analyst.errors[0].extensions["code"] == "FORBIDDEN"


async def test_feed_subscription_streams_new_facts_from_the_tailer(api: Api) -> None:
    stream = await api.schema.subscribe(
        "subscription { feed { kind householdIds } }",
        context_value=Context.for_request(api.services, WORKER, purpose="test"),
    )
    assert isinstance(stream, AsyncGenerator), stream
    pending = asyncio.ensure_future(stream.__anext__())
    await until(lambda: api.services.pubsub.subscribers(FEED_TOPIC), "the feed to listen")
    await api.data(
        """mutation { recordService(service: {householdId: "H1",
        program: "ZAKAT", serviceDate: "2026-11-03"}) { id } }""",
        WORKER,
    )
    result = await asyncio.wait_for(pending, BUDGET_S)
    await stream.aclose()
    assert result.errors is None, result.errors
    assert result.data == {"feed": {"kind": kinds.SERVICE_RECORDED, "householdIds": ["H1"]}}


async def test_a_referral_that_opens_a_household_reaches_the_receivers_live_feed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A referral is journaled before the graph holds it (schema.journaling),
    and the tailer may publish it in between: the receiver's live feed must
    still tell it, not judge the household by a graph that does not yet show
    the referral opening it. Here the graph write waits until the subscriber
    has looked at the graph once."""
    repository = api.services.repository
    write, granted, landed = repository.write, repository.granted, asyncio.Event()
    asked: list[tuple[str | None, list[str]]] = []

    async def late_write(rows: Any) -> Any:
        await landed.wait()
        return await write(rows)

    async def seen_granted(households: Any, scope: Any) -> Any:
        asked.append((scope["organization"], list(households)))
        return await granted(households, scope)

    monkeypatch.setattr(repository, "write", late_write)
    monkeypatch.setattr(repository, "granted", seen_granted)
    stream = await api.schema.subscribe(
        "subscription { feed { kind householdIds } }",
        context_value=Context.for_request(api.services, YAY_A, purpose="test"),
    )
    assert isinstance(stream, AsyncGenerator), stream
    pending = asyncio.ensure_future(stream.__anext__())
    await until(lambda: api.services.pubsub.subscribers(FEED_TOPIC), "the feed to listen")
    making = asyncio.ensure_future(
        api.data(
            """mutation { createReferral(referral: {householdId: "H4",
            toOrganization: "YAY-A"}) { id } }""",
            ADMIN,
        )
    )
    # the fact is out, and the subscriber has asked the graph about H4
    await until(
        lambda: any(org == "YAY-A" and "H4" in ids for org, ids in asked),
        "YAY-A's feed to ask the graph whether it may see H4",
    )
    landed.set()
    await making
    # then YAY-A records a service on its own H1: the next event, if the first was lost
    await api.data(
        """mutation { recordService(service: {householdId: "H1",
        program: "ZAKAT", serviceDate: "2026-11-03"}) { id } }""",
        YAY_A,
    )
    result = await asyncio.wait_for(pending, BUDGET_S)
    await stream.aclose()
    assert result.errors is None, result.errors
    assert result.data == {"feed": {"kind": kinds.REFERRAL_CREATED, "householdIds": ["H4"]}}


async def test_feed_subscription_with_a_cursor_replays_what_followed_it(api: Api) -> None:
    seqs = seed(api)
    stream = await api.schema.subscribe(
        "subscription($after: String) { feed(after: $after) { cursor kind } }",
        variable_values={"after": str(seqs[0])},
        context_value=Context.for_request(api.services, YAY_A, purpose="test"),
    )
    assert isinstance(stream, AsyncGenerator), stream
    first = await asyncio.wait_for(stream.__anext__(), BUDGET_S)
    await stream.aclose()
    # YAY-A's next visible fact after the cursor is the merge into H1, not H4's decile
    assert first.data == {"feed": {"cursor": str(seqs[3]), "kind": kinds.HOUSEHOLD_MERGED}}


async def test_a_foundation_learns_no_assessment_funder_or_record_key_of_others(api: Api) -> None:
    journal = api.services.journal
    assert journal is not None
    seqs = journal.append(
        [
            # another organization's delivery, paid by itself: its id as the funder
            NewFact(
                kind=kinds.SERVICE_RECORDED,
                household_ids=("H1",),
                subject="S-2",
                organization="YAY-B",
                payload={"program": "ZAKAT", "funder": "YAY-B"},
            ),
            # a person assessed: special category, for Dinsos roles only
            NewFact(
                kind=kinds.ASSESSMENT_RECORDED,
                household_ids=("H1",),
                person_ids=("P1",),
                subject="A-1",
                organization="ORG-DINSOS",
                payload={"assessment_id": "A-1"},
            ),
            # another organization's submission, and a review naming its record key
            NewFact(
                kind=kinds.SUBMISSION_RECEIVED,
                household_ids=("H1",),
                subject="api-yay-b:12345",
                organization="YAY-B",
            ),
            NewFact(
                kind=kinds.REVIEW_DECIDED,
                household_ids=("H1",),
                subject="pair-1",
                organization="ORG-DINSOS",
                payload={"record_key_l": "api-yay-b:12345", "record_key_r": "dtks:9"},
            ),
        ]
    )
    shown = {int(e["cursor"]): e for e in await pages(api, YAY_A, first=50)}
    assert seqs[1] not in shown  # the assessment
    assert shown[seqs[0]]["payload"]["funder"] is None
    assert shown[seqs[2]]["subject"] is None
    review = shown[seqs[3]]["payload"]
    assert review["record_key_l"] is None and review["record_key_r"] is None
    # Dinsos staff see all of it
    staff = {int(e["cursor"]): e for e in await pages(api, WORKER, first=50)}
    assert staff[seqs[1]]["kind"] == kinds.ASSESSMENT_RECORDED
    assert staff[seqs[2]]["subject"] == "api-yay-b:12345"


async def test_only_a_fresh_referral_to_the_caller_waits_for_its_graph_write(api: Api) -> None:
    """A referral journaled just now may still be on its way to the graph: the
    feed waits for it. One journaled long ago, whose graph step failed, is
    judged as the graph stands, so no feed page over it waits."""
    now = datetime.now(UTC)

    def referral(at: datetime, to_org: str) -> Fact:
        return Fact(
            seq=1,
            at=at,
            kind=kinds.REFERRAL_CREATED,
            origin="api",
            payload={"referral_id": "ref-x", "to_org": to_org},
            household_ids=("H2",),
            person_ids=(),
            subject="ref-x",
            actor="someone",
            organization="DINSOS",
        )

    context = api.context(YAY_A)
    assert _opens(context, referral(now, "YAY-A"))
    assert not _opens(context, referral(now - timedelta(seconds=3 * SETTLE_WAIT_S), "YAY-A"))
    assert not _opens(context, referral(now, "YAY-B"))
