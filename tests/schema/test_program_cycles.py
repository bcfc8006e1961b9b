"""Program cycles on the tiny city of tests/graph/city.py in a real Neo4j, with
the catalogue's rules: a roster frozen when approved stays as approved through
a decile corrected by a change request, edits to the graph and a new rule
version, while the re-check lists each difference word for word; four eyes;
who sees what; every step journaled and audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import duckdb
import pytest
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, Api, Principal
from neo4j.exceptions import ServiceUnavailable

from connectors.reference import eligibility_rules
from journal import Journal, kinds
from reports.api_facts import stage
from reports.queries import Period

pytestmark = pytest.mark.anyio

#: a second Dinsos administrator: the opener of a cycle does not approve it
HEAD = Principal("DINSOS", "dinsos_admin", subject="kepala-bidang")
#: ADMIN and WORKER are both the subject "tester": one person in two roles

CYCLE = """id program name periodStart periodEnd status ruleVersion openedBy approvedBy
  households members"""
OPEN = (
    "mutation($p: String!, $s: Date!, $e: Date!) { openProgramCycle(program: $p, "
    'name: "November 2026", periodStart: $s, periodEnd: $e) { ' + CYCLE + " } }"
)
APPROVE = "mutation($id: ID!) { approveProgramCycle(id: $id) { " + CYCLE + " } }"
ROSTER = """query($id: ID!, $after: String) { programCycle(id: $id) { status households
  roster(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor }
    edges { node { householdId eligible ruleVersion members
      facts { decile members ppks } conditions { name held explanation } } } } } }"""
RECHECK = """mutation($id: ID!, $on: Date) { recheckProgramCycle(id: $id, on: $on) {
  on ruleVersion cycle { households }
  differences { householdId kind explanation changes { fact then now }
    conditions { name held } } } }"""
FILE = """mutation($c: ChangeRequestInput!) { fileChangeRequest(request: $c) { id } }"""
STEP = "mutation($id: ID!) {{ {name}(id: $id) {{ status }} }}"


@pytest.fixture
def cycled(api: Api) -> Api:
    """The tiny city's API with the catalogue's rules."""
    return replace(api, services=replace(api.services, rules=eligibility_rules()))


async def opened(api: Api, program: str, who: Any = WORKER) -> dict[str, Any]:
    got: dict[str, Any] = (await api.data(OPEN, who, p=program, s="2026-11-01", e="2026-11-30"))[
        "openProgramCycle"
    ]
    return got


async def approved(api: Api, program: str) -> dict[str, Any]:
    cycle = await opened(api, program)
    got: dict[str, Any] = (await api.data(APPROVE, HEAD, id=cycle["id"]))["approveProgramCycle"]
    return got


async def roster(api: Api, cycle_id: str) -> list[dict[str, Any]]:
    found, after = [], None
    while True:
        page = (await api.data(ROSTER, WORKER, id=cycle_id, after=after))["programCycle"]["roster"]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def rechecked(api: Api, cycle_id: str, on: str) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = (await api.data(RECHECK, WORKER, id=cycle_id, on=on))[
        "recheckProgramCycle"
    ]["differences"]
    return got


async def correct_decile(api: Api, household: str, decile: int) -> None:
    """A perbaikan of the household's decile, filed, verified, approved and applied."""
    request = {
        "kind": "PERBAIKAN",
        "householdId": household,
        "reason": "DTSEN pemutakhiran",
        "changes": {"welfareDecile": decile},
    }
    rid = (await api.data(FILE, WORKER, c=request))["fileChangeRequest"]["id"]
    for name, who in (
        ("verifyChangeRequest", WORKER),
        ("approveChangeRequest", HEAD),
        ("applyChangeRequest", HEAD),
    ):
        await api.data(STEP.format(name=name), who, id=rid)


