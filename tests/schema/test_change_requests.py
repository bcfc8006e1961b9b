"""Change requests through their lifecycle on the tiny city: filed by a
foundation, verified by a social worker, approved and applied by Dinsos, or
rejected with a reason; who may take which step; what applying does to the
graph; the list by status; every step journaled and audited."""

from __future__ import annotations

from typing import Any

import pytest
from gqlkit import ADMIN, ANALYST, AUDITOR, WORKER, YAY_A, YAY_B, Api, Principal

from journal import Journal, kinds

pytestmark = pytest.mark.anyio

#: a second Dinsos administrator: the one who verified a request does not approve it
HEAD = Principal("DINSOS", "dinsos_admin", subject="kepala-bidang")

FIELDS = """id kind status householdId personId reason organization history
  verifiedBy approvedBy appliedBy effect rejectedBy rejectionReason changes"""
FILE = "mutation($c: ChangeRequestInput!) { fileChangeRequest(request: $c) { " + FIELDS + " } }"
STEP = "mutation($id: ID!) {{ {name}(id: $id) {{ " + FIELDS + " }} }}"
REJECT = (
    "mutation($id: ID!, $r: String!) { rejectChangeRequest(id: $id, reason: $r) { "
    + FIELDS
    + " } }"
)
LIST = """query($s: ChangeRequestStatus, $k: ChangeKind, $after: String) {
  changeRequests(status: $s, kind: $k, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id status organization } } } }"""


async def step(api: Api, name: str, request_id: str, who: Any) -> dict[str, Any]:
    out: dict[str, Any] = (await api.data(STEP.format(name=name), who, id=request_id))[name]
    return out


async def through(api: Api, request_id: str, *steps: tuple[str, Any]) -> dict[str, Any]:
    """Take the steps (mutation, who) in order; the request after the last."""
    done: dict[str, Any] = {}
    for name, who in steps:
        done = await step(api, name, request_id, who)
    return done


async def code(api: Api, query: str, who: Any, **variables: Any) -> str:
    result = await api.run(query, who, **variables)
    assert result.errors, f"expected an error, got {result.data}"
    return str(result.errors[0].extensions["code"])  # type: ignore[index]


def journal(api: Api) -> Journal:
    assert isinstance(api.services.journal, Journal)
    return api.services.journal


