"""Identity lifecycle on a generated city: after every link + load the graph
equals the linkage output.

The city goes through the real pipeline (generate, ingest, link, `hub load`'s
code path) and the hub's own app. The first test merges two people through a
review decision after recording facts on both through the API; the second
withdraws and edits source rows. Expectations come from DuckDB staging (the
registry, the identity map) or plain Cypher, not from the resolvers.
"""

from __future__ import annotations

import csv
import tomllib
from typing import Any

import pytest
from generated_city import GeneratedCity, Hub, build_city, load_city_graph, serve
from neo4j import Driver

from connectors import ingest, load_configs
from graph.driver import GraphTarget
from graph.loader import LoadReport
from hub import pipeline
from journal import Journal, kinds

pytestmark = [pytest.mark.anyio, pytest.mark.graph, pytest.mark.slow]

HOUSEHOLDS, SEED, FOUNDATIONS = 160, 4242, 4
CALLERS = {"worker": ("ORG-DINSOS", "social_worker"), "admin": ("ORG-DINSOS", "dinsos_admin")}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def city(
    tmp_path_factory: pytest.TempPathFactory, neo4j_driver: Driver, graph_target: GraphTarget
) -> GeneratedCity:
    root = tmp_path_factory.mktemp("lifecycle-city")
    return load_city_graph(
        build_city(
            root,
            graph_target,
            neo4j_driver,
            households=HOUSEHOLDS,
            seed=SEED,
            foundations=FOUNDATIONS,
        )
    )


