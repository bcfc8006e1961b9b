"""The authorization matrix: role x operation x own/other household x field.

Generated from tables (tests/schema/authz.py holds the spec as role sets). Each
case asserts what is visible AND what is denied: FORBIDDEN, an absent
household (NOT_FOUND or not in the list), a masked value, or a hidden
special-category problem / assessment. Mutations are in test_authz_mutations.

One city is loaded for the whole module (these cases only read).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import pytest
import strawberry
from authz import (
    AGGREGATES,
    AUDIT_READERS,
    BUDGET_READERS,
    CASEWORK,
    CITY_AGGREGATES,
    ELIGIBILITY,
    HOUSEHOLDS,
    PERSONAL,
    PRINCIPALS,
    ROLES,
    SCOPED,
    SEES_ALL,
    SPECIAL,
    SUPPRESSED,
    WRITERS,
    add_relationships,
    error_code,
    related,
)
from city import city as tiny_city
from gqlkit import CityAnalytics, FakeReview, MemoryAudit
from neo4j import Driver
from waiting import BUDGET_S, until

from connectors.reference import eligibility_rules
from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.cycles import SqliteCycles
from hub.security.db import SecurityDB
from hub.security.grants import SqliteGrants
from hub.security.submissions import SubmissionLimits, SubmissionWatch
from journal import Fact, Journal
from schema.context import Context, Services
from schema.permissions import mask_nik, mask_phone
from schema.pubsub import PubSub, household_topic
from schema.types.subscription_events import HouseholdChange

pytestmark = pytest.mark.anyio

# --- how each operation shows a household ---------------------------------------
MEMBER = (
    "id nik phone problems { code } "
    "sourceRecords { recordKey organization evidence { otherRecordKey fields } }"
)
HOUSEHOLD = (
    f"id noKk members {{ {MEMBER} }} assessments {{ id }} "
    'eligibility(on: "2026-10-31") { program eligible }'
)

View = dict[str, Any]


def _household(data: Any, h: dict[str, str]) -> View | None:
    return data["household"]


def _person(data: Any, h: dict[str, str]) -> View | None:
    person = data["person"]
    return {**person["household"], "members": [person, *person["household"]["members"]]}


def _search(data: Any, h: dict[str, str]) -> View | None:
    nodes = [e["node"] for e in data["searchPersons"]["edges"] if e["node"]["id"] == h["pid"]]
    if not nodes:
        return None
    return {**nodes[0]["household"], "members": [nodes[0], *nodes[0]["household"]["members"]]}


def _households(data: Any, h: dict[str, str]) -> View | None:
    nodes = [e["node"] for e in data["households"]["edges"] if e["node"]["id"] == h["hid"]]
    return nodes[0] if nodes else None


READS: dict[str, tuple[str, Callable[[Any, dict[str, str]], View | None]]] = {
    "household": (f"query($hid: ID!) {{ household(id: $hid) {{ {HOUSEHOLD} }} }}", _household),
    "person": (
        f"query($pid: ID!) {{ person(id: $pid) {{ {MEMBER} household {{ {HOUSEHOLD} }} }} }}",
        _person,
    ),
    "searchPersons": (
        f"query($name: String!) {{ searchPersons(name: $name) {{ edges {{ node "
        f"{{ {MEMBER} household {{ {HOUSEHOLD} }} }} }} }} }}",
        _search,
    ),
    "households(noKk)": (
        f"query($kk: String!) {{ households(filter: {{noKk: $kk}}) "
        f"{{ edges {{ node {{ {HOUSEHOLD} }} }} }} }}",
        _households,
    ),
}
FIELDS = ("nik", "noKk", "phone", "specialProblems", "assessments", "evidence", "eligibility")


@pytest.fixture(scope="module")
def matrix_graph(neo4j_driver: Driver, graph_target: GraphTarget) -> Driver:
    from city import city

    from graph.loader import load

    neo4j_driver.execute_query("MATCH (n) DETACH DELETE n", database_=graph_target.database)
    load(neo4j_driver, city(), graph_target.database)
    add_relationships(neo4j_driver, graph_target.database)
    return neo4j_driver


@pytest.fixture(scope="module")
async def services(
    matrix_graph: Driver, graph_target: GraphTarget, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Services]:
    driver = await open_async_driver(graph_target)
    db = SecurityDB(tmp_path_factory.mktemp("matrix-security") / "security.sqlite")
    journal = Journal.at_home(tmp_path_factory.mktemp("matrix-journal"))
    yield Services(
        repository=GraphRepository(driver, graph_target.database),
        pubsub=PubSub(),
        audit=MemoryAudit(),
        grants=SqliteGrants(db),
        submissions=SubmissionWatch(db, SubmissionLimits()),
        analytics=CityAnalytics(tiny_city(), journal),
        review=FakeReview(),
        rules=eligibility_rules(),
        journal=journal,
        cycles=SqliteCycles(tmp_path_factory.mktemp("matrix-cycles") / "cycles.sqlite"),
    )
    journal.close()
    db.close()
    await driver.close()


async def run(
    schema: strawberry.Schema, services: Services, role: str, query: str, **variables: Any
) -> Any:
    context = Context.for_request(services, PRINCIPALS[role], purpose="matrix")
    return await schema.execute(query, variable_values=variables, context_value=context)


# --- 1. role x read operation x own/other x sensitive field ------------------------
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("operation", list(READS))
@pytest.mark.parametrize("role", ROLES)
async def test_read_matrix(
    gql_schema: strawberry.Schema,
    services: Services,
    role: str,
    operation: str,
    which: str,
    field: str,
) -> None:
    h = HOUSEHOLDS[which]
    query, view_of = READS[operation]
    result = await run(
        gql_schema, services, role, query, **{k: v for k, v in h.items() if f"${k}" in query}
    )
    if role not in PERSONAL:
        assert error_code(result) == "FORBIDDEN" and not result.data
        return
    if not related(role, which):
        assert error_code(result) in ("NOT_FOUND", None)
        assert result.data is None or view_of(result.data, h) is None, "household leaked"
        return
    assert result.errors is None, result.errors
    view = view_of(result.data, h)
    assert view is not None and view["id"] == h["hid"]
    person = next(m for m in view["members"] if m["id"] == h["pid"])
    whole = role in SEES_ALL
    problems = {p["code"] for m in view["members"] for p in m["problems"]}
    if field == "nik":
        assert person["nik"] == (h["nik"] if whole else mask_nik(h["nik"]))
        assert whole or person["nik"].startswith("3273**********")
    elif field == "noKk":
        assert view["noKk"] == (h["kk"] if whole else mask_nik(h["kk"]))
    elif field == "phone":
        assert person["phone"] == (h["phone"] if whole else mask_phone(h["phone"]))
    elif field == "specialProblems":
        assert (SPECIAL in problems) is whole
        assert "PPKS24" in problems or which == "other"  # ordinary problems stay visible
    elif field == "evidence":  # the compared values; only H1's link has evidence
        text = str(person["sourceRecords"])
        assert (h["nik"] in text and h["kk"] in text and h["phone"] in text) is (
            whole and which == "own"
        )
        if not whole:  # their own records only, and no other source named
            assert {r["organization"] for r in person["sourceRecords"]} <= {
                PRINCIPALS[role].organization
            }
            assert "dtks" not in text
    elif field == "eligibility":
        assert bool(view["eligibility"]) is (role in ELIGIBILITY)
    else:
        assert bool(view["assessments"]) is whole


# --- 2. role x root field (x own/other where a household is named) -----------------
GATES: list[tuple[str, frozenset[str], str, bool]] = [
    # field, allowed roles, query, names a household
    ("household", PERSONAL, "query($hid: ID!) { household(id: $hid) { id } }", True),
    ("person", PERSONAL, "query($pid: ID!) { person(id: $pid) { id } }", True),
    (
        "searchPersons",
        PERSONAL,
        "query($name: String!) { searchPersons(name: $name) { edges { node { id } } } }",
        True,
    ),
    (
        "households",
        PERSONAL,
        "query($kk: String!) { households(filter: {noKk: $kk}) { edges { node { id } } } }",
        True,
    ),
    (
        "coverageGaps.households",
        PERSONAL,
        "{ coverageGaps { households { edges { node { id } } } } }",
        False,
    ),
    (
        "duplicatedAid",
        PERSONAL,
        'query { duplicatedAid(from: "2026-10-01", to: "2026-10-31") '
        "{ edges { node { household { id } need } } } }",
        False,
    ),
    (
        "targetingFindings",
        ELIGIBILITY,
        'query { targetingFindings(from: "2026-10-01", to: "2026-10-31") '
        "{ edges { node { household { id } kind conditions { explanation } } } } }",
        False,
    ),
    (
        "targetingSummary",
        CITY_AGGREGATES,
        'query { targetingSummary(from: "2026-10-01", to: "2026-10-31") '
        "{ kelurahanCode kind program households } }",
        False,
    ),
    (
        "eligibilityWhatIf",
        CITY_AGGREGATES,
        'query { eligibilityWhatIf(program: "PKH", from: "2026-10-01", to: "2026-10-31", '
        "decileMax: 3) { newlyExcluded newlyExcludedHouseholds } }",
        False,
    ),
    (
        "coverageGaps",
        AGGREGATES,
        "{ coverageGaps { totalHouseholds counts { ppks households suppressed } } }",
        False,
    ),
    (
        "povertyIndicators",
        AGGREGATES,
        "{ povertyIndicators { code households suppressed byDecile { households suppressed } } }",
        False,
    ),
    (
        "povertyTarget",
        AGGREGATES,
        "{ povertyTarget { population poorPeople povertyRate baseline target aboveTarget } }",
        False,
    ),
    (
        "povertyTrend",
        AGGREGATES,
        '{ povertyTrend(from: "2026-10", to: "2026-11") { month code population poorPeople '
        "povertyRate known } }",
        False,
    ),
    (
        "decileAlerts",
        ELIGIBILITY,
        "{ decileAlerts { id householdId program status explanation } }",
        False,
    ),
    (
        "budgets",
        BUDGET_READERS,
        "{ budgets { budgets { funder spent householdsServed } quarantined { row } } }",
        False,
    ),
    (
        "fundingPool",
        BUDGET_READERS,
        "{ fundingPool { pool needCost shareOfNeedCovered programs { program "
        "householdsInNeed needCost payable } } }",
        False,
    ),
    (
        "programCycles",
        CITY_AGGREGATES,
        "{ programCycles { totalCount edges { node { id households members } } } }",
        False,
    ),
    (
        "budgetHistory",
        BUDGET_READERS,
        '{ budgetHistory(funder: "APBN", program: "BPNT", year: 2026) { amount setBy } }',
        False,
    ),
    (
        "budgetWhatIf",
        BUDGET_READERS,
        'query { budgetWhatIf(funder: "APBN", program: "BPNT", year: 2026, amount: 2400000, '
        'on: "2026-10-31") { eligible coveredThen costThen leftOutHouseholds } }',
        False,
    ),
    ("programs", AGGREGATES, "{ programs { code householdsReached suppressed } }", False),
    ("funders", AGGREGATES, "{ funders { code householdsReached amount suppressed } }", False),
    (
        "reviewQueue",
        CASEWORK,
        "{ reviewQueue(first: 5) { totalCount edges { node { pairId left { nik } } } } }",
        False,
    ),
    (
        "auditLog",
        AUDIT_READERS,
        "{ auditLog(first: 5) { totalCount edges { node { operation purpose } } } }",
        False,
    ),
    (
        "consents",
        SEES_ALL | SCOPED | {"auditor"},
        "{ consents(first: 5) { totalCount edges { node { personId organization } } } }",
        False,
    ),
    (
        "linkConfirmations",
        SEES_ALL | {"auditor"},
        "{ linkConfirmations(first: 5) { totalCount edges { node { personId } } } }",
        False,
    ),
    (
        "referrals",
        PERSONAL,
        "{ referrals(first: 50) { totalCount edges { node { id overdue } } } }",
        False,
    ),
    ("serviceDirectory", WRITERS, "{ serviceDirectory { organization } }", False),
    (
        "followUps",
        PERSONAL,
        '{ followUps(due: "2100-01-01") { totalCount edges { node { id followUpOn } } } }',
        False,
    ),
    (
        "submissionAlerts",
        SEES_ALL | {"auditor"},
        "{ submissionAlerts(first: 5) { totalCount edges { node { kind } } } }",
        False,
    ),
    # the one-door front desk: requests for Dinsos and the referred; complaints
    # for Dinsos; the figures for analysts and Dinsos
    (
        "serviceRequests",
        PERSONAL,
        "{ serviceRequests { totalCount edges { node { id } } } }",
        False,
    ),
    ("grievances", CASEWORK, "{ grievances { totalCount } }", False),
    # a complaint's targeting finding: read as the targeting findings are
    ("reportedFindings", ELIGIBILITY, "{ reportedFindings { totalCount } }", False),
    (
        "serviceDeskSummary",
        CITY_AGGREGATES,
        'query { serviceDeskSummary(from: "2026-10-01", to: "2026-10-31") { requests } }',
        False,
    ),
]


def _gate_cases() -> list[Any]:
    cases = []
    for field, allowed, query, named in GATES:
        for role in ROLES:
            for which in ("own", "other") if named else ("-",):
                cases.append(
                    pytest.param(field, allowed, query, role, which, id=f"{field}-{role}-{which}")
                )
    return cases


@pytest.mark.parametrize(("field", "allowed", "query", "role", "which"), _gate_cases())
async def test_root_field_gate(
    gql_schema: strawberry.Schema,
    services: Services,
    field: str,
    allowed: frozenset[str],
    query: str,
    role: str,
    which: str,
) -> None:
    h = HOUSEHOLDS.get(which, HOUSEHOLDS["own"])
    result = await run(
        gql_schema, services, role, query, **{k: v for k, v in h.items() if f"${k}" in query}
    )
    if role not in allowed and field == "coverageGaps.households" and role in AGGREGATES:
        assert result.errors is None  # the counts are theirs, the households are not: null
        assert result.data == {"coverageGaps": {"households": None}}
        return
    if role not in allowed:
        assert error_code(result) == "FORBIDDEN", result
        assert not result.data
        return
    if which == "other" and role in SCOPED:  # named, but not theirs: absent
        assert error_code(result) in ("NOT_FOUND", None)
        ids = str(result.data)
        assert h["hid"] not in ids and h["pid"] not in ids
        return
    assert result.errors is None, result.errors
    text = str(result.data)
    if field == "funders" and role in SCOPED:
        # what YAY-A paid for out of its own money on a partner's households is who
        # serves whom: withheld from everyone but YAY-A; APBN is a budget, shown
        funders = {f["code"]: f for f in result.data["funders"]}
        mine = PRINCIPALS[role].organization == "YAY-A"
        assert funders["YAY-A"]["suppressed"] is not mine
        assert (funders["YAY-A"]["householdsReached"] is None) is not mine
        assert funders["APBN"]["householdsReached"] == 1 and not funders["APBN"]["suppressed"]
    elif field in ("coverageGaps", "povertyIndicators", "programs", "funders"):
        # the tiny city has only cells under 5: analysts get null + suppressed
        assert ("'suppressed': True" in text) is (role in SUPPRESSED)
        assert ("None" in text) or role not in SUPPRESSED
    if field == "povertyTarget":
        # the city's figure is counted among a scoped caller's households only, and
        # a small count is withheld from aggregate-only roles, with the rate
        target = result.data["povertyTarget"]
        assert target["population"] > 0 and 0 < target["target"] < target["baseline"]
        if target["poorPeople"] is None:
            assert role in SUPPRESSED and target["povertyRate"] is None
        else:
            assert target["povertyRate"] == round(target["poorPeople"] / target["population"], 6)
    if field == "fundingPool":
        # the totals less the programs shown would give back a withheld program's need
        pool = result.data["fundingPool"]
        withheld = any(p["householdsInNeed"] is None for p in pool["programs"])
        assert (pool["needCost"] is None) is withheld
        assert (pool["shareOfNeedCovered"] is None) is (withheld or not pool["needCost"])
    if field == "budgets":  # one household's aid is what a withheld count would hide
        for b in result.data["budgets"]["budgets"]:
            assert b["householdsServed"] is not None or b["spent"] is None
    if field == "coverageGaps.households" and role in SCOPED:
        assert "H4" not in text  # H4 is a gap, but not theirs
    if field == "duplicatedAid":
        assert "H1" in text  # BPNT and SEMBAKO-YAYASAN in October
    if field == "targetingSummary" and role in SUPPRESSED:
        assert all(r["households"] is None for r in result.data["targetingSummary"])
    if field == "budgetWhatIf":  # the ids are for those who see eligibility, small counts
        got = result.data["budgetWhatIf"]  # (and the cost that counts them) withheld
        assert (got["leftOutHouseholds"] is not None) is (role in ELIGIBILITY)
        assert (got["eligible"] is None) is (role in SUPPRESSED)
        assert (got["costThen"] is None) is (role in SUPPRESSED)
    if field == "eligibilityWhatIf":  # the ids are for those who see eligibility
        shown = result.data["eligibilityWhatIf"][0]["newlyExcludedHouseholds"]
        assert (shown is not None) is (role in ELIGIBILITY)


async def test_analyst_asking_for_gap_households_gets_null(
    gql_schema: strawberry.Schema, services: Services
) -> None:
    result = await run(
        gql_schema,
        services,
        "analyst",
        "{ coverageGaps { totalHouseholds households { totalCount } } }",
    )
    assert result.errors is None
    assert result.data["coverageGaps"] == {"totalHouseholds": None, "households": None}


@pytest.mark.parametrize("role", sorted(PERSONAL))
async def test_referrals_list_only_the_organizations_own(
    gql_schema: strawberry.Schema, services: Services, role: str
) -> None:
    """The same rule as referrals elsewhere: an agency or foundation lists the
    referrals from or to itself, and may not ask for another organization's."""
    query = """query($org: String) { referrals(organization: $org, first: 100) {
      edges { node { fromOrganization toOrganization } } } }"""
    everyone = await run(gql_schema, services, "dinsos_admin", query)
    listed = await run(gql_schema, services, role, query)
    assert listed.errors is None, listed.errors
    org = PRINCIPALS[role].organization
    parties = [
        {e["node"]["fromOrganization"], e["node"]["toOrganization"]}
        for e in everyone.data["referrals"]["edges"]
    ]
    assert role not in SCOPED or any(org not in p for p in parties)  # something to withhold
    mine = [p for p in parties if role not in SCOPED or org in p]
    assert len(listed.data["referrals"]["edges"]) == len(mine)
    other = await run(gql_schema, services, role, query, org="YAY-B")
    if role in SCOPED and org != "YAY-B":
        assert error_code(other) == "FORBIDDEN" and not other.data
    else:
        assert other.errors is None