async def test_a_perbaikan_goes_from_filed_to_applied(api: Api) -> None:
    filed = (
        await api.data(
            FILE,
            YAY_A,
            c={
                "kind": "PERBAIKAN",
                "householdId": "H1",
                "personId": "P2",
                "reason": "the KTP says born in Garut",
                "changes": {"birthPlace": "Garut", "rt": "5"},
            },
        )
    )["fileChangeRequest"]
    assert (filed["status"], filed["history"]) == ("FILED", ["FILED"])
    assert filed["changes"] == {"person": {"birth_place": "Garut"}, "household": {"rt": "005"}}
    rid = filed["id"]
    # only a social worker or Dinsos verifies, only Dinsos approves and applies
    assert await code(api, STEP.format(name="verifyChangeRequest"), YAY_A, id=rid) == "FORBIDDEN"
    assert (
        await code(api, STEP.format(name="approveChangeRequest"), ADMIN, id=rid) == "BAD_USER_INPUT"
    )  # not verified yet
    verified = await step(api, "verifyChangeRequest", rid, WORKER)
    assert (verified["status"], verified["verifiedBy"]) == ("VERIFIED", "tester")
    assert await code(api, STEP.format(name="approveChangeRequest"), WORKER, id=rid) == "FORBIDDEN"
    # four eyes: "tester" verified it, so "tester" may not approve it
    assert (
        await code(api, STEP.format(name="approveChangeRequest"), ADMIN, id=rid) == "BAD_USER_INPUT"
    )
    approved = await step(api, "approveChangeRequest", rid, HEAD)
    assert (approved["status"], approved["approvedBy"]) == ("APPROVED", "kepala-bidang")
    applied = await step(api, "applyChangeRequest", rid, HEAD)
    assert applied["status"] == "APPLIED"
    assert applied["history"] == ["FILED", "VERIFIED", "APPROVED", "APPLIED"]
    assert "birth_place" in applied["effect"] and "rt" in applied["effect"]
    # applied: the corrections are on the person and the household, noted there
    person = (await api.data('{ person(id: "P2") { birthPlace } }', ADMIN))["person"]
    household = (await api.data('{ household(id: "H1") { rt } }', ADMIN))["household"]
    assert (person["birthPlace"], household["rt"]) == ("Garut", "005")
    # closed: it moves no further
    assert await code(api, REJECT, ADMIN, id=rid, r="too late") == "BAD_USER_INPUT"
    # every step is journaled, in order, about H1 and P2, without names or numbers
    facts = [f for f in journal(api).read(0, 100) if f.payload.get("request_id") == rid]
    assert [f.kind for f in facts] == [
        kinds.CHANGE_REQUEST_FILED,
        kinds.CHANGE_REQUEST_VERIFIED,
        kinds.CHANGE_REQUEST_APPROVED,
        kinds.CHANGE_REQUEST_APPLIED,
    ]
    assert all(f.household_ids == ("H1",) and f.person_ids == ("P2",) for f in facts)
    assert [f.organization for f in facts] == ["YAY-A", "DINSOS", "DINSOS", "DINSOS"]
    assert [f.actor for f in facts] == ["tester", "tester", "kepala-bidang", "kepala-bidang"]
    assert "Euis" not in str([f.payload for f in facts])
    # and audited, like every other write
    written = {e.operation for e in api.audit.events}
    assert {
        "write:fileChangeRequest",
        "write:verifyChangeRequest",
        "write:approveChangeRequest",
        "write:applyChangeRequest",
    } <= written


async def test_rejection_needs_a_reason_and_ends_the_request(api: Api) -> None:
    filed = await api.data(
        FILE, YAY_A, c={"kind": "USULAN", "householdId": "H1", "reason": "a widow, no income"}
    )
    rid = filed["fileChangeRequest"]["id"]
    await step(api, "verifyChangeRequest", rid, WORKER)
    # at VERIFIED only who approves may reject: Dinsos
    assert await code(api, REJECT, WORKER, id=rid, r="no") == "FORBIDDEN"
    assert await code(api, REJECT, ADMIN, id=rid, r="  ") == "BAD_USER_INPUT"
    rejected = (await api.data(REJECT, ADMIN, id=rid, r="already in DTSEN, call 3273011204800001"))[
        "rejectChangeRequest"
    ]
    assert (rejected["status"], rejected["rejectedBy"]) == ("REJECTED", "tester")
    assert (
        await code(api, STEP.format(name="approveChangeRequest"), HEAD, id=rid) == "BAD_USER_INPUT"
    )
    # the filer reads the reason, the NIK typed into it masked for a foundation
    seen = await api.data(
        "{ changeRequests(status: REJECTED) { edges { node { id rejectionReason } } } }", YAY_A
    )
    [node] = [e["node"] for e in seen["changeRequests"]["edges"]]
    assert node["id"] == rid
    assert node["rejectionReason"] == "already in DTSEN, call 3273**********01"
    [fact] = journal(api).read(0, 100, kinds=[kinds.CHANGE_REQUEST_REJECTED])
    assert "3273011204800001" not in str(fact.payload)
    assert fact.payload["row"]["rejection_reason"].startswith("already in DTSEN")