def rows(city: GeneratedCity, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    con = city.staging()
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def relink_and_load(city: GeneratedCity, *, reingest: bool = False) -> LoadReport:
    """`hub ingest` (optionally), `hub link` and `hub load`, as the CLI runs them."""
    con = pipeline.open_db(city.settings)
    try:
        if reingest:
            ingest(con, load_configs(city.city / "config"))
        pipeline.link(city.settings, con, pipeline.model_dir(city.settings))
        return pipeline.load_graph(city.settings, con)
    finally:
        con.close()


def assert_no_ghosts(city: GeneratedCity) -> None:
    """The graph's current people and households are exactly the identity map's."""
    persons = {r[0] for r in rows(city, "SELECT DISTINCT person_id FROM identity_map")}
    households = {r[0] for r in rows(city, "SELECT DISTINCT household_id FROM identity_map")}
    graph_p = {
        r["id"]
        for r in city.cypher(
            "MATCH (p:Person) WHERE NOT p.status IN ['merged', 'withdrawn'] "
            "RETURN p.person_id AS id"
        )
    }
    graph_h = {
        r["id"]
        for r in city.cypher("MATCH (h:Household {status: 'active'}) RETURN h.household_id AS id")
    }
    assert graph_p == persons
    assert graph_h == households


SERVICE = """mutation($s: ServiceInput!) { recordService(service: $s) { id } }"""
HOUSEHOLD = """query($id: ID!) { household(id: $id) {
  id resolvedFrom status serviceHistory { program amount organization }
  referrals { id } assessments { plan } members { id } } }"""


async def test_merge_by_review_retires_the_duplicate_and_moves_its_facts(
    city: GeneratedCity,
) -> None:
    # two people who live alone, so merging them merges their households too
    (ha, pa, ka), (hb, pb, kb) = rows(
        city,
        """
        WITH alone AS (SELECT household_id, min(person_id) AS person_id FROM identity_map
                       GROUP BY 1 HAVING count(DISTINCT person_id) = 1)
        SELECT a.household_id, a.person_id, min(i.record_key) FROM alone a
        JOIN identity_map i USING (person_id) GROUP BY ALL ORDER BY 1 LIMIT 2""",
    )
    async with serve(city, CALLERS) as hub:
        referral, change = await record_facts(hub, ha, hb, pb)
        await hub.data(
            "worker",
            """mutation($l: ID!, $r: ID!) { decideReviewPair(
            recordKeyL: $l, recordKeyR: $r, decision: SAME, note: "same person, home visit")
            { decision } }""",
            l=ka,
            r=kb,
        )
    report = relink_and_load(city)
    api_programs = API_PROGRAMS

    registry = {
        r[0]: (r[1], r[2])
        for r in rows(
            city,
            "SELECT person_id, status, survivor_id FROM person_registry WHERE person_id IN (?, ?)",
            pa,
            pb,
        )
    }
    [(old_p, (_, new_p))] = [(k, v) for k, v in registry.items() if v[0] == "merged"]
    hh = {
        r[0]: (r[1], r[2])
        for r in rows(
            city,
            "SELECT household_id, status, survivor_id FROM household_registry "
            "WHERE household_id IN (?, ?)",
            ha,
            hb,
        )
    }
    [(old_h, (_, new_h))] = [(k, v) for k, v in hh.items() if v[0] == "merged"]
    assert {old_p, new_p} == {pa, pb} and {old_h, new_h} == {ha, hb}
    assert report.retired >= 2 and report.merged >= 2
    # the load told the journal (the feed, every worker's subscriptions)
    journal = Journal.at_home(city.settings.home)
    told = {
        (f.kind, f.subject): f
        for f in journal.read(
            after=0, limit=1000, kinds=[kinds.HOUSEHOLD_MERGED, kinds.PERSON_MERGED]
        )
    }
    assert told[(kinds.HOUSEHOLD_MERGED, old_h)].payload["survivor_id"] == new_h
    assert set(told[(kinds.HOUSEHOLD_MERGED, old_h)].household_ids) == {old_h, new_h}
    assert told[(kinds.PERSON_MERGED, old_p)].payload["survivor_id"] == new_p
    head = journal.head()

    # the retired nodes stay, point to their survivor, and hold nothing any more
    [ghost_h] = city.cypher(
        """MATCH (h:Household {household_id: $id}) RETURN h.status AS status,
        h.survivor_id AS survivor, [(h)-[:MERGED_INTO]->(s) | s.household_id] AS into,
        COUNT { (h)<-[:RECEIVED_BY|CONCERNS|ASSESSES|SERVES|MEMBER_OF]-() } AS facts,
        COUNT { (h)-[:ENROLLED_IN]->() } AS enrolments""",
        id=old_h,
    )
    assert ghost_h == {
        "status": "merged",
        "survivor": new_h,
        "into": [new_h],
        "facts": 0,
        "enrolments": 0,
    }
    [ghost_p] = city.cypher(
        """MATCH (p:Person {person_id: $id}) RETURN p.status AS status,
        [(p)-[:MERGED_INTO]->(s) | s.person_id] AS into, COUNT { (p)-[:MEMBER_OF]->() } AS homes,
        COUNT { (p)<-[:ABOUT|IDENTIFIES|RECEIVED_BY]-() } AS facts""",
        id=old_p,
    )
    assert ghost_p == {"status": "merged", "into": [new_p], "homes": 0, "facts": 0}
    assert_no_ghosts(city)
    [moved] = city.cypher(
        """MATCH (c:ChangeRequest {request_id: $id}) RETURN c.household_id AS h,
        c.person_id AS p, [(c)-[:CONCERNS]->(x) | x.household_id] AS about""",
        id=change,
    )
    assert moved == {"h": new_h, "p": new_p, "about": [new_h]}
    # Dinsos's referral keeps opening the household to the foundation (a scoped
    # organization's would be marked `merged_from` and open nothing)
    [ref] = city.cypher(
        """MATCH (r:Referral {referral_id: $id})-[:CONCERNS]->(h)
        RETURN h.household_id AS h, r.merged_from AS merged_from""",
        id=referral,
    )
    assert ref == {"h": new_h, "merged_from": None}
    [enrolled] = city.cypher(
        """MATCH (:Household {household_id: $id})-[e:ENROLLED_IN]->
        (:Program {code: 'ATENSI'}) RETURN e.active AS active""",
        id=new_h,
    )
    assert enrolled["active"] is True

    async with serve(city, CALLERS) as again:
        # the old id answers with the survivor, and says so
        for asked in (old_h, new_h):
            shown = (await again.data("worker", HOUSEHOLD, id=asked))["household"]
            assert shown["id"] == new_h
            assert shown["resolvedFrom"] == (old_h if asked == old_h else None)
            programs = [
                s["program"] for s in shown["serviceHistory"] if s["organization"] == "ORG-DINSOS"
            ]
            assert sorted(programs) == sorted(api_programs)
            assert referral in [r["id"] for r in shown["referrals"]]
            assert "visit again" in [a["plan"] for a in shown["assessments"]]
            assert new_p in [m["id"] for m in shown["members"]]
            assert old_p not in [m["id"] for m in shown["members"]]
        person = (
            await again.data(
                "worker",
                """query($id: ID!) { person(id: $id) {
            id resolvedFrom status household { id } } }""",
                id=old_p,
            )
        )["person"]
        assert person == {
            "id": new_p,
            "resolvedFrom": old_p,
            "status": "active",
            "household": {"id": new_h},
        }
        # a write naming the old id lands on the survivor
        await again.data(
            "worker",
            SERVICE,
            s={"householdId": old_h, "program": "BLT", "serviceDate": "2026-11-26"},
        )
        [landed] = city.cypher("""MATCH (s:Service {program: 'BLT', organization: 'ORG-DINSOS'})
            -[:RECEIVED_BY]->(h:Household) RETURN h.household_id AS h""")
        assert landed == {"h": new_h}
        merged = (
            await again.data(
                "worker",
                """{ households(filter: {status: [MERGED]},
            first: 100) { edges { node { id status } } } }""",
            )
        )["households"]["edges"]
        assert {"id": old_h, "status": "merged"} in [e["node"] for e in merged]
        active = (
            await again.data(
                "worker",
                """{ households(first: 100) {
            totalCount edges { node { id } } } }""",
            )
        )["households"]
        assert active["totalCount"] == len(
            rows(city, "SELECT DISTINCT household_id FROM identity_map")
        )

    # nothing changed since: the next load sends nothing and the graph stays (but for
    # the new load generation)
    before = city.cypher("MATCH (n) WHERE NOT n:LoadGeneration RETURN count(n) AS n")
    unchanged = relink_and_load(city)
    assert (unchanged.rows_sent, unchanged.retired, unchanged.dropped) == (0, 0, 0)
    assert journal.read(after=head, limit=1000, kinds=sorted(kinds.PIPELINE - kinds.RUNS)) == []
    assert city.cypher("MATCH (n) WHERE NOT n:LoadGeneration RETURN count(n) AS n") == before
    assert_no_ghosts(city)


API_PROGRAMS = ["PKH", "BPNT"]


async def record_facts(hub: Hub, ha: str, hb: str, pb: str) -> tuple[str, str]:
    """Through the API: a service on each household, and a referral, an
    assessment, an enrolment and a change request on the second; returns the
    referral's and the change request's ids."""
    for hid, program in zip((ha, hb), API_PROGRAMS, strict=True):
        await hub.data(
            "worker",
            SERVICE,
            s={
                "householdId": hid,
                "program": program,
                "serviceDate": "2026-11-25",
                "amount": 175000,
            },
        )
    referral = (
        await hub.data(
            "worker",
            """mutation($h: ID!) { createReferral(referral:
        {householdId: $h, toOrganization: "ORG-YAYASAN-001", note: "lansia"}) { id } }""",
            h=hb,
        )
    )["createReferral"]["id"]
    await hub.data(
        "worker",
        """mutation($h: ID!, $p: ID!) { recordAssessment(assessment:
        {householdId: $h, personId: $p, assessedOn: "2026-11-20", ppks: ["PPKS01"],
         plan: "visit again"}) { id } }""",
        h=hb,
        p=pb,
    )
    await hub.data(
        "worker",
        """mutation($h: ID!) { enrolHousehold(enrolment:
        {householdId: $h, program: "ATENSI", since: "2026-11-01",
         overrideReason: "assessed: PPKS01"}) { programCode } }""",
        h=hb,
    )
    change = (
        await hub.data(
            "worker",
            """mutation($h: ID!, $p: ID!) { fileChangeRequest(
        request: {kind: PERBAIKAN, householdId: $h, personId: $p, reason: "KTP checked"})
        { id } }""",
            h=hb,
            p=pb,
        )
    )["fileChangeRequest"]["id"]
    return str(referral), str(change)


def edit_source(
    city: GeneratedCity, source: str, record_id: str, values: dict[str, str] | None
) -> None:
    """Withdraw the row of `record_id` from a CSV source (`values` None), or
    set some of its columns."""
    config = tomllib.loads((city.city / "config" / f"{source}.toml").read_text())
    path = (city.city / "config" / config["location"]).resolve()
    id_column = next(k for k, v in config["columns"].items() if v == "source_record_id")
    encoding, delimiter = config.get("encoding", "utf-8"), config.get("delimiter", ",")
    with path.open(newline="", encoding=encoding) as f:
        lines = list(csv.reader(f, delimiter=delimiter))
    skip = config.get("header_row", 1) - 1  # title lines above the header stay as they are
    header, body = lines[skip], lines[skip + 1 :]
    at = header.index(id_column)
    out = [*lines[:skip], header]
    for row in body:
        if row[at] == record_id:
            if values is None:
                continue
            for column, value in values.items():
                row[header.index(column)] = value
        out.append(row)
    assert len(out) == len(lines) - (values is None)
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerows(out)


async def test_withdrawn_and_changed_rows_give_statuses_and_drop_out(city: GeneratedCity) -> None:
    csv_sources = {
        p.stem for p in (city.city / "config").glob("*.toml") if 'kind = "csv"' in p.read_text()
    }
    # two people the civil registry lists, with other records too
    (dead, dead_key, dead_id), (away, _, away_id) = rows(
        city,
        """
        SELECT i.person_id, i.record_key, i.source_record_id FROM identity_map i
        WHERE i.source = 'disdukcapil' AND i.person_id IN (
            SELECT person_id FROM identity_map GROUP BY 1 HAVING count(*) >= 3)
        ORDER BY i.person_id LIMIT 2""",
    )
    # a person only one (CSV) source knows, other than the civil registry
    alone = [
        r
        for r in rows(
            city,
            """
        SELECT i.person_id, i.record_key, i.source, i.source_record_id FROM identity_map i
        WHERE i.source <> 'disdukcapil' AND i.person_id IN (
            SELECT person_id FROM identity_map GROUP BY 1 HAVING count(*) = 1)
        ORDER BY i.source DESC, i.person_id""",
        )
        if r[2] in csv_sources
    ]
    gone, gone_key, gone_source, gone_id = alone[0]
    edit_source(city, "disdukcapil", dead_id, None)
    edit_source(city, "disdukcapil", away_id, {"KAB_NAME": "KABUPATEN GARUT"})
    edit_source(city, gone_source, gone_id, None)

    report = relink_and_load(city, reingest=True)

    assert report.dropped >= 2
    assert (
        city.cypher(
            "MATCH (s:SourceRecord) WHERE s.record_key IN $keys RETURN s.record_key AS k",
            keys=[dead_key, gone_key],
        )
        == []
    )
    assert city.cypher("MATCH (s:Service {record_key: $k}) RETURN s", k=gone_key) == []
    statuses = {
        r["id"]: r["status"]
        for r in city.cypher(
            "MATCH (p:Person) WHERE p.person_id IN $ids "
            "RETURN p.person_id AS id, p.status AS status",
            ids=[dead, away, gone],
        )
    }
    assert statuses == {dead: "deceased", away: "moved", gone: "withdrawn"}
    retired = {
        f.subject: f.payload["status"]
        for f in Journal.at_home(city.settings.home).read(
            after=0, limit=1000, kinds=[kinds.PERSON_RETIRED]
        )
    }
    assert {dead: "deceased", away: "moved", gone: "withdrawn"}.items() <= retired.items()
    assert_no_ghosts(city)

    search = """query($name: String!, $status: [PersonStatus!]) {
        searchPersons(name: $name, status: $status, first: 50) { edges { node { id status } } } }"""
    members = """query($id: ID!) { household(id: $id) { members { id }
        gone: members(status: [DECEASED, MOVED, WITHDRAWN]) { id status } } }"""
    async with serve(city, CALLERS) as hub:
        for pid, status in ((dead, "DECEASED"), (away, "MOVED"), (gone, "WITHDRAWN")):
            person = (
                await hub.data(
                    "worker",
                    """query($id: ID!) { person(id: $id) {
                fullName status household { id } } }""",
                    id=pid,
                )
            )["person"]
            assert person["status"] == status.lower()
            default = await hub.data("worker", search, name=person["fullName"], status=None)
            assert pid not in [e["node"]["id"] for e in default["searchPersons"]["edges"]]
            found = await hub.data("worker", search, name=person["fullName"], status=[status])
            assert {"id": pid, "status": status.lower()} in [
                e["node"] for e in found["searchPersons"]["edges"]
            ]
            home = (await hub.data("worker", members, id=person["household"]["id"]))["household"]
            assert pid not in [m["id"] for m in home["members"]]
            assert {"id": pid, "status": status.lower()} in home["gone"]