async def test_an_approved_roster_stays_frozen_while_the_recheck_lists_what_changed(
    cycled: Api, neo4j_driver: Any, graph_target: Any
) -> None:
    draft = await opened(cycled, "BPNT")
    assert (draft["status"], draft["ruleVersion"], draft["households"]) == ("DRAFT", "2024.1", None)
    cycle = (await cycled.data(APPROVE, HEAD, id=draft["id"]))["approveProgramCycle"]
    assert (cycle["status"], cycle["approvedBy"], cycle["openedBy"]) == (
        "APPROVED",
        "kepala-bidang",
        "tester",
    )
    assert (cycle["households"], cycle["members"]) == (4, 5)
    frozen = await roster(cycled, cycle["id"])
    assert [(e["householdId"], e["facts"]["decile"]) for e in frozen] == [
        ("H1", 1),
        ("H2", 2),
        ("H3", 1),
        ("H4", 5),
    ]
    assert all(e["eligible"] and e["ruleVersion"] == "2024.1" for e in frozen)

    # the registry changes: H2's decile corrected to 6, H1 no longer active
    await correct_decile(cycled, "H2", 6)
    neo4j_driver.execute_query(
        "MATCH (h:Household {household_id: 'H1'}) SET h.status = 'moved'",
        database_=graph_target.database,
    )
    assert await roster(cycled, cycle["id"]) == frozen
    differences = await rechecked(cycled, cycle["id"], "2026-12-01")
    assert [(d["householdId"], d["kind"]) for d in differences] == [
        ("H1", "GONE"),
        ("H2", "NOW_INELIGIBLE"),
    ]
    assert differences[0]["explanation"] == (
        "Keluarga tidak lagi ada di registri aktif (digabung, pindah atau dihapus)."
    )
    assert differences[1]["explanation"] == (
        "Keluarga tidak lagi memenuhi syarat BPNT menurut aturan 2024.1. "
        "Keluarga berada di desil 6, di luar batas desil 1 sampai 5. "
        "Desil berubah dari 2 menjadi 6."
    )
    assert differences[1]["changes"] == [{"fact": "decile", "then": "2", "now": "6"}]
    assert differences[1]["conditions"] == [{"name": "desil", "held": False}]

    # a new rule version from December (BPNT for deciles 1 to 1): the roster keeps
    # the version it was approved under; the re-check judges by the new one
    book = cycled.services.rules
    assert book is not None
    old = book.rule("BPNT", date(2026, 11, 1))
    assert old is not None
    new = replace(
        book.what_if("BPNT", date(2026, 11, 1), params={"decile_max": 1}),
        version="2026.12",
        valid_from=date(2026, 12, 1),
        valid_to=None,
    )
    ended = replace(old, valid_to=date(2026, 11, 30))
    rules = (*(r for r in book.rules if r is not old), ended, new)
    changed = replace(cycled, services=replace(cycled.services, rules=replace(book, rules=rules)))
    assert await roster(changed, cycle["id"]) == frozen
    later = await rechecked(changed, cycle["id"], "2026-12-01")
    assert [(d["householdId"], d["kind"], d["explanation"]) for d in later[1:]] == [
        (
            "H2",
            "NOW_INELIGIBLE",
            "Keluarga tidak lagi memenuhi syarat BPNT menurut aturan 2026.12. "
            "Keluarga berada di desil 6, di luar batas desil 1 sampai 1. "
            "Desil berubah dari 2 menjadi 6.",
        ),
        (
            "H4",
            "NOW_INELIGIBLE",
            "Keluarga tidak lagi memenuhi syarat BPNT menurut aturan 2026.12. "
            "Keluarga berada di desil 5, di luar batas desil 1 sampai 1.",
        ),
    ]
    # before December the rule it was approved under still holds
    assert [d["kind"] for d in await rechecked(changed, cycle["id"], "2026-11-30")] == [
        "GONE",
        "NOW_INELIGIBLE",
    ]