async def test_overdue_referrals_are_those_left_waiting_past_the_limit(
    gql_schema: strawberry.Schema, services: Services
) -> None:
    """R1 (to YAY-B) is OPEN since 2026-10-01, long past the limit."""
    query = "{ referrals(overdue: true) { edges { node { id overdue status } } } }"
    listed = await run(gql_schema, services, "dinsos_admin", query)
    nodes = [e["node"] for e in listed.data["referrals"]["edges"]]
    assert nodes and all(n["overdue"] and n["status"] in ("OPEN", "RECEIVED") for n in nodes)
    assert "R1" in {n["id"] for n in nodes}


CYCLE = """query($id: ID!) { programCycle(id: $id) { status households
  roster { totalCount edges { node { householdId facts { decile ppks } } } } } }"""


@pytest.fixture(scope="module")
async def cycle_id(gql_schema: strawberry.Schema, services: Services) -> str:
    """A BPNT cycle opened by the social worker and approved by Dinsos."""
    opened = await run(
        gql_schema,
        services,
        "social_worker",
        'mutation { openProgramCycle(program: "BPNT", name: "Nov", periodStart: "2026-11-01", '
        'periodEnd: "2026-11-30") { id } }',
    )
    cid = str(opened.data["openProgramCycle"]["id"])
    done = await run(
        gql_schema,
        services,
        "dinsos_admin",
        "mutation($id: ID!) { approveProgramCycle(id: $id) { status } }",
        id=cid,
    )
    assert done.errors is None, done.errors
    return cid


