"""Complaints (pengaduan) through the API on the tiny city: filed at the front
desk, acted on (a change request that reaches the month's report once
approved, a targeting finding, a case), answered; anonymity only for conduct;
who may see them; and the desk's figures in the API and the monthly report."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from city import city as tiny_city
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, Api, Principal
from neo4j import Driver

from connectors.reference import eligibility_rules
from domain import service_desk as desk
from domain.eligibility import load_rules
from graph.driver import GraphTarget
from graph.erasure import erase
from graph.repository import GraphRepository
from hub.journal_replay import replay_into
from hub.notify import OutboxSender
from journal import Journal, kinds
from reports.api_facts import stage

pytestmark = pytest.mark.anyio

HEAD = Principal("DINSOS", "dinsos_admin", subject="kepala-bidang")
FIELDS = """id number kind householdId anonymous text status history action linkedId answer
  escalation escalatedTo dueOn contactPhone filedBy"""
FILE = "mutation($g: GrievanceInput!) { fileGrievance(grievance: $g) { " + FIELDS + " } }"
ACT = (
    """mutation($id: ID!, $a: GrievanceAction!, $c: ChangeRequestInput, $n: [String!]) {
  actOnGrievance(id: $id, action: $a, changeRequest: $c, needs: $n) { """
    + FIELDS
    + " } }"
)
ANSWER = (
    "mutation($id: ID!, $t: String!) { answerGrievance(id: $id, answer: $t) { " + FIELDS + " } }"
)
ONE = "query($id: ID!) { grievance(id: $id) { " + FIELDS + " } }"
LIST = """query($k: GrievanceKind) { grievances(kind: $k) { totalCount edges { node { id } } } }"""
STEP = "mutation($id: ID!) {{ {name}(id: $id) {{ id status }} }}"
REQUEST = """query($id: ID!) { serviceRequest(id: $id) {
  id status grievanceId assignedTo contactPhone } }"""
SUMMARY = """query($f: Date!, $t: Date!) { serviceDeskSummary(from: $f, to: $t) {
  requests byNeed { key count } byKecamatan { key count } byStatus { key count }
  medianDaysToFirstAnswer medianDaysToEnd ended endedWithinSla shareEndedWithinSla
  grievances grievancesByKind { key count } grievancesEscalated
  stepSlaDays { key days } grievanceSlaDays { key days } } }"""


async def file(api: Api, **grievance: Any) -> dict[str, Any]:
    out: dict[str, Any] = (await api.data(FILE, WORKER, g=grievance))["fileGrievance"]
    return out


async def code(api: Api, query: str, who: Any, **variables: Any) -> str:
    result = await api.run(query, who, **variables)
    assert result.errors, f"expected an error, got {result.data}"
    return str(result.errors[0].extensions["code"])  # type: ignore[index]


def journal(api: Api) -> Journal:
    assert isinstance(api.services.journal, Journal)
    return api.services.journal


async def test_a_mistargeted_benefit_becomes_a_change_request_in_the_report(api: Api) -> None:
    filed = await file(
        api,
        kind="AID_TO_INELIGIBLE",
        householdId="H2",
        text="Keluarga ini sudah mampu, tetapi masih menerima PKH.",
    )
    assert (filed["status"], filed["escalation"], filed["escalatedTo"]) == ("FILED", 0, None)
    assert filed["number"].startswith(desk.GRIEVANCE_PREFIX + "-")
    # a change request without a reason is refused before the complaint moves
    blank = {"kind": "PENONAKTIFAN", "householdId": "H2", "reason": " "}
    assert await code(api, ACT, WORKER, id=filed["id"], a="CHANGE_REQUEST", c=blank) == (
        "BAD_USER_INPUT"
    )
    assert (await api.data(ONE, WORKER, id=filed["id"]))["grievance"]["status"] == "FILED"
    acted = (
        await api.data(
            ACT,
            WORKER,
            id=filed["id"],
            a="CHANGE_REQUEST",
            c={
                "kind": "PENONAKTIFAN",
                "householdId": "H2",
                "reason": "pengaduan: keluarga sudah mampu",
            },
        )
    )["actOnGrievance"]
    assert (acted["status"], acted["action"]) == ("ACTED", "CHANGE_REQUEST")
    change = acted["linkedId"]
    assert change.startswith("chg-")
    # acted on once only
    again = {"id": filed["id"], "a": "CASE", "n": ["income"]}
    assert await code(api, ACT, WORKER, **again) == "BAD_USER_INPUT"
    # the change request takes its own road: verified, approved, in the month's report
    for name, who in (("verifyChangeRequest", WORKER), ("approveChangeRequest", HEAD)):
        await api.data(STEP.format(name=name), who, id=change)
    con = duckdb.connect()
    now = dt.datetime.now(dt.UTC)
    stage(con, now - dt.timedelta(days=1), now + dt.timedelta(days=1), journal(api))
    approved = con.execute("SELECT request_id, kind, household_id FROM _rp_api_request").fetchall()
    assert approved == [(change, "penonaktifan", "H2")]
    answered = (
        await api.data(ANSWER, WORKER, id=filed["id"], t="Data keluarga sedang diperbaiki.")
    )["answerGrievance"]
    assert answered["status"] == "ANSWERED" and answered["history"] == [
        "FILED",
        "ACTED",
        "ANSWERED",
    ]
    assert await code(api, ANSWER, WORKER, id=filed["id"], t="lagi") == "BAD_USER_INPUT"
    facts = journal(api).read(0, 100, kinds=kinds.SERVICE_DESK)
    # acting is claimed first (one change request however many hands), then linked
    assert [f.kind for f in facts] == [
        kinds.GRIEVANCE_FILED,
        kinds.GRIEVANCE_ACTED,
        kinds.GRIEVANCE_ACTED,
        kinds.GRIEVANCE_ANSWERED,
    ]
    assert facts[1].payload["row"].get("linked_id") is None
    assert facts[2].payload["row"]["linked_id"] == answered["linkedId"]
    # tagged with its household, so erasure forgets it with the household
    assert all(f.household_ids == (filed["householdId"],) for f in facts)


async def test_a_case_opens_a_request_and_targeting_is_noted(api: Api) -> None:
    # a neighbour complains about H3, giving their own number
    case = await file(
        api,
        kind="AID_NOT_RECEIVED",
        householdId="H3",
        text="BPNT belum sampai.",
        contactPhone="081299998888",
    )
    opened = (await api.data(ACT, ADMIN, id=case["id"], a="CASE", n=["food"]))["actOnGrievance"]
    request = (await api.data(REQUEST, ADMIN, id=opened["linkedId"]))["serviceRequest"]
    assert request["grievanceId"] == case["id"] and request["assignedTo"] == "peksos.sukasari"
    # the case is H3's: the neighbour's number is not on it, and hears nothing of it
    assert request["contactPhone"] is None
    notifier = api.services.notifier
    assert isinstance(notifier, OutboxSender)
    told = [m for m in notifier.outbox.messages() if m["phone"] == "6281299998888"]
    assert [m["reference"] for m in told] == [case["number"], case["number"]]
    # acted on once: a second hand makes no second case
    assert await code(api, ACT, ADMIN, id=case["id"], a="CASE", n=["food"]) == "BAD_USER_INPUT"
    # a targeting finding needs the eligibility rules: without them nothing is acted on
    finding = await file(api, kind="AID_TO_INELIGIBLE", householdId="H1", text="Dobel sembako.")
    refused = {"id": finding["id"], "a": "TARGETING_FINDING"}
    assert await code(api, ACT, ADMIN, **refused) == "SERVICE_UNAVAILABLE"
    assert (await api.data(ONE, ADMIN, id=finding["id"]))["grievance"]["status"] == "FILED"


async def test_only_misconduct_is_anonymous_and_only_dinsos_sees_complaints(api: Api) -> None:
    anonymous = {"kind": "WRONG_DATA", "anonymous": True, "text": "salah"}
    assert await code(api, FILE, WORKER, g=anonymous) == "BAD_USER_INPUT"
    named = {"kind": "SERVICE_CONDUCT", "anonymous": True, "householdId": "H1", "text": "x"}
    assert await code(api, FILE, WORKER, g=named) == "BAD_USER_INPUT"
    made = await file(
        api,
        kind="SERVICE_CONDUCT",
        anonymous=True,
        text="Petugas meminta uang. Hubungi 0812-3456-7890.",
        contactPhone="+62 812 3456 7890",
    )
    assert made["anonymous"] is True and made["householdId"] is None
    # nobody reads who filed it or its contact: not even the one who filed it
    assert made["filedBy"] is None and made["contactPhone"] is None
    # a step it cannot take: it names no household to open a case for
    assert await code(api, ACT, HEAD, id=made["id"], a="CASE", n=["food"]) == "BAD_USER_INPUT"
    # a social worker (maybe the officer complained about) cannot read or act on it
    assert await code(api, ONE, WORKER, id=made["id"]) == "NOT_FOUND"
    assert await code(api, ANSWER, WORKER, id=made["id"], t="x") == "NOT_FOUND"
    mine = (await api.data(LIST, WORKER, k="SERVICE_CONDUCT"))["grievances"]
    assert mine["totalCount"] == 0
    seen = (await api.data(ONE, HEAD, id=made["id"]))["grievance"]
    assert seen["text"].startswith("Petugas meminta uang")
    assert seen["filedBy"] is None and seen["contactPhone"] is None
    for who in (YAY_A, ANALYST):
        assert await code(api, ONE, who, id=made["id"]) == "FORBIDDEN"
        assert await code(api, LIST, who) == "FORBIDDEN"
        assert await code(api, FILE, who, g={"kind": "WRONG_DATA", "text": "x"}) == "FORBIDDEN"
    listed = (await api.data(LIST, ADMIN, k="SERVICE_CONDUCT"))["grievances"]
    assert [e["node"]["id"] for e in listed["edges"]] == [made["id"]]
    # the journal keeps neither the contact nor the number typed into the text
    fact = journal(api).read(0, 10, kinds={kinds.GRIEVANCE_FILED})[0]
    assert "phone" not in fact.payload["row"]
    assert "0812-3456-7890" not in str(fact.payload)


async def test_the_desk_figures_for_the_head_of_dinsos(api: Api) -> None:
    register = """mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) {
      id } }"""
    end = """mutation($id: ID!) { endServiceRequest(id: $id, outcome: FULFILLED,
      reason: "Sudah dilayani.") { id } }"""
    ids = []
    for hid, needs in (("H1", ["food"]), ("H3", ["food", "PPKS24"]), ("H4", ["PPKS08"])):
        made = await api.data(register, WORKER, r={"householdId": hid, "needs": needs})
        ids.append(made["registerServiceRequest"]["id"])
    await api.data(end, WORKER, id=ids[0])
    await file(api, kind="WRONG_DATA", householdId="H1", text="alamat salah")
    today = desk.office_today()  # the period is in the office's days
    window = {"f": (today - dt.timedelta(days=30)).isoformat(), "t": today.isoformat()}
    got = (await api.data(SUMMARY, ADMIN, **window))["serviceDeskSummary"]
    assert got["requests"] == 3 and got["ended"] == 1 and got["endedWithinSla"] == 1
    assert got["shareEndedWithinSla"] == 1.0 and got["medianDaysToEnd"] is not None
    assert {c["key"]: c["count"] for c in got["byNeed"]} == {"PPKS08": 1, "PPKS24": 1, "food": 2}
    assert {c["key"]: c["count"] for c in got["byKecamatan"]} == {"327301": 2, "327302": 1}
    assert {c["key"]: c["count"] for c in got["byStatus"]} == {"ASSIGNED": 2, "ENDED": 1}
    assert got["grievancesByKind"] == [{"key": "WRONG_DATA", "count": 1}]
    assert {s["key"]: s["days"] for s in got["stepSlaDays"]} == dict(desk.STEP_SLA_DAYS)
    # an analyst reads the figures with small cells suppressed; a foundation not at all
    shown = (await api.data(SUMMARY, ANALYST, **window))["serviceDeskSummary"]
    assert shown["requests"] is None and shown["byNeed"][0]["count"] is None
    # and what is computed of small counts too: a share or a median of one request
    assert shown["ended"] is None and shown["shareEndedWithinSla"] is None
    assert shown["medianDaysToEnd"] is None and shown["medianDaysToFirstAnswer"] is None
    assert await code(api, SUMMARY, YAY_A, **window) == "FORBIDDEN"
    # the month's report holds the same figures, from the journal
    con = duckdb.connect()
    now = dt.datetime.now(dt.UTC)
    stage(con, now - dt.timedelta(days=30), now + dt.timedelta(days=1), journal(api))
    sheet = {
        (section, key): value
        for section, key, value in con.execute(
            "SELECT section, key, value FROM _rp_api_desk ORDER BY ord"
        ).fetchall()
    }
    assert sheet[("Permohonan", "jumlah")] == 3
    assert sheet[("Permohonan per kebutuhan", "food")] == 2
    assert sheet[("Selesai", "dalam SLA")] == 1
    assert sheet[("Pengaduan per jenis", "WRONG_DATA")] == 1


async def test_complaints_reach_the_feed_of_those_who_read_them_only(api: Api) -> None:
    feed = "query { feed(first: 100) { events { kind householdIds } } }"
    await file(api, kind="WRONG_DATA", householdId="H1", text="alamat salah")
    await file(api, kind="SERVICE_CONDUCT", anonymous=True, text="petugas kasar")

    async def seen(who: Any) -> list[tuple[str, list[str]]]:
        events = (await api.data(feed, who))["feed"]["events"]
        return [(e["kind"], e["householdIds"]) for e in events if e["kind"].startswith("grie")]

    # the head of Dinsos reads both; the household's tag lets erasure forget the first
    assert await seen(HEAD) == [(kinds.GRIEVANCE_FILED, ["H1"]), (kinds.GRIEVANCE_FILED, [])]
    # a social worker not the conduct complaint; YAY-A (which serves H1) neither
    assert await seen(WORKER) == [(kinds.GRIEVANCE_FILED, ["H1"])]
    assert await seen(YAY_A) == []


# --- a complaint made a targeting finding (issue 12) -------------------------------
REPORTED = """id grievanceNumber grievanceKind householdId checkedFrom checkedTo fieldCheck
  explanation findings { kind programs rule explanation enrolled
    conditions { name held explanation } services { id } }"""
ACT_FINDING = (
    """mutation($id: ID!) { actOnGrievance(id: $id, action: TARGETING_FINDING) {
  status action linkedId reportedFinding { """
    + REPORTED
    + " } } }"
)
REPORTED_LIST = (
    "query($h: ID) { reportedFindings(household: $h) { totalCount edges { node { "
    + REPORTED
    + " } } } }"
)
CITY_FINDINGS = """query($f: Date!, $t: Date!, $after: String) {
  targetingFindings(from: $f, to: $t, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { household { id } kind programs rule explanation enrolled
      conditions { name held explanation } services { id } } } } }"""


def ruled(api: Api) -> Api:
    """The tiny city's API with the catalogue's eligibility rules loaded."""
    return replace(api, services=replace(api.services, rules=eligibility_rules()))


async def city_findings(api: Api, start: str, end: str) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        page = (await api.data(CITY_FINDINGS, ADMIN, f=start, t=end, after=after))[
            "targetingFindings"
        ]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_a_complaint_about_aid_to_the_ineligible_becomes_its_targeting_finding(
    api: Api,
) -> None:
    api = ruled(api)
    filed = await file(
        api, kind="AID_TO_INELIGIBLE", householdId="H2", text="Sudah mampu, masih dapat PKH."
    )
    acted = (await api.data(ACT_FINDING, WORKER, id=filed["id"]))["actOnGrievance"]
    reported = acted["reportedFinding"]
    assert (acted["status"], acted["action"]) == ("ACTED", "TARGETING_FINDING")
    assert acted["linkedId"] == reported["id"] and reported["id"].startswith("rpf-")
    assert (reported["grievanceNumber"], reported["grievanceKind"]) == (
        filed["number"],
        "AID_TO_INELIGIBLE",
    )
    assert reported["checkedTo"] == desk.office_today().isoformat()
    # the household's findings as the city's targeting findings give them, same period
    city = await city_findings(api, reported["checkedFrom"], reported["checkedTo"])
    own = [{k: v for k, v in f.items() if k != "household"} for f in city]
    own = [f for f, c in zip(own, city, strict=True) if c["household"]["id"] == "H2"]
    assert reported["findings"] == own and not reported["fieldCheck"]
    # the planted inclusion error (PKH, H2) names the rule conditions that failed
    (pkh,) = [
        f for f in reported["findings"] if (f["kind"], f["programs"]) == ("INCLUSION", ["PKH"])
    ]
    failed = [c for c in pkh["conditions"] if not c["held"]]
    assert failed and all(c["explanation"] in pkh["explanation"] for c in failed)
    assert pkh["explanation"] in reported["explanation"]
    # read where targeting findings are read, and on the complaint
    listed = (await api.data(REPORTED_LIST, ADMIN, h="H2"))["reportedFindings"]
    assert [e["node"]["id"] for e in listed["edges"]] == [reported["id"]]
    assert (await api.data(REPORTED_LIST, ADMIN, h="H1"))["reportedFindings"]["totalCount"] == 0
    for who in (YAY_A, ANALYST):
        assert await code(api, REPORTED_LIST, who) == "FORBIDDEN"
    # journaled with its household and the complaint's number
    (fact,) = journal(api).read(0, 100, kinds={kinds.REPORTED_FINDING_RECORDED})
    assert fact.household_ids == ("H2",)
    assert fact.payload["row"]["grievance_number"] == filed["number"]
    # on the feed for Dinsos' roles only, as complaints
    feed = "query { feed(first: 100) { events { kind householdIds } } }"
    for who, shown in ((HEAD, True), (YAY_A, False)):
        events = (await api.data(feed, who))["feed"]["events"]
        found = [e for e in events if e["kind"] == kinds.REPORTED_FINDING_RECORDED]
        assert found == (
            [{"kind": kinds.REPORTED_FINDING_RECORDED, "householdIds": ["H2"]}] if shown else []
        )
    # a fresh graph gets it back from the journal, linked to its complaint
    await api.counter.execute_query("MATCH (f:ReportedFinding) DETACH DELETE f")
    repo = api.services.repository
    assert isinstance(repo, GraphRepository)
    assert (await replay_into(repo, journal(api))).rows["reported_findings"] == 1
    back = (
        await api.data(
            ONE.replace("filedBy", "filedBy reportedFinding { " + REPORTED + " }"),
            ADMIN,
            id=filed["id"],
        )
    )["grievance"]["reportedFinding"]
    assert back == reported
    assert (await replay_into(repo, journal(api))).rows["reported_findings"] == 0


async def test_a_complaint_the_rules_find_nothing_in_is_to_be_checked_in_the_field(
    api: Api, tmp_path: Path
) -> None:
    # one rule nobody meets, of a program nobody gets: only duplicated aid is found
    rules = tmp_path / "eligibility.toml"
    rules.write_text(
        'version = "uji"\n[condition.desil]\nwhen = "decile != null && decile <= decile_max"\n'
        'held = "ya"\nfailed = "tidak"\nheld_en = "yes"\nfailed_en = "no"\n'
        '[[rule]]\nprogram = "PROGRAM-UJI"\nversion = "1"\nvalid_from = 2020-01-01\n'
        'when = "desil"\nparams = { decile_max = 0 }\n'
    )
    api = replace(api, services=replace(api.services, rules=load_rules(rules)))
    start, end = desk.finding_check_period(desk.office_today())
    found = {f["household"]["id"] for f in await city_findings(api, str(start), str(end))}
    clean = sorted({h["household_id"] for h in tiny_city()["households"].to_pylist()} - found)
    assert clean, "the tiny city has a household without duplicated aid"
    filed = await file(api, kind="AID_NOT_RECEIVED", householdId=clean[0], text="Belum dapat.")
    reported = (await api.data(ACT_FINDING, ADMIN, id=filed["id"]))["actOnGrievance"][
        "reportedFinding"
    ]
    assert reported["fieldCheck"] is True and reported["findings"] == []
    assert reported["explanation"] == desk.NO_RULE_FINDING


async def test_a_reported_finding_is_erased_with_its_household(
    api: Api, city_graph: Driver, graph_target: GraphTarget
) -> None:
    api = ruled(api)
    filed = await file(api, kind="AID_TO_INELIGIBLE", householdId="H2", text="Sudah mampu.")
    await api.data(ACT_FINDING, WORKER, id=filed["id"])
    assert (await api.data(REPORTED_LIST, ADMIN, h="H2"))["reportedFindings"]["totalCount"] == 1
    counts = erase(city_graph, graph_target.database, record_keys=[], persons=[], households=["H2"])
    assert counts["service_desk"] == 2  # the complaint and its finding
    assert (await api.data(REPORTED_LIST, ADMIN))["reportedFindings"]["totalCount"] == 0
