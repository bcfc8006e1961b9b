"""The one-door front desk through the API on the tiny city: a resident's
request registered once (for a known household, or an applicant linked in real
time), assigned by area, moved on by hand and by the household's casework,
ended with a reason; who may do what; the resident's messages; complaints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, YAY_B, Api, Principal

from domain import service_desk as desk
from graph.repository import GraphRepository
from hub.journal_replay import replay_into
from hub.notify import OutboxSender
from journal import Journal, kinds
from schema.journaling import IDENTIFYING
from schema.permissions import mask_phone

pytestmark = pytest.mark.anyio

FIELDS = """id number householdId personId kelurahanCode kecamatanCode needs channel status
  history assignedTo registeredBy outcome outcomeReason contactPhone overdue dueOn statusText
  nextStep steps { step at }"""
REGISTER = (
    "mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) { " + FIELDS + " } }"
)
ADVANCE = (
    "mutation($id: ID!, $s: ServiceRequestStep!, $n: String) { "
    "advanceServiceRequest(id: $id, step: $s, note: $n) { " + FIELDS + " } }"
)
END = (
    "mutation($id: ID!, $o: ServiceRequestOutcome!, $r: String!) { "
    "endServiceRequest(id: $id, outcome: $o, reason: $r) { " + FIELDS + " } }"
)
ASSIGN = (
    "mutation($id: ID!, $w: String!) { assignServiceRequest(id: $id, worker: $w) { "
    + FIELDS
    + " } }"
)
ONE = "query($id: ID!) { serviceRequest(id: $id) { " + FIELDS + " } }"
LIST = """query($s: ServiceRequestStep, $o: Boolean, $k: String, $w: String) {
  serviceRequests(status: $s, overdue: $o, kelurahanCode: $k, assignedTo: $w) {
    totalCount edges { node { id status } } } }"""
ASSESS = """mutation($a: AssessmentInput!) { recordAssessment(assessment: $a) { id } }"""
REFER = """mutation($r: ReferralInput!) { createReferral(referral: $r) { id } }"""


async def register(api: Api, who: Any = WORKER, **request: Any) -> dict[str, Any]:
    out: dict[str, Any] = (await api.data(REGISTER, who, r=request))["registerServiceRequest"]
    return out


async def code(api: Api, query: str, who: Any, **variables: Any) -> str:
    result = await api.run(query, who, **variables)
    assert result.errors, f"expected an error, got {result.data}"
    return str(result.errors[0].extensions["code"])  # type: ignore[index]


def journal(api: Api) -> Journal:
    assert isinstance(api.services.journal, Journal)
    return api.services.journal


def outbox(api: Api) -> list[dict[str, Any]]:
    notifier = api.services.notifier
    assert isinstance(notifier, OutboxSender)
    return notifier.outbox.messages()


async def test_a_request_for_a_known_household_is_assigned_by_area(api: Api) -> None:
    made = await register(
        api, householdId="H3", needs=["PPKS24", "food"], contactPhone="0812-3456-7890"
    )
    assert re.fullmatch(r"SP-[2-9A-HJKMNP-Z]{8}", made["number"])
    # H3 lives in Isola, kecamatan Sukasari: the worker named for Sukasari
    assert (made["kelurahanCode"], made["kecamatanCode"]) == ("3273011002", "327301")
    assert made["assignedTo"] == "peksos.sukasari"
    assert (made["status"], made["history"]) == ("ASSIGNED", ["REGISTERED", "ASSIGNED"])
    assert [s["step"] for s in made["steps"]] == ["REGISTERED", "ASSIGNED"]
    assert made["personId"] is None and made["contactPhone"] == "6281234567890"
    assert made["overdue"] is False and made["dueOn"] is not None
    assert made["statusText"] == desk.status_sentence("ASSIGNED")
    assert made["nextStep"] == desk.next_step_sentence("ASSIGNED")
    # the number finds it as the id does
    again = (await api.data(ONE, ADMIN, id=made["number"].lower()))["serviceRequest"]
    assert again["id"] == made["id"]
    # journaled without the contact or anything of the NIK; one message, no names
    facts = journal(api).read(0, 100, kinds={kinds.SERVICE_REQUEST_REGISTERED})
    assert len(facts) == 1 and not IDENTIFYING & set(facts[0].payload["row"])
    assert facts[0].household_ids == ("H3",)
    sent = outbox(api)
    assert [m["reference"] for m in sent] == [made["number"]]
    assert sent[0]["phone"] == "6281234567890" and "Jajang" not in sent[0]["text"]
    assert sent[0]["text"] == desk.request_message(made["number"], "ASSIGNED")


async def test_an_unknown_applicant_is_linked_to_the_household_they_match(api: Api) -> None:
    made = await register(
        api,
        applicant={
            "sourceRecordId": "desk-1",
            "fullName": "Jajang S.",
            "nik": "3273010202700004",
            "birthDate": "1970-02-02",
        },
        needs=["PPKS24"],
    )
    # the real-time linker found Jajang (P4) of H3
    assert (made["householdId"], made["personId"]) == ("H3", "P4")
    assert made["channel"] == "FRONT_DESK"
    assert api.intake.calls[-1]["nik"] == "3273010202700004"
    # a new person makes a new household, which the request follows
    fresh = await register(
        api,
        applicant={"sourceRecordId": "desk-2", "fullName": "Ujang Baru", "nik": None},
        needs=["income"],
    )
    assert fresh["householdId"].startswith("HN") and fresh["personId"].startswith("PN")
    assert fresh["kelurahanCode"] == "3273011002"


VERIFY = (
    """mutation($id: ID!, $h: ID, $p: ID, $a: RecordInput) {
  verifyServiceRequest(id: $id, householdId: $h, personId: $p, applicant: $a) { """
    + FIELDS
    + " } }"
)


@dataclass(frozen=True)
class Service(Principal):
    auth_method: str = "service"


#: the public form's own identity (hub.console.web_form_identity)
WEB_FORM_SERVICE = Service("DINSOS", "social_worker", subject="service:permohonan-baru")


def typed(nik: str, phone: str = "081299998888") -> dict[str, Any]:
    """What someone types into the public form: a victim's NIK and their own phone."""
    return {
        "applicant": {"sourceRecordId": f"web-{nik}", "fullName": "Siapa Saja", "nik": nik},
        "needs": ["PPKS24"],
        "contactPhone": phone,
        "channel": "WEB_FORM",
    }


async def test_a_web_form_request_waits_for_the_desk_to_verify_the_applicant(api: Api) -> None:
    calls = len(api.intake.calls)
    # Jajang's NIK (P4 of H3, in the register) and a NIK nobody holds read the same
    victim = await register(api, WEB_FORM_SERVICE, **typed("3273010202700004"))
    # the channel decides too, whoever sends it
    nobody = await register(api, WORKER, **typed("3273011505800007"))
    for made in (victim, nobody):
        assert (made["status"], made["history"]) == (
            "PENDING_VERIFICATION",
            ["PENDING_VERIFICATION"],
        )
        assert made["householdId"] is None and made["personId"] is None
        assert made["assignedTo"] is None and made["channel"] == "WEB_FORM"
    assert victim["statusText"] == nobody["statusText"]
    assert victim["statusText"] == desk.status_sentence(desk.PENDING_VERIFICATION)
    # no intake, no message, no household's feed
    assert len(api.intake.calls) == calls and outbox(api) == []
    facts = journal(api).read(0, 100, kinds={kinds.SERVICE_REQUEST_REGISTERED})
    assert all(f.household_ids == () and f.person_ids == () for f in facts)
    assert all(not IDENTIFYING & set(f.payload["row"]) for f in facts)
    # H3's casework does not move it, and H3's requests do not list it
    assessment = {"householdId": "H3", "assessedOn": "2026-11-20", "ppks": ["PPKS24"]}
    await api.data(ASSESS, WORKER, a={**assessment, "plan": "visit"})
    again = (await api.data(ONE, ADMIN, id=victim["id"]))["serviceRequest"]
    assert again["status"] == "PENDING_VERIFICATION"
    # by hand it moves only by being verified; the form's identity cannot verify
    assert await code(api, ADVANCE, ADMIN, id=victim["id"], s="ASSIGNED") == "BAD_USER_INPUT"
    assert await code(api, VERIFY, WEB_FORM_SERVICE, id=victim["id"], h="H3") == "FORBIDDEN"
    # the desk checked the KTP: the caller was Jajang after all
    verified = (await api.data(VERIFY, ADMIN, id=victim["id"], h="H3", p="P4"))[
        "verifyServiceRequest"
    ]
    assert (verified["householdId"], verified["personId"]) == ("H3", "P4")
    assert verified["status"] == "ASSIGNED" and verified["assignedTo"] == "peksos.sukasari"
    assert verified["history"] == ["PENDING_VERIFICATION", "REGISTERED", "ASSIGNED"]
    assert [m["reference"] for m in outbox(api)] == [victim["number"]]
    assert await code(api, VERIFY, ADMIN, id=victim["id"], h="H3") == "BAD_USER_INPUT"
    # an applicant the desk types from their KTP is linked in real time
    linked = (
        await api.data(
            VERIFY,
            ADMIN,
            id=nobody["id"],
            a={"sourceRecordId": "desk-9", "fullName": "Ujang Baru", "nik": "3273011505800007"},
        )
    )["verifyServiceRequest"]
    assert linked["householdId"].startswith("HN") and linked["status"] in ("REGISTERED", "ASSIGNED")
    assert api.intake.calls[-1]["nik"] == "3273011505800007"


async def test_casework_moves_a_request_on_and_it_ends_with_a_reason(api: Api) -> None:
    made = await register(api, householdId="H3", needs=["PPKS24"], contactPhone="081234567890")
    rid = made["id"]
    await api.data(
        ASSESS,
        WORKER,
        a={"householdId": "H3", "assessedOn": "2026-11-20", "ppks": ["PPKS24"], "plan": "visit"},
    )
    assert (await api.data(ONE, ADMIN, id=rid))["serviceRequest"]["status"] == "ASSESSED"
    # the foundation it is referred to sees it; another does not
    assert await code(api, ONE, YAY_B, id=rid) == "NOT_FOUND"
    await api.data(REFER, WORKER, r={"householdId": "H3", "toOrganization": "YAY-B"})
    seen = (await api.data(ONE, YAY_B, id=rid))["serviceRequest"]
    assert seen["status"] == "IN_SERVICE" and seen["contactPhone"] == mask_phone("6281234567890")
    assert await code(api, ONE, YAY_A, id=rid) == "NOT_FOUND"
    # only Dinsos ends it, and only with a reason the resident reads
    assert await code(api, END, YAY_B, id=rid, o="FULFILLED", r="done") == "FORBIDDEN"
    assert await code(api, END, WORKER, id=rid, o="FULFILLED", r="  ") == "BAD_USER_INPUT"
    ended = (
        await api.data(END, WORKER, id=rid, o="FULFILLED", r="Bantuan sembako sudah diterima.")
    )["endServiceRequest"]
    assert ended["status"] == "ENDED" and ended["outcome"] == "FULFILLED"
    assert ended["history"] == ["REGISTERED", "ASSIGNED", "ASSESSED", "IN_SERVICE", "ENDED"]
    assert ended["statusText"] == desk.status_sentence("ENDED", "FULFILLED")
    assert ended["overdue"] is False and ended["dueOn"] is None
    # one message per status change, each in the domain's words
    assert [m["status"] for m in outbox(api)] == ["ASSIGNED", "ASSESSED", "IN_SERVICE", "ENDED"]
    moved = journal(api).read(0, 100, kinds=kinds.SERVICE_DESK)
    assert [f.kind for f in moved] == [
        kinds.SERVICE_REQUEST_REGISTERED,
        kinds.SERVICE_REQUEST_MOVED,
        kinds.SERVICE_REQUEST_MOVED,
        kinds.SERVICE_REQUEST_ENDED,
    ]
    # an ended request moves no further, by hand or by casework
    assert await code(api, ADVANCE, WORKER, id=rid, s="IN_SERVICE") == "BAD_USER_INPUT"
    await api.data(REFER, WORKER, r={"householdId": "H3", "toOrganization": "YAY-A"})
    assert (await api.data(ONE, ADMIN, id=rid))["serviceRequest"]["status"] == "ENDED"


async def test_steps_move_forward_by_hand_and_the_list_filters(api: Api) -> None:
    first = await register(api, householdId="H1", needs=["PPKS24"])
    # Gegerkalong has its own worker, named for the kelurahan
    assert first["assignedTo"] == "peksos.gegerkalong"
    second = await register(api, householdId="H4", needs=["PPKS08"])
    assert second["assignedTo"] == "peksos.coblong"
    assert await code(api, ADVANCE, WORKER, id=first["id"], s="REGISTERED") == "BAD_USER_INPUT"
    assert await code(api, ADVANCE, WORKER, id=first["id"], s="ENDED") == "BAD_USER_INPUT"
    moved = (await api.data(ADVANCE, WORKER, id=first["id"], s="ASSESSED", n="home visit"))[
        "advanceServiceRequest"
    ]
    assert moved["status"] == "ASSESSED"
    # only a social worker of the worker areas: an unknown login is refused, nothing written
    unknown = await api.run(ASSIGN, ADMIN, id=first["id"], w="peksos.lain")
    assert unknown.errors and unknown.errors[0].extensions["code"] == "BAD_USER_INPUT"  # type: ignore[index]
    assert "peksos.gegerkalong" in unknown.errors[0].message  # who serves its area
    unchanged = (await api.data(ONE, ADMIN, id=first["id"]))["serviceRequest"]
    assert unchanged["assignedTo"] == "peksos.gegerkalong"
    other = next(
        a.worker
        for a in api.services.worker_areas
        if a.worker not in (first["assignedTo"], second["assignedTo"])
    )
    reassigned = (await api.data(ASSIGN, ADMIN, id=first["id"], w=other))["assignServiceRequest"]
    assert (reassigned["status"], reassigned["assignedTo"]) == ("ASSESSED", other)
    listed = (await api.data(LIST, ADMIN, s="ASSESSED"))["serviceRequests"]
    assert [e["node"]["id"] for e in listed["edges"]] == [first["id"]]
    assert (await api.data(LIST, ADMIN, k="3273021001"))["serviceRequests"]["totalCount"] == 1
    assert (await api.data(LIST, ADMIN, w=other))["serviceRequests"]["totalCount"] == 1
    # nothing is overdue on the day it is registered
    assert (await api.data(LIST, ADMIN, o=True))["serviceRequests"]["totalCount"] == 0
    assert (await api.data(LIST, ADMIN, o=False))["serviceRequests"]["totalCount"] == 2
    # a foundation sees none (nothing referred to it), an analyst may not ask
    assert (await api.data(LIST, YAY_A))["serviceRequests"]["totalCount"] == 0
    assert await code(api, LIST, ANALYST) == "FORBIDDEN"


MOVES = """query($id: ID!) { serviceRequest(id: $id) {
  status allowedSteps mayAssign mayVerify mayEnd reasonRequired } }"""


async def test_a_request_says_which_moves_the_caller_may_make_now(api: Api) -> None:
    made = await register(api, householdId="H3", needs=["food"])
    moves = (await api.data(MOVES, WORKER, id=made["id"]))["serviceRequest"]
    assert moves["mayAssign"] and moves["mayEnd"] and moves["reasonRequired"]
    assert not moves["mayVerify"] and moves["allowedSteps"]
    # the API takes exactly the steps it offers
    for step in desk.STEPS:
        if step not in moves["allowedSteps"]:
            assert await code(api, ADVANCE, WORKER, id=made["id"], s=step) == "BAD_USER_INPUT"
    target = moves["allowedSteps"][0]
    moved = (await api.data(ADVANCE, WORKER, id=made["id"], s=target))["advanceServiceRequest"]
    assert moved["status"] == target
    # and ends it only with a reason, as it says
    assert await code(api, END, WORKER, id=made["id"], o="REFUSED", r=" ") == "BAD_USER_INPUT"
    await api.data(END, WORKER, id=made["id"], o="REFUSED", r="Sudah menerima yang sama.")
    ended = (await api.data(MOVES, WORKER, id=made["id"]))["serviceRequest"]
    assert ended == {
        "status": "ENDED",
        "allowedSteps": [],
        "mayAssign": False,
        "mayVerify": False,
        "mayEnd": False,
        "reasonRequired": False,
    }


async def test_what_a_request_must_say(api: Api) -> None:
    bad = {"householdId": "H3", "needs": ["PPKS99"]}
    assert await code(api, REGISTER, WORKER, r=bad) == "BAD_USER_INPUT"
    assert await code(api, REGISTER, WORKER, r={"householdId": "H3", "needs": []}) == (
        "BAD_USER_INPUT"
    )
    phone = {"householdId": "H3", "needs": ["food"], "contactPhone": "022-123"}
    assert await code(api, REGISTER, WORKER, r=phone) == "BAD_USER_INPUT"
    neither = {"needs": ["food"]}
    assert await code(api, REGISTER, WORKER, r=neither) == "BAD_USER_INPUT"
    stranger = {"householdId": "H3", "personId": "P1", "needs": ["food"]}
    assert await code(api, REGISTER, WORKER, r=stranger) == "BAD_USER_INPUT"
    # the front desk is Dinsos'
    ok = {"householdId": "H3", "needs": ["food"]}
    assert await code(api, REGISTER, YAY_A, r=ok) == "FORBIDDEN"
    assert await code(api, REGISTER, ANALYST, r=ok) == "FORBIDDEN"
    assert outbox(api) == []  # no number given, no message


async def test_a_request_past_its_step_sla_is_overdue(api: Api) -> None:
    late = await register(api, householdId="H1", needs=["food"])
    await register(api, householdId="H4", needs=["food"])
    # as if assigned longer ago than the step allows
    days = desk.STEP_SLA_DAYS["ASSIGNED"] + 1
    await api.counter.execute_query(
        "MATCH (s:ServiceRequest {service_request_id: $id}) "
        "SET s.assigned_at = s.assigned_at - duration({days: $days})",
        {"id": late["id"], "days": days},
    )
    listed = (await api.data(LIST, ADMIN, o=True))["serviceRequests"]
    assert [e["node"]["id"] for e in listed["edges"]] == [late["id"]]
    shown = (await api.data(ONE, WORKER, id=late["id"]))["serviceRequest"]
    assert shown["overdue"] is True
    assert (await api.data(LIST, ADMIN, o=False))["serviceRequests"]["totalCount"] == 1


async def test_a_fresh_graph_gets_the_requests_back_from_the_journal(api: Api) -> None:
    made = await register(api, householdId="H3", needs=["food"], contactPhone="081234567890")
    await api.data(END, WORKER, id=made["id"], o="PARTLY_FULFILLED", r="Sebagian diterima.")
    await api.counter.execute_query("MATCH (s:ServiceRequest) DETACH DELETE s")
    repo = api.services.repository
    assert isinstance(repo, GraphRepository)
    report = await replay_into(repo, journal(api))
    assert report.rows["service_requests"] == 1
    back = (await api.data(ONE, ADMIN, id=made["id"]))["serviceRequest"]
    assert (back["number"], back["status"], back["outcome"]) == (
        made["number"],
        "ENDED",
        "PARTLY_FULFILLED",
    )
    assert back["contactPhone"] is None  # the journal never held it
    again = await replay_into(repo, journal(api))
    assert again.rows["service_requests"] == 0
