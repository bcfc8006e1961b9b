from __future__ import annotations

import pytest
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, YAY_B, Api, Principal

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
    onward = await api.data(MOVE, YAY_A, id=rid, s="REFERRED_ONWARD", note="to YAY-C: eye care")
    assert onward["advanceReferral"] == {
        "status": "REFERRED_ONWARD",
        "note": "to YAY-C: eye care",
        "history": ["OPEN", "RECEIVED", "REFERRED_ONWARD"],
    }
    # passed on, it no longer opens the household to the receiver
    gone = await api.run('{ household(id: "H2") { id } }', YAY_A)
    assert gone.errors and gone.errors[0].extensions["code"] == "NOT_FOUND"


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