async def test_the_recheck_finds_the_newly_eligible_and_changed_facts(
    cycled: Api, neo4j_driver: Any, graph_target: Any
) -> None:
    cycle = await approved(cycled, "BANSOS-LANSIA-KOTA")
    assert [e["householdId"] for e in await roster(cycled, cycle["id"])] == ["H4"]
    neo4j_driver.execute_query(
        "MATCH (p3:Person {person_id: 'P4'}), (p5:Person {person_id: 'P5'}), "
        "(lansia:Problem {code: 'PPKS08'}), (poor:Problem {code: 'PPKS24'}) "
        "MERGE (p3)-[:HAS_PROBLEM]->(lansia) MERGE (p5)-[:HAS_PROBLEM]->(poor)",
        database_=graph_target.database,
    )
    differences = await rechecked(cycled, cycle["id"], "2026-12-01")
    assert [(d["householdId"], d["kind"], d["explanation"]) for d in differences] == [
        (
            "H3",
            "NEWLY_ELIGIBLE",
            "Keluarga kini memenuhi syarat BANSOS-LANSIA-KOTA menurut aturan 2024.1, "
            "tetapi tidak ada dalam daftar siklus ini.",
        ),
        (
            "H4",
            "FACTS_CHANGED",
            "Keluarga masih memenuhi syarat BANSOS-LANSIA-KOTA, tetapi datanya berubah. "
            "Masalah kesejahteraan sosial (PPKS) berubah dari PPKS08 menjadi PPKS08, PPKS24.",
        ),
    ]
    assert differences[0]["conditions"] == [
        {"name": "desil", "held": True},
        {"name": "lansia_terlantar", "held": True},
    ]


async def test_four_eyes_and_who_takes_which_step(cycled: Api) -> None:
    cycle = await opened(cycled, "BPNT", WORKER)
    same = await cycled.run(APPROVE, ADMIN, id=cycle["id"])  # the opener, as administrator
    assert same.errors and same.errors[0].message == (
        "id: the cycle was opened by you; another person approves it (four eyes)."
    )
    worker = await cycled.run(
        APPROVE, Principal("DINSOS", "social_worker", "pekerja-2"), id=cycle["id"]
    )
    assert worker.errors and worker.errors[0].extensions["code"] == "FORBIDDEN"
    assert "dinsos_admin does" in worker.errors[0].message
    draft = await cycled.run(RECHECK, WORKER, id=cycle["id"])
    assert draft.errors and "approve it first" in draft.errors[0].message
    await cycled.data(APPROVE, HEAD, id=cycle["id"])
    again = await cycled.run(APPROVE, HEAD, id=cycle["id"])
    # an approved cycle moves on only to DISTRIBUTED (`distributeProgramCycle`)
    assert again.errors and again.errors[0].message.startswith(
        "id: a program cycle that is APPROVED moves to DISTRIBUTED"
    )
    for who in (ANALYST, YAY_A):
        refused = await cycled.run(OPEN, who, p="BPNT", s="2026-11-01", e="2026-11-30")
        assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"
    no_rule = await cycled.run(OPEN, WORKER, p="RUTILAHU", s="2026-11-01", e="2026-11-30")
    assert no_rule.errors and no_rule.errors[0].message == (
        "program: RUTILAHU has no eligibility rule valid on 2026-11-01."
    )


LIST = (
    """{ programCycles { totalCount edges { node { id program status households members } } } }"""
)


