from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from gqlkit import ADMIN, WORKER, YAY_A, YAY_B, Api
from waiting import BUDGET_S, until

from schema.context import Context
from schema.pubsub import REFERRALS_TOPIC, household_topic

pytestmark = pytest.mark.anyio


async def _subscribe(
    api: Api, query: str, principal: Any, topic: str, **variables: Any
) -> AsyncGenerator[Any, None]:
    stream = await api.schema.subscribe(
        query,
        variable_values=variables,
        context_value=Context.for_request(api.services, principal, purpose="test"),
    )
    assert isinstance(stream, AsyncGenerator), stream
    return stream


async def _first(stream: AsyncGenerator[Any, None], api: Api, topic: str, trigger: Any) -> Any:
    pending = asyncio.ensure_future(stream.__anext__())
    await until(lambda: api.services.pubsub.subscribers(topic), f"a subscriber on {topic}")
    await trigger()
    # a referral's event waits for the graph to hold the write (schema.subscription)
    result = await asyncio.wait_for(pending, BUDGET_S)
    await stream.aclose()
    assert result.errors is None, result.errors
    return result.data


async def test_household_changed_after_a_service(api: Api) -> None:
    query = 'subscription { householdChanged(id: "H1") { householdId kind } }'
    stream = await _subscribe(api, query, YAY_A, household_topic("H1"))

    async def trigger() -> None:
        await api.data(
            """mutation { recordService(service: {householdId: "H1",
            program: "ZAKAT", serviceDate: "2026-11-03"}) { id } }""",
            YAY_A,
        )

    data = await _first(stream, api, household_topic("H1"), trigger)
    assert data["householdChanged"] == {"householdId": "H1", "kind": "SERVICE_RECORDED"}


async def test_referrals_for_organization(api: Api) -> None:
    stream = await _subscribe(
        api,
        'subscription { referralsForOrganization(organization: "YAY-B") { householdId '
        "status fromOrganization } }",
        YAY_B,
        REFERRALS_TOPIC,
    )

    async def trigger() -> None:
        await api.data(
            """mutation { createReferral(referral: {householdId: "H2",
            toOrganization: "YAY-B"}) { id } }""",
            WORKER,
        )

    data = await _first(stream, api, REFERRALS_TOPIC, trigger)
    assert data["referralsForOrganization"] == {
        "householdId": "H2",
        "status": "OPEN",
        "fromOrganization": "DINSOS",
    }


async def test_referring_onward_is_published_to_both_receivers_followers(api: Api) -> None:
    """The sender is told its referral went onward, the next receiver of the
    referral made for it: as the other referral moves are published."""
    made = await api.data(
        """mutation { createReferral(referral: {householdId: "H2",
        toOrganization: "YAY-A"}) { id } }""",
        WORKER,
    )
    rid = made["createReferral"]["id"]
    await api.published()  # the creation is out before anyone follows: only the move is told
    fields = "id status fromOrganization toOrganization onwardFrom onwardTo"
    streams = [
        await _subscribe(
            api,
            f'subscription {{ referralsForOrganization(organization: "{org}") {{ {fields} }} }}',
            who,
            REFERRALS_TOPIC,
        )
        for org, who in (("DINSOS", ADMIN), ("YAY-B", YAY_B))
    ]
    pending = [asyncio.ensure_future(s.__anext__()) for s in streams]
    await until(  # both streams listen before the move
        lambda: api.services.pubsub.subscribers(REFERRALS_TOPIC) == len(streams),
        f"{len(streams)} subscribers on {REFERRALS_TOPIC}",
    )
    out = await api.data(
        """mutation($id: ID!) { referOnward(id: $id, toOrganization: "YAY-B",
        note: "eye care") { onward { id } } }""",
        YAY_A,
        id=rid,
    )
    onward = out["referOnward"]["onward"]["id"]
    told = [(await asyncio.wait_for(p, BUDGET_S)).data["referralsForOrganization"] for p in pending]
    for stream in streams:
        await stream.aclose()
    assert told == [
        {
            "id": rid,
            "status": "REFERRED_ONWARD",
            "fromOrganization": "DINSOS",
            "toOrganization": "YAY-A",
            "onwardFrom": None,
            "onwardTo": onward,
        },
        {
            "id": onward,
            "status": "OPEN",
            "fromOrganization": "YAY-A",
            "toOrganization": "YAY-B",
            "onwardFrom": rid,
            "onwardTo": None,
        },
    ]


async def test_subscriptions_are_scoped(api: Api) -> None:
    other = await api.schema.subscribe(
        'subscription { referralsForOrganization(organization: "YAY-B") { status } }',
        context_value=Context.for_request(api.services, YAY_A, purpose="test"),
    )
    first = await other.__anext__() if isinstance(other, AsyncGenerator) else other
    assert first.errors and first.errors[0].extensions["code"] == "FORBIDDEN"
    hidden = await api.schema.subscribe(
        'subscription { householdChanged(id: "H4") { kind } }',
        context_value=Context.for_request(api.services, YAY_A, purpose="test"),
    )
    first = await hidden.__anext__() if isinstance(hidden, AsyncGenerator) else hidden
    assert first.errors and first.errors[0].extensions["code"] == "NOT_FOUND"
    assert ADMIN.role == "dinsos_admin"


@pytest.mark.parametrize(
    ("follower", "complaint"), [(YAY_A, "WRONG_DATA"), (WORKER, "SERVICE_CONDUCT")]
)
async def test_household_changed_skips_the_complaints_the_role_does_not_read(
    api: Api, follower: Any, complaint: str
) -> None:
    """The feed's rule (`schema.feed.visible`): a foundation reads no complaint,
    a social worker no complaint about an officer's conduct (administrators
    only). Filed first, it is not the first change they are told of."""
    query = 'subscription { householdChanged(id: "H1") { householdId kind } }'
    stream = await _subscribe(api, query, follower, household_topic("H1"))

    async def trigger() -> None:
        await api.data(
            """mutation($g: GrievanceInput!) { fileGrievance(grievance: $g) { id } }""",
            ADMIN,
            g={"kind": complaint, "householdId": "H1", "text": "keluhan"},
        )
        await api.data(
            """mutation { recordService(service: {householdId: "H1",
            program: "ZAKAT", serviceDate: "2026-11-03"}) { id } }""",
            YAY_A,
        )

    data = await _first(stream, api, household_topic("H1"), trigger)
    assert data["householdChanged"] == {"householdId": "H1", "kind": "SERVICE_RECORDED"}