@pytest.mark.parametrize("role", ROLES)
async def test_a_cycle_roster_is_for_those_who_see_eligibility(
    gql_schema: strawberry.Schema, services: Services, cycle_id: str, role: str
) -> None:
    result = await run(gql_schema, services, role, CYCLE, id=cycle_id)
    if role not in CITY_AGGREGATES:
        assert error_code(result) == "FORBIDDEN" and not result.data
        return
    if role not in ELIGIBILITY:  # the cycle's counts, not its households
        assert error_code(result) == "FORBIDDEN"
        assert "H1" not in str(result.data) and "PPKS" not in str(result.data)
        return
    assert result.errors is None, result.errors
    roster = result.data["programCycle"]["roster"]
    assert roster["totalCount"] == 4 and {e["node"]["householdId"] for e in roster["edges"]} == {
        "H1",
        "H2",
        "H3",
        "H4",
    }


# --- 3. subscriptions: role x own/other ------------------------------------------
async def _first_event(
    schema: strawberry.Schema, services: Services, role: str, query: str, topic: str, event: Any
) -> Any:
    stream = await schema.subscribe(
        query, context_value=Context.for_request(services, PRINCIPALS[role], purpose="matrix")
    )
    if not isinstance(stream, AsyncGenerator):
        return stream
    pending = asyncio.ensure_future(stream.__anext__())
    # listening, or refused (an error ends the stream before it subscribes)
    await until(
        lambda: services.pubsub.subscribers(topic) or pending.done(),
        f"a subscriber on {topic}, or the stream's refusal",
    )
    if not pending.done():
        services.pubsub.publish(topic, event)
    result = await asyncio.wait_for(pending, BUDGET_S)
    await stream.aclose()
    return result