async def test_analysts_see_counts_only_and_every_step_is_journaled_and_audited(
    cycled: Api,
) -> None:
    cycle = await approved(cycled, "BPNT")
    await rechecked(cycled, cycle["id"], "2026-11-15")
    await roster(cycled, cycle["id"])
    (seen,) = (await cycled.data(LIST, ANALYST))["programCycles"]["edges"]
    assert (seen["node"]["households"], seen["node"]["members"]) == (None, None)  # under 5
    (whole,) = (await cycled.data(LIST, ADMIN))["programCycles"]["edges"]
    assert whole["node"]["households"] == 4
    hidden = await cycled.run(ROSTER, ANALYST, id=cycle["id"])
    assert hidden.errors and hidden.errors[0].extensions["code"] == "FORBIDDEN"
    refused = await cycled.run(LIST, YAY_A)
    assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"

    journal = cycled.services.journal
    assert isinstance(journal, Journal)
    facts = journal.read(
        kinds=[
            kinds.PROGRAM_CYCLE_OPENED,
            kinds.PROGRAM_CYCLE_APPROVED,
            kinds.PROGRAM_CYCLE_RECHECKED,
        ]
    )
    assert [(f.kind, f.subject, f.household_ids) for f in facts] == [
        (kinds.PROGRAM_CYCLE_OPENED, cycle["id"], ()),
        (kinds.PROGRAM_CYCLE_APPROVED, cycle["id"], ()),
        (kinds.PROGRAM_CYCLE_RECHECKED, cycle["id"], ()),
    ]
    assert facts[1].payload["households"] == 4 and len(facts[1].payload["roster_digest"]) == 64
    assert facts[2].payload["differences"] == {
        "NOW_INELIGIBLE": 0,
        "NEWLY_ELIGIBLE": 0,
        "FACTS_CHANGED": 0,
        "GONE": 0,
    }
    reads = [e for e in cycled.audit.events if e.operation == "read:programCycle.roster"]
    assert reads and {h for e in reads for h in e.household_ids} == {"H1", "H2", "H3", "H4"}
    assert all(e.purpose == "test" for e in reads)
    writes = [e for e in cycled.audit.events if e.operation == "write:approveProgramCycle"]
    assert [sorted(e.household_ids) for e in writes] == [["H1", "H2", "H3", "H4"]]


DISTRIBUTE = """mutation($id: ID!, $on: Date!, $amount: Float!, $skip: [ID!]) {
  distributeProgramCycle(id: $id, paidOn: $on, amount: $amount, notPaid: $skip) {
    status distributedBy paidOn funder paidHouseholds paidAmount households } }"""
CLOSE = """mutation($id: ID!) { closeProgramCycle(id: $id, note: "tahap selesai") {
  status closedBy paidHouseholds } }"""
PAID = """query($id: ID!) { household(id: $id) { serviceHistory { program amount serviceDate
  funder } } }"""


async def test_a_cycle_is_paid_out_against_its_roster_then_closed(cycled: Api) -> None:
    cycle = await approved(cycled, "BPNT")  # WORKER opened it, HEAD approved it
    roster = [
        e["node"]["householdId"]
        for e in (await cycled.data(ROSTER, ADMIN, id=cycle["id"]))["programCycle"]["roster"][
            "edges"
        ]
    ]
    total = cycle["households"]
    assert total >= 2
    args = {"id": cycle["id"], "on": "2026-11-20", "amount": 200000.0}
    # four eyes: the approver does not pay it out; a payment is within the period and
    # only to households on the roster
    for who, more, message in (
        (HEAD, {}, "another person pays it out"),
        (ADMIN, {"on": "2026-12-01"}, "within its period"),
        (ADMIN, {"skip": ["H-NOT-ON-IT"]}, "not on the cycle's roster"),
        (WORKER, {}, "social_worker"),
    ):
        refused = await cycled.run(DISTRIBUTE, who, **{**args, **more})
        assert refused.errors and message in refused.errors[0].message, refused.errors
    skipped = roster[0]
    done = (await cycled.data(DISTRIBUTE, ADMIN, **args, skip=[skipped]))["distributeProgramCycle"]
    assert done["status"] == "DISTRIBUTED" and done["funder"] == "APBN"
    assert done["paidHouseholds"] == total - 1 and done["paidAmount"] == 200000.0 * (total - 1)
    # each payment is a service of the program in the household's history (not the skipped)
    paid = roster[1]
    history = (await cycled.data(PAID, ADMIN, id=paid))["household"]["serviceHistory"]
    assert {"program": "BPNT", "amount": 200000.0, "serviceDate": "2026-11-20"} | {
        "funder": "APBN"
    } in history
    skipped_history = (await cycled.data(PAID, ADMIN, id=skipped))["household"]["serviceHistory"]
    assert "2026-11-20" not in {s["serviceDate"] for s in skipped_history}
    # ...journaled as any service, so the report stages it as spending of APBN on BPNT
    journal = cycled.services.journal
    assert isinstance(journal, Journal)
    con = duckdb.connect()
    period = Period.current()  # the office's month now: the payments just journaled are in it
    stage(con, period.starts_at, period.ends_at, journal)
    staged = con.execute(
        "SELECT count(*), sum(amount) FROM _rp_api_service WHERE program = 'BPNT' "
        "AND funder = 'APBN' AND service_date = DATE '2026-11-20'"
    ).fetchone()
    assert staged == (total - 1, 200000.0 * (total - 1))
    again = await cycled.run(DISTRIBUTE, ADMIN, **args)
    assert again.errors and "DISTRIBUTED" in again.errors[0].message
    # closing: not by the one who recorded the distribution; then it moves no further
    refused = await cycled.run(CLOSE, ADMIN, id=cycle["id"])
    assert refused.errors and "another person closes it" in refused.errors[0].message
    closed = (await cycled.data(CLOSE, HEAD, id=cycle["id"]))["closeProgramCycle"]
    assert closed == {"status": "CLOSED", "closedBy": "kepala-bidang", "paidHouseholds": total - 1}
    after = await cycled.run(CLOSE, HEAD, id=cycle["id"])
    assert after.errors and "moves no further" in after.errors[0].message
    steps = [
        f.kind
        for f in journal.read(kinds=[kinds.PROGRAM_CYCLE_DISTRIBUTED, kinds.PROGRAM_CYCLE_CLOSED])
    ]
    assert steps == [kinds.PROGRAM_CYCLE_DISTRIBUTED, kinds.PROGRAM_CYCLE_CLOSED]
    (fact,) = journal.read(kinds=[kinds.PROGRAM_CYCLE_DISTRIBUTED])
    assert fact.household_ids == () and fact.payload["paid_households"] == total - 1


