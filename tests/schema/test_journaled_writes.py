"""Every API write is a journal fact (kind, ids, organization, actor, the row
without names or numbers), and the graph can be rebuilt from the journal:
`hub.journal_replay` writes the API's rows back, once, however often it runs."""

from __future__ import annotations

from typing import Any

import pytest
from gqlkit import ADMIN, WORKER, YAY_A, YAY_B, Api, Principal
from neo4j import Driver

from graph.repository import GraphRepository
from hub.journal_replay import replay_into
from journal import Journal, kinds
from schema.journaling import IDENTIFYING

pytestmark = pytest.mark.anyio

WRITES = (
    (
        "recordService",
        YAY_A,
        """mutation { recordService(service: {householdId: "H1",
        personId: "P1", program: "SANTUNAN-YAYASAN", serviceDate: "2026-11-02",
        amount: 50000}) { id } }""",
    ),
    (
        "enrolHousehold",
        ADMIN,
        """mutation { enrolHousehold(enrolment: {householdId: "H3",
        program: "PKH", since: "2026-11-01"}) { programCode } }""",
    ),
    (
        "recordAssessment",
        WORKER,
        """mutation { recordAssessment(assessment: {householdId: "H3",
        assessedOn: "2026-11-01", ppks: ["PPKS24"], plan: "PKH",
        notes: "NIK 3273010202700004 checked"}) { id } }""",
    ),
    (
        "createReferral",
        YAY_A,
        """mutation { createReferral(referral: {householdId: "H1",
        toOrganization: "YAY-B", program: "SEMBAKO-YAYASAN"}) { id } }""",
    ),
)
HEAD = Principal("DINSOS", "dinsos_admin", subject="kepala-bidang")
ADVANCE = """mutation($id: ID!) { advanceReferral(id: $id, status: ACCEPTED) { id status } }"""
#: what the replay must bring back, as Cypher counting the API's nodes
API_NODES = """MATCH (n) WHERE n:Service AND n.service_id STARTS WITH 'svc-'
  OR n:Assessment AND n.assessment_id STARTS WITH 'asm-'
  OR n:Referral AND n.referral_id STARTS WITH 'ref-'
  OR n:ChangeRequest RETURN labels(n)[0] AS label, properties(n) AS props ORDER BY label"""


async def write_everything(api: Api) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, who, query in WRITES:
        out[name] = (await api.data(query, who))[name]
    referral = out["createReferral"]["id"]
    out["advanceReferral"] = (await api.data(ADVANCE, YAY_B, id=referral))["advanceReferral"]
    return out


def journal_of(api: Api) -> Journal:
    assert isinstance(api.services.journal, Journal)
    return api.services.journal


async def test_each_write_appends_its_fact_first(api: Api) -> None:
    done = await write_everything(api)
    facts = journal_of(api).read(0, 100)
    assert [f.kind for f in facts] == [
        kinds.SERVICE_RECORDED,
        kinds.ENROLMENT_RECORDED,
        kinds.ASSESSMENT_RECORDED,
        kinds.REFERRAL_CREATED,
        kinds.REFERRAL_MOVED,
    ]
    service, enrolment, assessment, referral, moved = facts
    assert (service.household_ids, service.person_ids, service.organization, service.actor) == (
        ("H1",),
        ("P1",),
        "YAY-A",
        "tester",
    )
    assert service.subject == done["recordService"]["id"]
    assert (
        service.payload["program"],
        service.payload["service_date"],
        service.payload["amount"],
    ) == ("SANTUNAN-YAYASAN", "2026-11-02", 50000.0)
    assert (enrolment.household_ids, enrolment.payload["program"], enrolment.subject) == (
        ("H3",),
        "PKH",
        "H3:PKH",
    )
    # a special-category finding is kept for the replay only, not in the summary
    assert "ppks" not in assessment.payload and assessment.payload["row"]["ppks"] == ["PPKS24"]
    assert assessment.payload["row"]["notes"] == "NIK 3273**********04 checked"
    assert (referral.payload["to_org"], moved.payload["status"], moved.organization) == (
        "YAY-B",
        "ACCEPTED",
        "YAY-B",
    )
    assert moved.payload["row"]["history"] == ["OPEN", "ACCEPTED"]
    for f in facts:
        assert f.origin == "api" and not IDENTIFYING & set(f.payload["row"])