async def test_a_penonaktifan_withdraws_the_person(api: Api) -> None:
    search = 'query { searchPersons(name: "euis") { edges { node { id status } } } }'
    assert [e["node"]["id"] for e in (await api.data(search, ADMIN))["searchPersons"]["edges"]] == [
        "P2"
    ]
    rid = (
        await api.data(
            FILE, YAY_A, c={"kind": "PENONAKTIFAN", "personId": "P2", "reason": "moved to Garut"}
        )
    )["fileChangeRequest"]["id"]
    done = await through(
        api,
        rid,
        ("verifyChangeRequest", WORKER),
        ("approveChangeRequest", HEAD),
        ("applyChangeRequest", ADMIN),
    )
    assert done["effect"] == "person P2 withdrawn"
    person = (await api.data('{ person(id: "P2") { status } }', ADMIN))["person"]
    assert person["status"] == "withdrawn"
    # the default status filter (active) leaves the person out now
    assert (await api.data(search, ADMIN))["searchPersons"]["edges"] == []


async def test_an_usulan_marks_the_household_proposed(api: Api) -> None:
    rid = (
        await api.data(
            FILE, YAY_A, c={"kind": "USULAN", "personId": "P1", "reason": "lost his job"}
        )
    )["fileChangeRequest"]["id"]
    done = await through(
        api,
        rid,
        ("verifyChangeRequest", ADMIN),
        ("approveChangeRequest", HEAD),
        ("applyChangeRequest", HEAD),
    )
    assert done["effect"] == "household H1 proposed"


async def test_a_perbaikan_in_words_only_is_noted(api: Api) -> None:
    rid = (
        await api.data(
            FILE,
            YAY_A,
            c={"kind": "PERBAIKAN", "personId": "P1", "reason": "his KK lists a dead son"},
        )
    )["fileChangeRequest"]["id"]
    done = await through(
        api,
        rid,
        ("verifyChangeRequest", WORKER),
        ("approveChangeRequest", HEAD),
        ("applyChangeRequest", HEAD),
    )
    assert done["effect"] == "noted for correction (no field given)"


async def test_what_a_perbaikan_may_correct(api: Api) -> None:
    def bad(changes: Any, kind: str = "PERBAIKAN") -> dict[str, Any]:
        return {
            "kind": kind,
            "householdId": "H1",
            "personId": "P1",
            "reason": "r",
            "changes": changes,
        }

    for changes, kind in (
        ({"fullName": "Wawan"}, "PERBAIKAN"),
        ({"nik": "1"}, "PERBAIKAN"),
        ({"birthDate": "17-08-1945"}, "PERBAIKAN"),
        ({"welfareDecile": 11}, "PERBAIKAN"),
        ({}, "PERBAIKAN"),
        ({"rt": "1"}, "USULAN"),
    ):
        result = await api.run(FILE, YAY_A, c=bad(changes, kind))
        assert result.errors, changes
        assert str(result.errors[0].extensions["field"]).startswith("request.changes")  # type: ignore[index]
    person_level = await api.run(
        FILE,
        YAY_A,
        c={"kind": "PERBAIKAN", "householdId": "H1", "reason": "r", "changes": {"sex": "P"}},
    )
    assert person_level.errors
    assert person_level.errors[0].extensions["field"] == "request.personId"  # type: ignore[index]


