"""The authorization matrix for mutations: role x mutation x own/other household.

Allowed: the change is made and a `write:<mutation>` audit event names the
household. Denied: FORBIDDEN (the role may not), or the household is absent
(the role may write but not about a household it is not related to). Each case
starts from a fresh city.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from authz import (
    CASEWORK,
    ELIGIBILITY,
    HOUSEHOLDS,
    PRINCIPALS,
    ROLES,
    WRITERS,
    add_relationships,
    error_code,
    related,
)
from gqlkit import WORKER, Api
from neo4j import Driver

from connectors.reference import eligibility_rules
from graph.driver import GraphTarget
from journal import NewFact, kinds

pytestmark = pytest.mark.anyio

#: mutation -> (roles allowed, query over $hid, names a household)
MUTATIONS: dict[str, tuple[frozenset[str], str, bool]] = {
    "submitRecord": (
        WRITERS,
        'mutation { submitRecord(record: {sourceRecordId: "m-1", '
        'fullName: "Ujang Nurdin"}) { householdId } }',
        False,
    ),
    "recordService": (
        WRITERS,
        "mutation($hid: ID!) { recordService(service: {householdId: "
        '$hid, program: "ZAKAT", serviceDate: "2026-11-03"}) { id } }',
        True,
    ),
    "reviseAssessment": (
        CASEWORK,
        "mutation($hid: ID!, $aid: ID!) { reviseAssessment(id: $aid, assessment: "
        '{householdId: $hid, assessedOn: "2026-11-02", ppks: ["PPKS24"], '
        'plan: "PKH and BPNT", programs: ["PKH"]}) { id version } }',
        True,
    ),
    "recordAssessment": (
        CASEWORK,
        "mutation($hid: ID!) { recordAssessment(assessment: "
        '{householdId: $hid, assessedOn: "2026-11-01", '
        'ppks: ["PPKS24"], plan: "PKH"}) { id } }',
        True,
    ),
    "createReferral": (
        WRITERS,
        "mutation($hid: ID!) { createReferral(referral: "
        '{householdId: $hid, toOrganization: "YAY-B"}) { id } }',
        True,
    ),
    "advanceReferral": (
        WRITERS,
        "mutation($rid: ID!) { advanceReferral(id: $rid, status: ACCEPTED) { id } }",
        True,
    ),
    "enrolHousehold": (
        WRITERS,
        "mutation($hid: ID!) { enrolHousehold(enrolment: "
        '{householdId: $hid, program: "PKH", since: "2026-11-01"}) '
        "{ active } }",
        True,
    ),
    "decideReviewPair": (
        CASEWORK,
        'mutation { decideReviewPair(recordKeyL: "dtks:1", '
        'recordKeyR: "yaya:1", decision: SAME) { decision } }',
        False,
    ),
    "recordConsent": (
        CASEWORK,
        'mutation { recordConsent(consent: {personId: "P1", '
        'organization: "YAY-B", categories: [HOUSEHOLD], purpose: "aid", '
        'validUntil: "2099-01-01T00:00:00Z"}) { id } }',
        False,
    ),
    "confirmLink": (
        CASEWORK,
        'mutation { confirmLink(link: {personId: "P1", organization: '
        '"YAY-B", basis: "home visit"}) { id } }',
        False,
    ),
    "verifyChangeRequest": (
        CASEWORK,
        "mutation($cid: ID!) { verifyChangeRequest(id: $cid) { status } }",
        True,
    ),
    "approveChangeRequest": (
        frozenset({"dinsos_admin"}),
        "mutation($cid: ID!) { approveChangeRequest(id: $cid) { status } }",
        True,
    ),
    "applyChangeRequest": (
        frozenset({"dinsos_admin"}),
        "mutation($cid: ID!) { applyChangeRequest(id: $cid) { status } }",
        True,
    ),
    "rejectChangeRequest": (
        CASEWORK,
        'mutation($cid: ID!) { rejectChangeRequest(id: $cid, reason: "not poor") { status } }',
        True,
    ),
    "resolveDecileAlert": (
        ELIGIBILITY,
        "mutation($did: ID!) { resolveDecileAlert(id: $did, outcome: CONFIRMED_CONTINUE, "
        'note: "field check: still poor") { status } }',
        False,
    ),
    "fileChangeRequest": (
        WRITERS,
        "mutation($hid: ID!) { fileChangeRequest(request: "
        '{kind: PERBAIKAN, householdId: $hid, reason: "moved"}) '
        "{ id } }",
        True,
    ),
    "openProgramCycle": (
        CASEWORK,
        'mutation { openProgramCycle(program: "BPNT", name: "Nov", periodStart: "2026-11-01", '
        'periodEnd: "2026-11-30") { id } }',
        False,
    ),
    "approveProgramCycle": (
        frozenset({"dinsos_admin"}),
        "mutation($cyc: ID!) { approveProgramCycle(id: $cyc) { status } }",
        False,
    ),
    "recheckProgramCycle": (
        CASEWORK,
        'mutation($cyc: ID!) { recheckProgramCycle(id: $cyc, on: "2026-11-15") '
        "{ differences { householdId } } }",
        False,
    ),
    "setBudget": (
        frozenset({"dinsos_admin"}),
        'mutation { setBudget(funder: "APBN", program: "BPNT", year: 2026, amount: 1000, '
        "quotaHouseholds: 1) { amount } }",
        False,
    ),
    # the one-door front desk: Dinsos' (social workers and administrators)
    "registerServiceRequest": (
        CASEWORK,
        "mutation($hid: ID!) { registerServiceRequest(request: "
        '{householdId: $hid, needs: ["food"]}) { id } }',
        True,
    ),
    "advanceServiceRequest": (
        CASEWORK,
        "mutation($sid: ID!) { advanceServiceRequest(id: $sid, step: ASSESSED) { status } }",
        True,
    ),
    "assignServiceRequest": (
        CASEWORK,
        'mutation($sid: ID!) { assignServiceRequest(id: $sid, worker: "peksos.coblong") { id } }',
        True,
    ),
    "endServiceRequest": (
        CASEWORK,
        "mutation($sid: ID!) { endServiceRequest(id: $sid, outcome: REFUSED, "
        'reason: "sudah menerima") { status } }',
        True,
    ),
    "fileGrievance": (
        CASEWORK,
        "mutation($hid: ID!) { fileGrievance(grievance: {kind: WRONG_DATA, "
        'householdId: $hid, text: "alamat salah"}) { id } }',
        True,
    ),
    "actOnGrievance": (
        CASEWORK,
        "mutation($gid: ID!) { actOnGrievance(id: $gid, action: TARGETING_FINDING) { status } }",
        True,
    ),
    "answerGrievance": (
        CASEWORK,
        'mutation($gid: ID!) { answerGrievance(id: $gid, answer: "sudah diperbaiki") { id } }',
        True,
    ),
    "unlockStatusCheck": (
        frozenset({"dinsos_admin"}),
        'mutation { unlockStatusCheck(number: "SP-22222222") }',
        False,
    ),
}


#: household -> its assessment (A1 in the tiny city, A2 added by authz.EXTRAS)
ASSESSMENT_OF: dict[str, str] = {"H1": "A1", "H4": "A2"}


@pytest.fixture
def related_city(city_graph: Driver, graph_target: GraphTarget) -> Driver:
    add_relationships(city_graph, graph_target.database)
    return city_graph


async def _referral_for(api: Api, role: str, which: str) -> str:
    """A referral the role is party to (own), or R1 (H4, DINSOS -> YAY-B) otherwise."""
    if which == "other":
        return "R1"
    org = PRINCIPALS[role].organization
    made = await api.data(
        "mutation($hid: ID!, $to: String!) { createReferral(referral: "
        "{householdId: $hid, toOrganization: $to}) { id } }",
        WORKER,
        hid=HOUSEHOLDS["own"]["hid"],
        to=org,
    )
    api.audit.events.clear()
    return str(made["createReferral"]["id"])


#: mutation -> the steps a request it acts on has been through (rejecting a FILED one)
_CHANGE_STEPS: dict[str, tuple[tuple[str, Any], ...]] = {
    "verifyChangeRequest": (),
    "rejectChangeRequest": (),
    "approveChangeRequest": (("verifyChangeRequest", WORKER),),
    "applyChangeRequest": (
        ("verifyChangeRequest", WORKER),
        ("approveChangeRequest", PRINCIPALS["dinsos_admin"]),
    ),
}


async def _change_request_for(api: Api, mutation: str, which: str) -> str:
    """A request about the own or other household, filed by Dinsos and moved to
    where `mutation` takes it from."""
    hid = HOUSEHOLDS[which]["hid"]
    made = await api.data(
        "mutation($hid: ID!) { fileChangeRequest(request: {kind: USULAN, "
        'householdId: $hid, reason: "poor"}) { id } }',
        WORKER,
        hid=hid,
    )
    rid = str(made["fileChangeRequest"]["id"])
    for step, who in _CHANGE_STEPS[mutation]:
        await api.data(f'mutation {{ {step}(id: "{rid}") {{ id }} }}', who)
    api.audit.events.clear()
    return rid


def _decile_alert(api: Api) -> str:
    """A decile alert a load raised on the own household (as hub.decile_alerts writes it)."""
    hid = HOUSEHOLDS["own"]["hid"]
    assert api.services.journal is not None
    (seq,) = api.services.journal.append(
        [
            NewFact(
                kind=kinds.DECILE_ALERT_RAISED,
                subject=hid,
                household_ids=(hid,),
                payload={"household_id": hid, "program": "BPNT", "from": 5, "to": 6},
            )
        ]
    )
    return f"DA-{seq}"


async def _cycle_for(api: Api, mutation: str) -> str:
    """A BPNT cycle opened by a social worker, approved by Dinsos when `mutation`
    re-checks it."""
    made = await api.data(
        'mutation { openProgramCycle(program: "BPNT", name: "Nov", periodStart: "2026-11-01", '
        'periodEnd: "2026-11-30") { id } }',
        WORKER,
    )
    cid = str(made["openProgramCycle"]["id"])
    if mutation == "recheckProgramCycle":
        await api.data(
            f'mutation {{ approveProgramCycle(id: "{cid}") {{ id }} }}',
            PRINCIPALS["dinsos_admin"],
        )
    api.audit.events.clear()
    return cid


async def _desk_item_for(api: Api, kind: str, which: str) -> str:
    """A service request (`sid`) or complaint (`gid`) about the own or other
    household, made at the front desk by a social worker."""
    hid = HOUSEHOLDS[which]["hid"]
    if kind == "sid":
        made = await api.data(
            "mutation($hid: ID!) { registerServiceRequest(request: "
            '{householdId: $hid, needs: ["food"]}) { id } }',
            WORKER,
            hid=hid,
        )
        item = str(made["registerServiceRequest"]["id"])
    else:
        made = await api.data(
            "mutation($hid: ID!) { fileGrievance(grievance: {kind: WRONG_DATA, "
            'householdId: $hid, text: "alamat salah"}) { id } }',
            WORKER,
            hid=hid,
        )
        item = str(made["fileGrievance"]["id"])
    api.audit.events.clear()
    return item


def _cases() -> list[Any]:
    return [
        pytest.param(name, role, which, id=f"{name}-{role}-{which}")
        for name, (_, _, named) in MUTATIONS.items()
        for role in ROLES
        for which in (("own", "other") if named else ("-",))
    ]


@pytest.mark.parametrize(("mutation", "role", "which"), _cases())
async def test_mutation_matrix(
    api: Api, related_city: Driver, mutation: str, role: str, which: str
) -> None:
    allowed, query, named = MUTATIONS[mutation]
    # a cycle's roster is its program's rule's; a complaint's finding its household's check
    if "ProgramCycle" in mutation or mutation == "actOnGrievance":
        api = replace(api, services=replace(api.services, rules=eligibility_rules()))
    hid = HOUSEHOLDS.get(which, HOUSEHOLDS["own"])["hid"]
    variables: dict[str, Any] = {"hid": hid} if "$hid" in query else {}
    if "$aid" in query:  # the assessment the city (or authz.EXTRAS) holds on it
        variables["aid"] = ASSESSMENT_OF[hid]
    if "$rid" in query:
        variables = {"rid": await _referral_for(api, role, which)}
    if "$cid" in query:
        variables = {"cid": await _change_request_for(api, mutation, which)}
    if "$did" in query:
        variables = {"did": _decile_alert(api)}
    if "$cyc" in query:
        variables = {"cyc": await _cycle_for(api, mutation)}
    for kind in ("sid", "gid"):
        if f"${kind}" in query:
            variables = {kind: await _desk_item_for(api, kind, which)}
    result = await api.run(query, PRINCIPALS[role], **variables)
    writes = [e for e in api.audit.events if e.operation == f"write:{mutation}"]
    if role not in allowed:
        assert error_code(result) == "FORBIDDEN", result.errors
        assert writes == []
        return
    if named and not related(role, which):
        assert error_code(result) in ("NOT_FOUND", "BAD_USER_INPUT"), result.errors
        assert (
            "householdId" in str(result.errors[0].extensions) or error_code(result) == "NOT_FOUND"
        )
        assert writes == []
        return
    assert result.errors is None, result.errors
    assert len(writes) == 1
    event = writes[0]
    assert (event.organization, event.role) == (PRINCIPALS[role].organization, role)
    if named:
        assert event.household_ids == (hid,)


async def test_foundation_records_only_services_it_funds(api: Api, related_city: Driver) -> None:
    query = (
        'mutation($f: String) { recordService(service: {householdId: "H1", '
        'program: "ZAKAT", serviceDate: "2026-11-03", funder: $f}) { funder } }'
    )
    foundation = PRINCIPALS["foundation"]
    denied = await api.run(query, foundation, f="APBN")
    assert error_code(denied) == "FORBIDDEN"
    own = await api.data(query, foundation, f="YAY-A")
    assert own["recordService"]["funder"] == "YAY-A"
    agency = await api.data(query, PRINCIPALS["agency"], f="APBN")
    assert agency["recordService"]["funder"] == "APBN"


async def test_writes_about_a_person_check_the_person(api: Api, related_city: Driver) -> None:
    foundation = PRINCIPALS["foundation"]
    hidden = await api.run(
        "mutation { fileChangeRequest(request: {kind: PERBAIKAN, "
        'personId: "P5", reason: "x"}) { id } }',
        foundation,
    )
    assert error_code(hidden) == "BAD_USER_INPUT"
    assert hidden.errors and hidden.errors[0].extensions["field"] == "request.personId"
    elsewhere = await api.run(
        'mutation { recordService(service: {householdId: "H1", '
        'personId: "P3", program: "ZAKAT", serviceDate: "2026-11-03"}) '
        "{ id } }",
        PRINCIPALS["dinsos_admin"],
    )
    assert elsewhere.errors and elsewhere.errors[0].extensions["field"] == "service.personId"