class _GraphDownOnce:
    """The real repository, whose first write fails as the driver does when
    Neo4j goes away (an injected failure: stopping the shared test server, or a
    constraint the service rows would break, is not available here)."""

    def __init__(self, repository: Any) -> None:
        self._repository = repository
        self.failed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._repository, name)

    async def write(self, rows: Any) -> None:
        if not self.failed:
            self.failed = True
            raise ServiceUnavailable("Neo4j went away")
        await self._repository.write(rows)


async def test_a_distribution_that_failed_after_its_claim_is_completed_by_a_retry(
    cycled: Api,
) -> None:
    """The journal claim is taken before the payments reach the graph: if the graph
    write fails, the same administrator's retry completes it (no second claim is
    refused, no payment journaled twice); another's attempt is still refused."""
    cycle = await approved(cycled, "BPNT")
    args = {"id": cycle["id"], "on": "2026-11-20", "amount": 150000.0}
    flaky = _GraphDownOnce(cycled.services.repository)
    down = replace(cycled, services=replace(cycled.services, repository=flaky))
    failed = await down.run(DISTRIBUTE, ADMIN, **args)
    assert flaky.failed and failed.errors, failed
    other = await cycled.run(
        DISTRIBUTE, Principal("DINSOS", "dinsos_admin", subject="lain"), **args
    )
    assert other.errors and "moved on meanwhile" in other.errors[0].message, other.errors
    done = (await cycled.data(DISTRIBUTE, ADMIN, **args))["distributeProgramCycle"]
    assert done["status"] == "DISTRIBUTED" and done["paidHouseholds"] == cycle["households"]
    journal = cycled.services.journal
    assert isinstance(journal, Journal)
    services = [
        f.subject
        for f in journal.read(0, 1000, kinds=[kinds.SERVICE_RECORDED])
        if f.payload.get("row", {}).get("source") == f"cycle:{cycle['id']}"
    ]
    assert len(services) == len(set(services)) == cycle["households"], services
    for hid in {s.removeprefix(f"svc-{cycle['id']}-") for s in services}:
        history = (await cycled.data(PAID, ADMIN, id=hid))["household"]["serviceHistory"]
        assert {"program": "BPNT", "amount": 150000.0, "serviceDate": "2026-11-20"} | {
            "funder": "APBN"
        } in history