async def test_the_list_by_status_follows_the_role(api: Api) -> None:
    mine = [
        (await api.data(FILE, YAY_A, c={"kind": "USULAN", "householdId": "H1", "reason": f"r{i}"}))[
            "fileChangeRequest"
        ]["id"]
        for i in range(3)
    ]
    theirs = (
        await api.data(FILE, ADMIN, c={"kind": "USULAN", "householdId": "H3", "reason": "r"})
    )["fileChangeRequest"]["id"]
    await step(api, "verifyChangeRequest", mine[0], WORKER)

    async def walk(who: Any, status: str | None) -> list[str]:
        found, after = [], None
        while True:
            page = (await api.data(LIST, who, s=status, after=after))["changeRequests"]
            found += [e["node"]["id"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
            after = page["pageInfo"]["endCursor"]

    assert sorted(await walk(YAY_A, "FILED")) == sorted(mine[1:])
    assert await walk(YAY_A, "VERIFIED") == [mine[0]]
    assert sorted(await walk(ADMIN, "FILED")) == sorted([*mine[1:], theirs])
    assert sorted(await walk(WORKER, None)) == sorted([*mine, theirs])
    assert await walk(YAY_B, None) == []  # another foundation sees none of them
    for who in (ANALYST, AUDITOR):
        assert await code(api, LIST, who) == "FORBIDDEN"
    # nobody else's request can be moved by a foundation, nor seen to exist
    assert await code(api, STEP.format(name="verifyChangeRequest"), YAY_B, id=mine[1]) in (
        "FORBIDDEN",
        "NOT_FOUND",
    )


async def test_a_step_another_process_claimed_first_is_refused(api: Api) -> None:
    """Two steps out of one status race (an approval here, a rejection in another
    server process): the journal's claim on `<id>:from:<status>` decides, and
    the loser changes nothing."""
    from journal import NewFact

    filed = await api.data(
        FILE, YAY_A, c={"kind": "USULAN", "householdId": "H1", "reason": "no income since June"}
    )
    rid = filed["fileChangeRequest"]["id"]
    await step(api, "verifyChangeRequest", rid, WORKER)
    # the other process's rejection has claimed the step, its graph write not yet done
    assert journal(api).claim(
        NewFact(kinds.CHANGE_REQUEST_REJECTED, subject=rid, key=f"{rid}:from:VERIFIED")
    )
    lost = await api.run(STEP.format(name="approveChangeRequest"), HEAD, id=rid)
    assert lost.errors and "moved on meanwhile" in lost.errors[0].message
    approvals = journal(api).read(0, 1000, kinds=[kinds.CHANGE_REQUEST_APPROVED])
    assert rid not in [f.subject for f in approvals]
    listed = await api.data(
        "query($s: ChangeRequestStatus) { changeRequests(status: $s) { edges { node { id } } } }",
        ADMIN,
        s="VERIFIED",
    )
    assert rid in [e["node"]["id"] for e in listed["changeRequests"]["edges"]]


ONE = "query($id: ID!) { changeRequest(id: $id) { id status reason organization } }"
OF_HOUSEHOLD = """query($h: ID!) { changeRequests(household: $h, first: 100) {
  totalCount edges { node { id householdId } } } }"""


async def test_one_request_and_a_households_requests_follow_the_role(api: Api) -> None:
    def file(who: Any, household: str, reason: str) -> Any:
        return api.data(FILE, who, c={"kind": "USULAN", "householdId": household, "reason": reason})

    on_h1 = [(await file(YAY_A, "H1", f"r{i}"))["fileChangeRequest"]["id"] for i in range(2)]
    on_h3 = (await file(ADMIN, "H3", "lives alone"))["fileChangeRequest"]["id"]

    async def of(who: Any, household: str) -> list[str]:
        page = (await api.data(OF_HOUSEHOLD, who, h=household))["changeRequests"]
        assert all(e["node"]["householdId"] == household for e in page["edges"])
        return sorted(e["node"]["id"] for e in page["edges"])

    assert await of(ADMIN, "H1") == sorted(on_h1)
    assert await of(ADMIN, "H3") == [on_h3]
    assert await of(YAY_A, "H3") == []  # filed by Dinsos: not the foundation's
    assert await of(YAY_B, "H1") == []

    assert (await api.data(ONE, ADMIN, id=on_h1[0]))["changeRequest"]["reason"] == "r0"
    assert (await api.data(ONE, YAY_A, id=on_h1[1]))["changeRequest"]["organization"] == "YAY-A"
    assert await code(api, ONE, YAY_B, id=on_h1[0]) == "NOT_FOUND"
    assert await code(api, ONE, ADMIN, id="chg-none") == "NOT_FOUND"
    for who in (ANALYST, AUDITOR):
        assert await code(api, ONE, who, id=on_h3) == "FORBIDDEN"
        assert await code(api, OF_HOUSEHOLD, who, h="H3") == "FORBIDDEN"
