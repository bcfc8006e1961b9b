from __future__ import annotations

import asyncio

import pytest
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, YAY_B, Api, Principal
from neo4j import Driver

from graph.driver import GraphTarget
from graph.lifecycle import retire
from journal import kinds

pytestmark = pytest.mark.anyio

SUBMIT = """mutation($r: RecordInput!) { submitRecord(record: $r) {
  recordKey personId householdId matchProbability newPerson newHousehold } }"""


async def test_submit_record_links_and_shows_the_submitter_what_it_sent(api: Api) -> None:
    # Jajang (H3) is known to the linker by NIK; YAY-B submits him
    known = await api.data(
        SUBMIT,
        YAY_B,
        r={"sourceRecordId": "b-7", "fullName": "Djadjang", "nik": "3273010202700004"},
    )
    assert known["submitRecord"]["personId"] == "P4" and not known["submitRecord"]["newPerson"]
    # the submitter sees the person as it sent them, not Jajang's household
    p = await api.data('{ person(id: "P4") { fullName sourceRecords { recordKey } } }', YAY_B)
    assert p["person"]["fullName"] == "Djadjang"
    assert [r["recordKey"] for r in p["person"]["sourceRecords"]] == ["YAY-B:b-7"]
    hidden = await api.run('{ household(id: "H3") { id } }', YAY_B)
    assert hidden.errors and hidden.errors[0].extensions["code"] == "NOT_FOUND"
    new = await api.data(
        SUBMIT,
        YAY_B,
        r={
            "sourceRecordId": "b-8",
            "fullName": "Ujang Nurdin",
            "ppks": ["PPKS24"],
            "welfareDecile": 2,
        },
    )
    created = new["submitRecord"]
    assert created["newPerson"] and created["newHousehold"]
    found = await api.data(
        'query { searchPersons(name: "ujang") { edges { node { id } } } }', YAY_B
    )
    assert [e["node"]["id"] for e in found["searchPersons"]["edges"]] == [created["personId"]]


async def test_submit_record_input_errors(api: Api) -> None:
    bad = await api.run(SUBMIT, YAY_B, r={"sourceRecordId": "x", "fullName": "A", "nik": "12"})
    assert bad.errors and bad.errors[0].extensions["field"] == "record.nik"
    blank = await api.run(SUBMIT, YAY_B, r={"sourceRecordId": "x", "fullName": "  "})
    assert blank.errors and blank.errors[0].extensions["field"] == "record.fullName"
    denied = await api.run(SUBMIT, ANALYST, r={"sourceRecordId": "x", "fullName": "A"})
    assert denied.errors and denied.errors[0].extensions["code"] == "FORBIDDEN"


SERVICE = """mutation($s: ServiceInput!) { recordService(service: $s) {
  id program organization funder amount } }"""


async def test_record_service_appears_in_history(api: Api) -> None:
    svc = await api.data(
        SERVICE,
        YAY_A,
        s={
            "householdId": "H1",
            "program": "SANTUNAN-YAYASAN",
            "serviceDate": "2026-11-02",
            "amount": 50000,
        },
    )
    assert svc["recordService"]["organization"] == "YAY-A"
    h = await api.data('{ household(id: "H1") { serviceHistory { id program } } }', YAY_A)
    assert h["household"]["serviceHistory"][0]["program"] == "SANTUNAN-YAYASAN"
    other = await api.run(
        SERVICE, YAY_A, s={"householdId": "H4", "program": "X", "serviceDate": "2026-11-02"}
    )
    assert other.errors and other.errors[0].extensions["field"] == "service.householdId"


ASSESS = """mutation($a: AssessmentInput!) { recordAssessment(assessment: $a) { id ppks plan } }"""


async def test_record_assessment_is_casework_only(api: Api) -> None:
    a = {"householdId": "H3", "assessedOn": "2026-11-01", "ppks": ["PPKS24"], "plan": "PKH"}
    done = await api.data(ASSESS, WORKER, a=a)
    assert done["recordAssessment"]["ppks"] == ["PPKS24"]
    h = await api.data('{ household(id: "H3") { assessments { id } } }', WORKER)
    assert [x["id"] for x in h["household"]["assessments"]] == [done["recordAssessment"]["id"]]
    denied = await api.run(ASSESS, YAY_A, a=a)
    assert denied.errors and denied.errors[0].extensions["code"] == "FORBIDDEN"


PLAN = """id version revises goals programs followUpOn plan
  previousVersions { id version plan }"""