@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_household_changed_subscription(
    gql_schema: strawberry.Schema, services: Services, role: str, which: str
) -> None:
    from datetime import UTC, datetime

    hid = HOUSEHOLDS[which]["hid"]
    at = datetime.now(UTC)
    fact = Fact(1, at, "service.recorded", "api", {}, (hid,), (), None, None, None)
    event = HouseholdChange(
        household_id=strawberry.ID(hid), kind="SERVICE_RECORDED", at=at, fact=fact
    )
    result = await _first_event(
        gql_schema,
        services,
        role,
        f'subscription {{ householdChanged(id: "{hid}") {{ householdId kind }} }}',
        household_topic(hid),
        event,
    )
    if role not in PERSONAL:
        assert error_code(result) == "FORBIDDEN"
    elif not related(role, which):
        assert error_code(result) == "NOT_FOUND"
    else:
        assert result.errors is None
        assert result.data["householdChanged"] == {"householdId": hid, "kind": "SERVICE_RECORDED"}


@pytest.mark.parametrize("whose", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
async def test_referrals_subscription(
    gql_schema: strawberry.Schema, services: Services, role: str, whose: str
) -> None:
    org = PRINCIPALS[role].organization if whose == "own" else "YAY-B"
    stream = await gql_schema.subscribe(
        f'subscription {{ referralsForOrganization(organization: "{org}") {{ status }} }}',
        context_value=Context.for_request(services, PRINCIPALS[role], purpose="matrix"),
    )
    if role in PERSONAL and not (role in SCOPED and whose == "other"):
        assert isinstance(stream, AsyncGenerator)
        await stream.aclose()
        return
    first = await stream.__anext__() if isinstance(stream, AsyncGenerator) else stream
    assert error_code(first) == "FORBIDDEN"