async def test_the_graph_is_rebuilt_from_the_journal(api: Api, city_graph: Driver) -> None:
    await write_everything(api)
    rid = (
        await api.data(
            """mutation { fileChangeRequest(request: {kind: PENONAKTIFAN,
        personId: "P2", reason: "moved away"}) { id } }""",
            YAY_A,
        )
    )["fileChangeRequest"]["id"]
    for name, who in (
        ("verifyChangeRequest", WORKER),
        ("approveChangeRequest", HEAD),
        ("applyChangeRequest", ADMIN),
    ):
        await api.data(f'mutation {{ {name}(id: "{rid}") {{ status }} }}', who)

    def api_nodes() -> list[dict[str, Any]]:
        return [dict(r) for r in city_graph.execute_query(API_NODES).records]

    written = api_nodes()
    assert [r["label"] for r in written] == ["Assessment", "ChangeRequest", "Referral", "Service"]
    # a fresh graph: the API's nodes, the enrolment and the withdrawal are gone
    city_graph.execute_query(
        "MATCH (n) WHERE n:Service AND n.service_id STARTS WITH 'svc-' OR n:Assessment "
        "OR n:Referral OR n:ChangeRequest DETACH DELETE n"
    )
    city_graph.execute_query(
        "MATCH (:Household {household_id: 'H3'})-[e:ENROLLED_IN]->(:Program {code: 'PKH'}) DELETE e"
    )
    city_graph.execute_query("MATCH (p:Person {person_id: 'P2'}) SET p.status = 'active'")
    repo = api.services.repository
    assert isinstance(repo, GraphRepository)
    report = await replay_into(repo, journal_of(api))
    assert report.rows == {
        "services": 1,
        "enrolments": 1,
        "assessments": 1,
        "referrals": 1,
        "change_requests": 1,
        "service_requests": 0,
        "grievances": 0,
        "reported_findings": 0,
    }
    assert report.applied == 1 and report.left_out == 0
    rebuilt = api_nodes()
    assert [r["label"] for r in rebuilt] == [r["label"] for r in written]
    for before, after in zip(written, rebuilt, strict=True):
        same = {k for k in before["props"] if k not in ("row_hash", "notes")}
        assert {k: after["props"].get(k) for k in same} == {k: before["props"][k] for k in same}
    # free text comes back with the identifiers typed into it masked (the journal keeps none)
    assert rebuilt[0]["props"]["notes"] == "NIK 3273**********04 checked"
    h3 = await api.data('{ household(id: "H3") { currentPrograms { programCode } } }', ADMIN)
    assert "PKH" in [p["programCode"] for p in h3["household"]["currentPrograms"]]
    p2 = await api.data('{ person(id: "P2") { status } }', ADMIN)
    assert p2["person"]["status"] == "withdrawn"
    h1 = await api.data('{ household(id: "H1") { referrals { status history } } }', ADMIN)
    assert [
        (r["status"], r["history"])
        for r in h1["household"]["referrals"]
        if r["history"] == ["OPEN", "ACCEPTED"]
    ] == [("ACCEPTED", ["OPEN", "ACCEPTED"])]
    # again: nothing more
    again = await replay_into(repo, journal_of(api))
    assert [r["label"] for r in api_nodes()] == [r["label"] for r in written]
    assert set(again.rows.values()) == {0}
    # a row the graph holds is never put back to the journal's copy: not the
    # masked free text, not an older status written while a load ran
    city_graph.execute_query(
        "MATCH (a:Assessment) WHERE a.notes IS NOT NULL "
        "SET a.notes = 'NIK 3273010101900004 checked (edited)'"
    )
    city_graph.execute_query(
        "MATCH (r:Referral) WHERE r.history = ['OPEN', 'ACCEPTED'] "
        "SET r.status = 'COMPLETED', r.history = r.history + 'COMPLETED'"
    )
    await replay_into(repo, journal_of(api))
    kept = {r["label"]: r["props"] for r in api_nodes()}
    assert kept["Assessment"]["notes"] == "NIK 3273010101900004 checked (edited)"
    assert kept["Referral"]["status"] == "COMPLETED"


async def test_a_referral_referred_onward_is_rebuilt_with_its_link(
    api: Api, city_graph: Driver
) -> None:
    made = await api.data(
        """mutation { createReferral(referral: {householdId: "H2",
        toOrganization: "YAY-A"}) { id } }""",
        WORKER,
    )
    rid = made["createReferral"]["id"]
    await api.data(
        """mutation($id: ID!) { referOnward(id: $id, toOrganization: "YAY-B",
        note: "eye care") { onward { id } } }""",
        YAY_A,
        id=rid,
    )
    links = """MATCH (r:Referral)-[:CONCERNS]->(:Household {household_id: 'H2'})
      WHERE r.referral_id STARTS WITH 'ref-' RETURN r.referral_id AS id, r.status AS status,
      r.onward_from AS onward_from, r.onward_to AS onward_to, r.onward_org AS onward_org,
      [(r)-[:TO]->(o) | o.id] AS to ORDER BY id"""

    def stored() -> list[dict[str, Any]]:
        return [dict(r) for r in city_graph.execute_query(links).records]

    written = stored()
    assert sorted((r["status"], r["onward_org"]) for r in written) == [
        ("OPEN", None),
        ("REFERRED_ONWARD", "YAY-B"),
    ]
    city_graph.execute_query(
        "MATCH (r:Referral) WHERE r.referral_id STARTS WITH 'ref-' DETACH DELETE r"
    )
    repo = api.services.repository
    assert isinstance(repo, GraphRepository)
    report = await replay_into(repo, journal_of(api))
    assert report.rows["referrals"] == 2
    assert stored() == written