REVISE = f"""mutation($id: ID!, $a: AssessmentInput!) {{
  reviseAssessment(id: $id, assessment: $a) {{ {PLAN} }} }}"""


async def test_an_assessment_carries_a_plan_and_an_edit_keeps_the_earlier_version(
    api: Api,
) -> None:
    a = {
        "householdId": "H2",
        "assessedOn": "2026-11-01",
        "ppks": ["PPKS24"],
        "plan": "enrol in PKH",
        "goals": ["children back to school"],
        "programs": ["PKH"],
        "followUpOn": "2026-12-01",
    }
    first = (
        await api.data(
            f"mutation($a: AssessmentInput!) {{ recordAssessment(assessment: $a) {{ {PLAN} }} }}",
            WORKER,
            a=a,
        )
    )["recordAssessment"]
    assert (first["programs"], first["followUpOn"], first["version"]) == (
        ["PKH"],
        "2026-12-01",
        1,
    )
    edited = (await api.data(REVISE, WORKER, id=first["id"], a={**a, "plan": "PKH and BPNT"}))[
        "reviseAssessment"
    ]
    assert (edited["version"], edited["revises"]) == (2, first["id"])
    h = await api.data(f'{{ household(id: "H2") {{ assessments {{ {PLAN} }} }} }}', WORKER)
    shown = [x for x in h["household"]["assessments"] if x["goals"]]
    assert [x["id"] for x in shown] == [edited["id"]]  # the current version only
    assert shown[0]["previousVersions"] == [
        {"id": first["id"], "version": 1, "plan": "enrol in PKH"}
    ]
    unknown = await api.run(REVISE, WORKER, id=edited["id"], a={**a, "programs": ["NO-SUCH"]})
    assert unknown.errors[0].extensions["field"] == "assessment.programs"
    early = await api.run(REVISE, WORKER, id=edited["id"], a={**a, "followUpOn": "2026-10-01"})
    assert early.errors[0].extensions["field"] == "assessment.followUpOn"
    stale = await api.run(REVISE, WORKER, id=first["id"], a=a)  # replaced: edit the current
    assert stale.errors[0].extensions["code"] == "NOT_FOUND"


FOLLOW_UPS = """query($due: Date) { followUps(due: $due) {
  totalCount edges { node { id householdId followUpOn version } } } }"""


async def test_follow_ups_list_the_signers_current_assessments_due(api: Api) -> None:
    """A social worker's caseload: the current version of each assessment they
    signed with a follow-up on or before the day asked, soonest first; not
    another worker's, not a replaced version, not past the day."""
    other = Principal("DINSOS", "social_worker", "peksos-lain")
    base = {"householdId": "H3", "assessedOn": "2026-11-01", "ppks": ["PPKS24"], "plan": "visit"}

    async def assess(who: Principal, on: str) -> str:
        done = await api.data(ASSESS, who, a={**base, "followUpOn": on})
        return str(done["recordAssessment"]["id"])

    later, sooner = await assess(WORKER, "2026-12-20"), await assess(WORKER, "2026-12-05")
    await assess(other, "2026-12-06")
    replaced = await api.data(REVISE, WORKER, id=later, a={**base, "followUpOn": "2026-12-15"})
    current = replaced["reviseAssessment"]["id"]
    mine = (await api.data(FOLLOW_UPS, WORKER, due="2026-12-31"))["followUps"]
    assert [(n["node"]["id"], n["node"]["followUpOn"]) for n in mine["edges"]] == [
        (sooner, "2026-12-05"),
        (current, "2026-12-15"),
    ]
    early = (await api.data(FOLLOW_UPS, WORKER, due="2026-12-10"))["followUps"]
    assert [n["node"]["id"] for n in early["edges"]] == [sooner]
    theirs = (await api.data(FOLLOW_UPS, other, due="2026-12-31"))["followUps"]
    assert [n["node"]["followUpOn"] for n in theirs["edges"]] == ["2026-12-06"]
    # every: the worker's current assessments, due or not (their households)
    every = await api.data(
        "{ followUps(every: true) { edges { node { id followUpOn } } } }", WORKER
    )
    assert {sooner, current} <= {n["node"]["id"] for n in every["followUps"]["edges"]}
    # a foundation may not see assessments (special-category data): none
    assert (await api.data(FOLLOW_UPS, YAY_A, due="2026-12-31"))["followUps"]["totalCount"] == 0


REFER = """mutation($r: ReferralInput!) { createReferral(referral: $r) { id status } }"""
ADVANCE = """mutation($id: ID!, $s: ReferralStatus!) {
  advanceReferral(id: $id, status: $s) { id status history } }"""


async def test_referral_lifecycle_gives_the_receiver_visibility(api: Api) -> None:
    before = await api.run('{ household(id: "H3") { id } }', YAY_A)
    assert before.errors
    ref = (
        await api.data(
            REFER,
            WORKER,
            r={"householdId": "H3", "toOrganization": "YAY-A", "program": "SEMBAKO-YAYASAN"},
        )
    )["createReferral"]
    assert ref["status"] == "OPEN"
    seen = await api.data('{ household(id: "H3") { referrals { id } } }', YAY_A)
    assert seen["household"]["referrals"][0]["id"] == ref["id"]
    accepted = (await api.data(ADVANCE, YAY_A, id=ref["id"], s="ACCEPTED"))["advanceReferral"]
    assert accepted["history"] == ["OPEN", "ACCEPTED"]
    wrong = await api.run(ADVANCE, YAY_A, id=ref["id"], s="OPEN")
    assert wrong.errors and wrong.errors[0].extensions["field"] == "status"
    stranger = await api.run(ADVANCE, YAY_B, id=ref["id"], s="COMPLETED")
    assert stranger.errors and stranger.errors[0].extensions["code"] == "NOT_FOUND"


MOVE = """mutation($id: ID!, $s: ReferralStatus!, $note: String) {
  advanceReferral(id: $id, status: $s, note: $note) { status note history } }"""


async def test_the_receiver_answers_a_referral_and_says_why_or_what_came_of_it(api: Api) -> None:
    sent = await api.data(REFER, YAY_A, r={"householdId": "H1", "toOrganization": "YAY-B"})
    # the sender cancels; it does not answer for the receiver
    own = await api.run(MOVE, YAY_A, id=sent["createReferral"]["id"], s="ACCEPTED")
    assert own.errors and own.errors[0].extensions["code"] == "FORBIDDEN"
    made = await api.data(REFER, WORKER, r={"householdId": "H2", "toOrganization": "YAY-A"})
    rid = made["createReferral"]["id"]
    received = await api.data(MOVE, YAY_A, id=rid, s="RECEIVED")
    assert received["advanceReferral"]["history"] == ["OPEN", "RECEIVED"]
    bare = await api.run(MOVE, YAY_A, id=rid, s="DECLINED")
    assert bare.errors and bare.errors[0].extensions["field"] == "note"
    # passing it on is referOnward's: it makes the onward referral with the move
    two_step = await api.run(MOVE, YAY_A, id=rid, s="REFERRED_ONWARD", note="to YAY-B")
    assert two_step.errors and "referOnward" in two_step.errors[0].message
    declined = await api.data(MOVE, YAY_A, id=rid, s="DECLINED", note="outside our area")
    assert declined["advanceReferral"] == {
        "status": "DECLINED",
        "note": "outside our area",
        "history": ["OPEN", "RECEIVED", "DECLINED"],
    }
    # declined, it no longer opens the household to the receiver
    gone = await api.run('{ household(id: "H2") { id } }', YAY_A)
    assert gone.errors and gone.errors[0].extensions["code"] == "NOT_FOUND"


ONWARD = """mutation($id: ID!, $to: String!, $note: String!) {
  referOnward(id: $id, toOrganization: $to, note: $note) {
    referral { id status note history onwardTo onwardOrganization }
    onward { id householdId fromOrganization toOrganization status note onwardFrom } } }"""
REFERRALS_OF = """query($hid: ID!) { household(id: $hid) { referrals {
  id status fromOrganization toOrganization onwardFrom onwardTo onwardOrganization } } }"""


async def _received_by_yay_a(api: Api, hid: str) -> str:
    """A referral from Dinsos to YAY-A that YAY-A has received."""
    made = await api.data(REFER, WORKER, r={"householdId": hid, "toOrganization": "YAY-A"})
    rid = str(made["createReferral"]["id"])
    await api.data(MOVE, YAY_A, id=rid, s="RECEIVED")
    api.audit.events.clear()
    return rid


async def _referrals(api: Api, hid: str) -> list[dict[str, object]]:
    return list((await api.data(REFERRALS_OF, ADMIN, hid=hid))["household"]["referrals"])


async def test_referring_onward_makes_the_next_referral_and_closes_this_one_together(
    api: Api,
) -> None:
    rid = await _received_by_yay_a(api, "H2")
    out = (await api.data(ONWARD, YAY_A, id=rid, to="YAY-B", note="eye care"))["referOnward"]
    onward = out["onward"]
    assert out["referral"] == {
        "id": rid,
        "status": "REFERRED_ONWARD",
        "note": "eye care",
        "history": ["OPEN", "RECEIVED", "REFERRED_ONWARD"],
        "onwardTo": onward["id"],
        "onwardOrganization": "YAY-B",
    }
    assert onward == {
        "id": onward["id"],
        "householdId": "H2",
        "fromOrganization": "YAY-A",
        "toOrganization": "YAY-B",
        "status": "OPEN",
        "note": "eye care",
        "onwardFrom": rid,
    }
    # the graph holds both, each naming the other
    stored = {r["id"]: r for r in await _referrals(api, "H2")}
    assert stored[rid]["status"] == "REFERRED_ONWARD"
    assert (stored[rid]["onwardTo"], stored[rid]["onwardOrganization"]) == (onward["id"], "YAY-B")
    assert stored[onward["id"]]["onwardFrom"] == rid and stored[onward["id"]]["status"] == "OPEN"
    # journaled as one claim: the original's step out of RECEIVED, the onward referral with it
    journal = api.services.journal
    assert journal is not None
    step, made = journal.keyed(f"{rid}:from:RECEIVED"), journal.keyed(f"{rid}:onward")
    assert step is not None and made is not None
    assert (step.kind, step.subject, step.payload["row"]["onward_to"]) == (
        kinds.REFERRAL_MOVED,
        rid,
        onward["id"],
    )
    assert (made.kind, made.subject, made.payload["to_org"]) == (
        kinds.REFERRAL_CREATED,
        onward["id"],
        "YAY-B",
    )
    # audited once, naming the household
    writes = [e for e in api.audit.events if e.operation == "write:referOnward"]
    assert [w.household_ids for w in writes] == [("H2",)]
    # the next organization now sees the household; the one that passed it on does not
    assert (await api.data('{ household(id: "H2") { id } }', YAY_B))["household"]["id"] == "H2"
    gone = await api.run('{ household(id: "H2") { id } }', YAY_A)
    assert gone.errors and gone.errors[0].extensions["code"] == "NOT_FOUND"
    # referred onward once: it cannot be referred onward (or moved) again
    again = await api.run(ONWARD, YAY_A, id=rid, to="DINSOS", note="eye care")
    assert again.errors and again.errors[0].extensions["field"] == "status"


async def test_who_may_not_move_a_referral_cannot_refer_it_onward_and_nothing_is_made(
    api: Api,
) -> None:
    sent = await api.data(REFER, YAY_A, r={"householdId": "H1", "toOrganization": "YAY-B"})
    rid = sent["createReferral"]["id"]
    before = await _referrals(api, "H1")
    # the sender does not pass on its own referral for the receiver; an analyst writes nothing
    for who in (YAY_A, ANALYST):
        refused = await api.run(ONWARD, who, id=rid, to="DINSOS", note="eye care")
        assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"
    assert await _referrals(api, "H1") == before
    journal = api.services.journal
    assert journal is not None and journal.keyed(f"{rid}:onward") is None
    assert not [e for e in api.audit.events if e.operation == "write:referOnward"]


async def test_a_referral_is_referred_onward_once_however_often_or_concurrently_asked(
    api: Api,
) -> None:
    # the same form submitted twice at once: one onward referral, both answered with it
    rid = await _received_by_yay_a(api, "H2")
    twice = await asyncio.gather(
        *(api.run(ONWARD, YAY_A, id=rid, to="YAY-B", note="eye care") for _ in range(2))
    )
    assert [r.errors for r in twice] == [None, None]
    made = {r.data["referOnward"]["onward"]["id"] for r in twice if r.data}
    onward = [r for r in await _referrals(api, "H2") if r["onwardFrom"] == rid]
    assert [r["id"] for r in onward] == sorted(made) and len(made) == 1
    # and once more later (the browser's back button): still that one
    later = await api.data(ONWARD, YAY_A, id=rid, to="YAY-B", note="eye care")
    assert later["referOnward"]["onward"]["id"] in made
    # moves racing out of one status (each closing it): one wins, the others are refused
    rid = await _received_by_yay_a(api, "H2")
    raced = await asyncio.gather(
        api.run(ONWARD, YAY_A, id=rid, to="YAY-B", note="eye care"),
        api.run(ONWARD, YAY_A, id=rid, to="DINSOS", note="needs a visit"),
        api.run(MOVE, YAY_A, id=rid, s="DECLINED", note="no capacity"),
    )
    won = [r for r in raced if r.errors is None]
    assert len(won) == 1
    assert {r.errors[0].extensions["code"] for r in raced if r.errors} == {"BAD_USER_INPUT"}
    onward = [r for r in await _referrals(api, "H2") if r["onwardFrom"] == rid]
    (shown,) = [r for r in await _referrals(api, "H2") if r["id"] == rid]
    if won[0].data and "referOnward" in won[0].data:
        assert [r["id"] for r in onward] == [shown["onwardTo"]]
        assert shown["status"] == "REFERRED_ONWARD"
    else:
        assert onward == [] and shown["status"] == "DECLINED"


async def test_a_referral_whose_household_was_merged_is_not_referred_onward_to_open_it(
    api: Api, city_graph: Driver, graph_target: GraphTarget
) -> None:
    """A scoped organization's referral on a household later merged opens nothing
    (graph.lifecycle marks it `merged_from`): its receiver may not refer it onward
    either, or the onward referral would open the survivor to the next organization,
    which a new referral of the receiver's (createReferral) may not do."""
    sent = await api.data(REFER, YAY_A, r={"householdId": "H1", "toOrganization": "YAY-B"})
    rid = sent["createReferral"]["id"]
    # a later load merges H1 into H2: the referral now concerns H2 and opens nothing
    merge = [{"id": "H1", "status": "merged", "survivor_id": "H2"}]
    retire(city_graph, "household", merge, graph_target.database)
    hidden = await api.run('{ household(id: "H2") { id } }', YAY_B)
    assert hidden.errors and hidden.errors[0].extensions["code"] == "NOT_FOUND"
    refused = await api.run(ONWARD, YAY_B, id=rid, to="YAY-C", note="eye care")
    assert refused.errors, refused.data
    assert [r for r in await _referrals(api, "H2") if r["onwardFrom"] == rid] == []
    journal = api.services.journal
    assert journal is not None and journal.keyed(f"{rid}:onward") is None
    yay_c = Principal("YAY-C", "foundation")
    still = await api.run('{ household(id: "H2") { id } }', yay_c)
    assert still.errors and still.errors[0].extensions["code"] == "NOT_FOUND"


ENROL = """mutation($e: EnrolmentInput!) { enrolHousehold(enrolment: $e) {
  programCode active organization } }"""


async def test_enrolment_closes_a_coverage_gap(api: Api) -> None:
    await api.data(ENROL, ADMIN, e={"householdId": "H3", "program": "PKH", "since": "2026-11-01"})
    gaps = await api.data('{ coverageGaps(ppks: "PPKS24") { totalHouseholds } }', ADMIN)
    assert gaps["coverageGaps"]["totalHouseholds"] == 0
    h = await api.data('{ household(id: "H3") { currentPrograms { programCode } } }')
    assert [p["programCode"] for p in h["household"]["currentPrograms"]] == ["PKH"]
    bad = await api.run(
        ENROL,
        ADMIN,
        e={"householdId": "H3", "program": "PKH", "since": "2026-11-01", "until": "2026-01-01"},
    )
    assert bad.errors and bad.errors[0].extensions["field"] == "enrolment.until"


REVIEW = """mutation($l: ID!, $r: ID!, $d: ReviewDecision!) {
  decideReviewPair(recordKeyL: $l, recordKeyR: $r, decision: $d) { decision reviewer } }"""


async def test_review_decision_goes_to_the_review_service(api: Api) -> None:
    out = await api.data(REVIEW, WORKER, l="dtks:1", r="yaya:1", d="NOT_SAME")
    assert out["decideReviewPair"]["decision"] == "NOT_SAME"
    assert api.review.decisions == [("dtks:1", "yaya:1", False, "tester", None)]
    denied = await api.run(REVIEW, YAY_A, l="dtks:1", r="yaya:1", d="SAME")
    assert denied.errors and denied.errors[0].extensions["code"] == "FORBIDDEN"


CHANGE = """mutation($c: ChangeRequestInput!) { fileChangeRequest(request: $c) {
  id kind status organization } }"""


async def test_change_requests(api: Api) -> None:
    for kind in ("USULAN", "PERBAIKAN", "PENONAKTIFAN"):
        changes = {"rt": "005"} if kind == "PERBAIKAN" else None
        out = await api.data(
            CHANGE,
            YAY_A,
            c={"kind": kind, "householdId": "H1", "reason": "moved", "changes": changes},
        )
        assert out["fileChangeRequest"]["kind"] == kind.lower()
    bad = await api.run(CHANGE, YAY_A, c={"kind": "PENONAKTIFAN", "reason": "died"})
    assert bad.errors and bad.errors[0].extensions["field"] == "request.householdId"
