"""UU PDP duties against a real city: the subject access report, erasure on
request and retention, through the `hub` CLI, checked in DuckDB and Neo4j."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hubcli import hub, linked_city
from neo4j import Driver, GraphDatabase

from domain.identity import id_digits, nik_problem
from domain.rows import ReportedFinding
from hub.intake import IntakeStore, LinkageServices
from hub.settings import Settings
from hub.subject_access import to_html
from journal import Journal, NewFact, kinds
from linkage.ledger import IdentityLedger
from linkage.review import decide


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], Path]:
    env, src = linked_city(tmp_path_factory, "pdp", households=60, seed=3, foundations=2)
    hub(env, "load")
    return env, src


@pytest.fixture(scope="module")
def graph() -> Iterator[Driver]:
    driver = GraphDatabase.driver(
        os.environ.get("NEO4J_TEST_URI", "bolt://127.0.0.1:7687"),
        auth=("neo4j", os.environ.get("NEO4J_TEST_PASSWORD", "")),
    )
    yield driver
    driver.close()


def staging(env: dict[str, str]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(Path(env["HUB_HOME"]) / "hub.duckdb"), read_only=True)


def people_with_records(env: dict[str, str], n: int) -> list[tuple[str, list[str]]]:
    """People held by at least two records, in households with other members."""
    with staging(env) as con:
        rows = con.execute(
            """
            SELECT person_id, list(record_key ORDER BY record_key) FROM identity_map m
            WHERE (SELECT count(DISTINCT person_id) FROM identity_map o
                   WHERE o.household_id = m.household_id) > 1
            GROUP BY person_id HAVING count(*) >= 2 ORDER BY person_id LIMIT ?""",
            [n],
        ).fetchall()
    return [(p, list(keys)) for p, keys in rows]


def report(env: dict[str, str], person: str, *extra: str) -> dict[str, Any]:
    return dict(
        json.loads(hub(env, "audit", "report", "--person", person, "--json", *extra).stdout)
    )


def test_the_subject_access_report_is_a_copy_of_the_persons_data(
    city: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, _ = city
    [(person, keys)] = people_with_records(env, 1)
    page = tmp_path / "sar.html"
    sar = report(env, person, "--html", str(page))
    assert sorted(r["record_key"] for r in sar["records"]) == keys
    assert all(r["legal_basis"] and r["organization"] for r in sar["records"])
    assert {link["record_key"] for link in sar["links"]} == set(keys)
    assert all({e["record_key_l"], e["record_key_r"]} <= set(keys) for e in sar["match_evidence"])
    assert sar["graph"]["person"]["person_id"] == person
    assert sar["graph"]["household"]["household_id"] == sar["links"][0]["household_id"]
    assert sorted(sar["graph"]["record_keys"]) == keys
    assert all({m["record_key"], m["linked_to"]} <= set(keys) for m in sar["graph"]["matches"])
    html_text = page.read_text(encoding="utf-8")
    assert person in html_text and "<script" not in html_text
    again = report(env, person)  # producing the report was a read, and is in the next one
    assert [e["operation"] for e in again["reads"]] == ["read:subject_access_report"]


def test_html_escapes_every_value() -> None:
    page = to_html(
        {
            "person_id": "<b>P</b>",
            "records": [{"full_name": "<script>alert(1)</script>", "address": '=HYPERLINK("x")"'}],
            "graph": None,
            "reads": [],
        }
    )
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;P&lt;/b&gt;" in page and "&quot;x&quot;" in page


def test_erasure_removes_a_person_everywhere_once_and_for_good(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    env, src = city
    person, keys = people_with_records(env, 2)[1]
    with staging(env) as con:
        [(name, nik, household)] = con.execute(
            "SELECT any_value(r.full_name), any_value(r.nik), any_value(m.household_id)"
            " FROM records r JOIN identity_map m USING (record_key) WHERE m.person_id = ?",
            [person],
        ).fetchall()
    # a service recorded through the API about the person, and one about a housemate
    journal = Journal.at_home(Path(env["HUB_HOME"]))
    about, other = journal.append(
        [
            NewFact(kind=kinds.SERVICE_RECORDED, household_ids=(household,), person_ids=(person,)),
            NewFact(kind=kinds.SERVICE_RECORDED, household_ids=(household,), person_ids=("P-x",)),
        ]
    )
    erased = hub(env, "erase", "--person", person, "--reason", "surat permohonan 7/2026")
    assert f"erased {len(keys)} records" in erased.stdout
    # the journal forgot the person's facts (`hub load` would have replayed them)
    assert [f.seq for f in journal.read(about - 1)] == [other]

    with staging(env) as con:
        for table in ("records", "services", "identity_map", "linkage_records"):
            left = con.execute(
                f"SELECT count(*) FROM {table} WHERE record_key IN (SELECT unnest(?))", [keys]
            ).fetchone()
            assert left == (0,), table
        assert con.execute(
            "SELECT count(*) FROM link_evidence WHERE record_key_l IN"
            " (SELECT unnest($k)) OR record_key_r IN (SELECT unnest($k))",
            {"k": keys},
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT status FROM person_registry WHERE person_id = ?", [person]
        ).fetchone() == ("erased",)
        assert con.execute("SELECT count(*) FROM erased_records").fetchone()[0] >= len(keys)
    found, _, _ = graph.execute_query(
        "OPTIONAL MATCH (p:Person {person_id: $p}) OPTIONAL MATCH (r:SourceRecord)"
        " WHERE r.record_key IN $k RETURN count(DISTINCT p) AS p, count(DISTINCT r) AS r,"
        " COUNT { (:Person)-[:MEMBER_OF]->(:Household {household_id: $h}) } AS members",
        {"p": person, "k": keys, "h": household},
    )
    assert (found[0]["p"], found[0]["r"]) == (0, 0) and found[0]["members"] >= 1

    again = hub(env, "erase", "--person", person, "--reason", "surat permohonan 7/2026")
    assert "erased 0 records" in again.stdout
    unknown = hub(env, "erase", "--person", "P-999999999", "--reason", "typo", code=1)
    assert unknown.stderr.strip().startswith("hub: error: no person P-999999999")
    assert len(unknown.stderr.strip().splitlines()) == 1
    verify = hub(env, "audit", "verify")
    assert "intact" in verify.stdout

    sar = report(env, person)
    assert sar["records"] == [] and sar["graph"] is None and sar["links"] == []
    erasures = [e for e in sar["reads"] if e["operation"] == "erase:person"]
    assert len(erasures) == 2 and "surat permohonan 7/2026" in erasures[0]["purpose"]
    log = json.dumps(sar["reads"])
    assert name not in log and (nik is None or nik not in log)

    hub(env, "ingest", "--config", str(src / "config"))  # the sources still send them
    with staging(env) as con:
        assert con.execute(
            "SELECT count(*) FROM records WHERE record_key IN (SELECT unnest(?))", [keys]
        ).fetchone() == (0,)
        warned = con.execute(
            "SELECT count(*) FROM (SELECT unnest(warnings) AS w"
            " FROM batches) WHERE w LIKE '%erased on request%'"
        ).fetchone()
        assert warned is not None and warned[0] >= 1


def test_retention_erases_withdrawn_records_of_an_until_withdrawn_source(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    env, src = city
    data = src / "sources" / "yayasan-001.csv"  # seed 3: a CSV, retention "until withdrawn"
    assert 'retention = "until withdrawn"' in (src / "config" / "yayasan-001.toml").read_text()
    lines = data.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    dropped = lines.pop()
    data.write_text("\ufeff" + "".join(lines), encoding="utf-8")
    key = "yayasan-001:" + dropped.split(",")[0].strip('"')
    hub(env, "ingest", "--config", str(src / "config" / "yayasan-001.toml"))
    with staging(env) as con:
        assert con.execute(
            "SELECT count(*) FROM current_records WHERE record_key = ?", [key]
        ).fetchone() == (0,)
        assert (
            con.execute("SELECT count(*) FROM records WHERE record_key = ?", [key]).fetchone()[0]
            > 0
        )  # withdrawn, still kept
    dry = hub(env, "retention", "apply", "--dry-run")
    assert "would erase 1 records" in dry.stdout
    applied = hub(env, "retention", "apply")
    assert "erased 1 records" in applied.stdout
    with staging(env) as con:
        assert con.execute(
            "SELECT count(*) FROM records WHERE record_key = ?", [key]
        ).fetchone() == (0,)
    found, _, _ = graph.execute_query(
        "MATCH (r:SourceRecord {record_key: $k}) RETURN count(r) AS n", {"k": key}
    )
    assert found[0]["n"] == 0
    assert "erased 0 records" in hub(env, "retention", "apply").stdout
    assert "intact" in hub(env, "audit", "verify").stdout


def test_erasing_the_last_member_takes_the_household_with_it(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    env, _ = city
    with staging(env) as con:
        person, household = con.execute(
            "SELECT any_value(person_id), household_id FROM identity_map GROUP BY household_id"
            " HAVING count(DISTINCT person_id) = 1 ORDER BY household_id LIMIT 1"
        ).fetchone()
    erased = hub(env, "erase", "--person", person, "--reason", "permohonan 9/2026")
    assert "1 people and 1 households" in erased.stdout
    with staging(env) as con:
        assert con.execute(
            "SELECT status FROM household_registry WHERE household_id = ?", [household]
        ).fetchone() == ("erased",)
    found, _, _ = graph.execute_query(
        "OPTIONAL MATCH (h:Household {household_id: $h}) RETURN count(h) AS n", {"h": household}
    )
    assert found[0]["n"] == 0


def live_alone(env: dict[str, str], n: int) -> list[tuple[str, str, list[str]]]:
    """(household, person, record keys) of people who live alone."""
    with staging(env) as con:
        rows = con.execute(
            """
            WITH alone AS (SELECT household_id, min(person_id) AS person_id FROM identity_map
                           GROUP BY 1 HAVING count(DISTINCT person_id) = 1)
            SELECT a.household_id, a.person_id, list(i.record_key ORDER BY i.record_key)
            FROM alone a JOIN identity_map i USING (person_id) GROUP BY ALL ORDER BY 1
            LIMIT ?""",
            [n],
        ).fetchall()
    return [(h, p, list(keys)) for h, p, keys in rows]


def test_erasing_an_old_id_erases_the_person_under_every_id_it_had(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    env, _ = city
    (ha, pa, ka), (hb, pb, kb) = live_alone(env, 2)
    with duckdb.connect(str(Path(env["HUB_HOME"]) / "hub.duckdb")) as con:
        decide(con, "same", record_keys=(ka[0], kb[0]), decided_by="test", note="one person")
    hub(env, "link")
    hub(env, "load")
    with staging(env) as con:
        [(old_p, new_p)] = con.execute(
            "SELECT person_id, survivor_id FROM person_registry WHERE status = 'merged'"
            " AND person_id IN (?, ?)",
            [pa, pb],
        ).fetchall()
        [(old_h, new_h)] = con.execute(
            "SELECT household_id, survivor_id FROM household_registry WHERE status = 'merged'"
            " AND household_id IN (?, ?)",
            [ha, hb],
        ).fetchall()
    # a retired node keeps its id, status and survivor, nothing personal
    props, _, _ = graph.execute_query(
        "MATCH (n) WHERE n.person_id = $p OR n.household_id = $h"
        " RETURN keys(n) AS k ORDER BY size(keys(n))",
        {"p": old_p, "h": old_h},
    )
    assert sorted(map(sorted, (r["k"] for r in props))) == [
        ["household_id", "status", "survivor_id"],
        ["person_id", "status", "survivor_id"],
    ]
    # a change request filed about the survivor, as the API files it
    graph.execute_query(
        "MATCH (p:Person {person_id: $p})-[:MEMBER_OF]->(h:Household)"
        " CREATE (c:ChangeRequest {request_id: 'CR-erase', person_id: $p,"
        " household_id: h.household_id, reason: 'NIK salah', changes: '{\"nik\": \"x\"}'})"
        " CREATE (c)-[:ABOUT]->(p) CREATE (c)-[:CONCERNS]->(h)",
        {"p": new_p},
    )

    erased = hub(env, "erase", "--person", old_p, "--reason", "permohonan 11/2026")
    assert f"erased {len(ka) + len(kb)} records" in erased.stdout
    ids = [old_p, new_p, old_h, new_h]
    with staging(env) as con:
        assert con.execute(
            "SELECT count(*) FROM person_registry WHERE person_id IN (?, ?) AND status = 'erased'",
            [old_p, new_p],
        ).fetchone() == (2,)
        assert con.execute(
            "SELECT count(*) FROM household_registry WHERE household_id IN"
            " (?, ?) AND status = 'erased'",
            [old_h, new_h],
        ).fetchone() == (2,)
        stale = con.execute(
            "SELECT count(*) FROM graph_load_state WHERE list_has_any(string_split(key,"
            " chr(31)), $ids)",
            {"ids": [*ka, *kb, *ids]},
        ).fetchone()
        assert stale == (0,)

    def left() -> dict[str, Any]:
        found, _, _ = graph.execute_query(
            "OPTIONAL MATCH (n) WHERE n.person_id IN $ids OR n.household_id IN $ids"
            " OR n.record_key IN $keys OR n.request_id = 'CR-erase' RETURN count(n) AS n",
            {"ids": ids, "keys": [*ka, *kb]},
        )
        return dict(found[0])

    assert left() == {"n": 0}
    hub(env, "load")  # a full resend retires nothing into the erased survivor
    assert left() == {"n": 0}
    assert (
        "erased 0 records"
        in hub(env, "erase", "--person", new_p, "--reason", "permohonan 11/2026").stdout
    )


def test_an_erased_api_submission_never_comes_back(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    env, _ = city
    home = Path(env["HUB_HOME"])
    record = {
        "source_record_id": "REQ-77",
        "full_name": "Siti Erasa Hapuskan",
        "nik": "3273015505900007",
        "birth_date": date(1990, 5, 15),
        "sex": "P",
        "address": "Jl. Cihampelas No. 5",
        "city": "Kota Bandung",
    }
    services = LinkageServices.open(Settings(home=home))
    assert services.intake is not None
    try:
        answer = asyncio.run(services.intake.submit(record, "YAYASAN-ERASE"))
    finally:
        services.close()
    key, person = answer["record_key"], answer["person_id"]
    hub(env, "erase", "--person", person, "--reason", "permohonan 12/2026")
    with sqlite3.connect(home / "intake.sqlite") as lite:
        assert lite.execute(
            "SELECT count(*) FROM submissions WHERE source_record_id = 'REQ-77'"
        ).fetchone() == (0,)
    assert IdentityLedger.at_home(home).assignment(key) is None
    hub(env, "ingest", "--config", str(IntakeStore.config_dir_of(home)))
    hub(env, "link")
    hub(env, "load")
    with staging(env) as con:
        assert con.execute(
            "SELECT count(*) FROM erased_records WHERE record_key_sha = sha256(?)", [key]
        ).fetchone() == (1,)
        for table in ("records", "identity_map"):
            assert con.execute(
                f"SELECT count(*) FROM {table} WHERE record_key = ?", [key]
            ).fetchone() == (0,), table
    found, _, _ = graph.execute_query(
        "OPTIONAL MATCH (r:SourceRecord {record_key: $k}) OPTIONAL MATCH (p:Person)"
        " WHERE p.full_name = $n RETURN count(r) + count(p) AS n",
        {"k": key, "n": record["full_name"]},
    )
    assert found[0]["n"] == 0


def test_an_erasure_the_graph_missed_is_finished_by_the_next_run(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    env, _ = city
    [(person, keys)] = people_with_records(env, 1)
    down = {**env, "NEO4J_URI": "bolt://127.0.0.1:9"}  # nothing listens there
    failed = hub(down, "erase", "--person", person, "--reason", "permohonan 13/2026", code=1)
    assert failed.stderr.startswith("hub: error:")
    with staging(env) as con:  # staging is erased, and the graph's share is queued
        assert con.execute(
            "SELECT count(*) FROM records WHERE record_key IN (SELECT unnest(?))", [keys]
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT count(*) FROM graph_erasure_pending WHERE id = ?", [person]
        ).fetchone() == (1,)
    found, _, _ = graph.execute_query(
        "MATCH (p:Person {person_id: $p}) RETURN count(p) AS n", {"p": person}
    )
    assert found[0]["n"] == 1

    assert "erased 0 records" in hub(env, "retention", "apply").stdout
    found, _, _ = graph.execute_query(
        "OPTIONAL MATCH (p:Person {person_id: $p}) OPTIONAL MATCH (r:SourceRecord)"
        " WHERE r.record_key IN $k RETURN count(p) + count(r) AS n",
        {"p": person, "k": keys},
    )
    assert found[0]["n"] == 0
    with staging(env) as con:
        assert con.execute("SELECT count(*) FROM graph_erasure_pending").fetchone() == (0,)


def test_a_submission_not_yet_ingested_is_in_the_subject_access_report(
    city: tuple[dict[str, str], Path],
) -> None:
    """The API gave the person an id at once; until `hub ingest` and `hub link`
    take the submission in, it lives only in the intake store, and the report
    must still show it (what was sent, by whom, when)."""
    env, _ = city
    home = Path(env["HUB_HOME"])
    record = {
        "source_record_id": "SAR-9",
        "full_name": "Rahma Menunggu Ingest",
        "nik": "3273014404880003",
        "birth_date": date(1988, 4, 4),
        "sex": "P",
        "address": "Jl. Dago No. 9",
        "city": "Kota Bandung",
    }
    services = LinkageServices.open(Settings(home=home))
    assert services.intake is not None
    try:
        answer = asyncio.run(services.intake.submit(record, "YAYASAN-SAR"))
    finally:
        services.close()
    page = home / "sar-pending.html"
    sar = report(env, answer["person_id"], "--html", str(page))
    assert record["full_name"] in page.read_text(encoding="utf-8")  # the HTML copy has it too
    assert answer["record_key"] not in {r["record_key"] for r in sar["records"]}
    [pending] = sar["pending_submissions"]
    assert pending["record_key"] == answer["record_key"] == "api-yayasan-sar:SAR-9"
    assert (pending["organization"], pending["full_name"], pending["nik"]) == (
        "YAYASAN-SAR",
        record["full_name"],
        record["nik"],
    )
    assert pending["submitted_at"]
    other = people_with_records(env, 1)[0][0]
    assert report(env, other)["pending_submissions"] == []


def desk_person(env: dict[str, str]) -> tuple[str, str, str, str]:
    """A person still in the city with a valid NIK on a record (what the web form
    takes): their id, name, that NIK and their household."""
    for person, _ in people_with_records(env, 50):
        with staging(env) as con:
            found = con.execute(
                "SELECT r.full_name, r.nik, m.household_id"
                " FROM records r JOIN identity_map m USING (record_key)"
                " WHERE m.person_id = ? AND r.nik IS NOT NULL ORDER BY r.record_key",
                [person],
            ).fetchall()
        for name, nik, household in found:
            if nik_problem(nik) is None:
                return person, str(name), str(id_digits(nik)), str(household)
    raise AssertionError("no person with a valid NIK left in the city")


def desk_writes(env: dict[str, str], person: str, household: str, nik: str, name: str) -> None:
    """What the front desk's API writes about a person, through the real schema
    on the city's graph, journal and outbox: a web-form request they typed (not
    verified, so it names no one), a desk request for them and a complaint about
    their household, each with a phone; and someone else's web-form request."""
    from graph import GraphRepository, open_async_driver
    from graph.driver import GraphTarget
    from hub.notify import Outbox, OutboxSender
    from hub.security import Principal
    from schema import build_schema
    from schema.context import Context, Services

    home = Path(env["HUB_HOME"])
    web = Principal("service:permohonan-baru", "ORG-DINSOS", "social_worker", "service")
    desk = Principal("cli:test", "ORG-DINSOS", "dinsos_admin", "jwt")
    writes: list[tuple[Principal, str, dict[str, Any]]] = [
        (
            web,
            "mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) { id } }",
            {
                "r": {
                    "channel": "WEB_FORM",
                    "needs": ["food"],
                    "contactPhone": "0812-7000-1111",
                    "applicant": {"sourceRecordId": "web-1", "fullName": name, "nik": nik},
                }
            },
        ),
        (
            web,
            "mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) { id } }",
            {
                "r": {
                    "channel": "WEB_FORM",
                    "needs": ["food"],
                    "contactPhone": "0812-7000-9999",
                    "applicant": {"sourceRecordId": "web-2", "fullName": "Orang Lain"},
                }
            },
        ),
        (
            desk,
            "mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) { id } }",
            {
                "r": {
                    "householdId": household,
                    "personId": person,
                    "needs": ["food"],
                    "contactPhone": "0812-7000-2222",
                }
            },
        ),
        (
            desk,
            "mutation($g: GrievanceInput!) { fileGrievance(grievance: $g) { id } }",
            {
                "g": {
                    "kind": "WRONG_DATA",
                    "householdId": household,
                    "text": "alamat salah",
                    "contactPhone": "0812-7000-3333",
                }
            },
        ),
    ]

    async def run() -> None:
        target = GraphTarget(env["NEO4J_URI"], env["NEO4J_USER"], env["NEO4J_PASSWORD"])
        driver = await open_async_driver(target)
        journal = Journal.at_home(home)
        services = Services(
            repository=GraphRepository(driver, target.database, target.uri),
            journal=journal,
            notifier=OutboxSender(Outbox(home / "notify.sqlite")),
        )
        schema = build_schema()
        try:
            for who, query, variables in writes:
                done = await schema.execute(
                    query,
                    variable_values=variables,
                    context_value=Context.for_request(services, who, purpose="social_assistance"),
                )
                assert done.errors is None, done.errors
        finally:
            journal.close()
            await driver.close()

    asyncio.run(run())


#: the phones of what `desk_writes` leaves that is not the erased person's
OTHERS = ("6281270009999", "6281270003333")


@pytest.fixture
def desk_city(city: tuple[dict[str, str], Path], graph: Driver) -> Iterator[dict[str, str]]:
    """The city, and afterwards no desk item of `desk_writes` left in the shared graph."""
    yield city[0]
    graph.execute_query(
        "MATCH (x) WHERE (x:ServiceRequest OR x:Grievance) AND x.phone IN $p DETACH DELETE x",
        {"p": list(OTHERS)},
    )


def test_erasure_reaches_the_front_desks_requests_messages_and_web_form(
    desk_city: dict[str, str], graph: Driver
) -> None:
    env = desk_city
    person, name, nik, household = desk_person(env)
    # the complaint is the household's (anyone in it may have filed it): it stays
    mine, households = ("6281270001111", "6281270002222"), OTHERS[1]

    def desk_nodes() -> list[dict[str, Any]]:
        found, _, _ = graph.execute_query(
            "MATCH (x) WHERE x:ServiceRequest OR x:Grievance RETURN properties(x) AS p"
        )
        return [dict(r["p"]) for r in found]

    def outbox() -> list[dict[str, Any]]:
        with sqlite3.connect(Path(env["HUB_HOME"]) / "notify.sqlite") as con:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM outbox")]

    earlier = {json.dumps(n, sort_keys=True, default=str) for n in desk_nodes()}
    desk_writes(env, person, household, nik, name)
    before = [n for n in desk_nodes() if json.dumps(n, sort_keys=True, default=str) not in earlier]
    typed = [n for n in before if nik in str(n.get("applicant"))]
    assert len(typed) == 1 and typed[0]["nik_check"]  # the web form kept what was typed
    assert {m["phone"] for m in outbox()} >= {"6281270002222", households}
    digests = {str(n["nik_check"]) for n in before if n.get("phone") in mine and n.get("nik_check")}
    assert len(digests) == 2  # the typed request's and the desk request's

    hub(env, "erase", "--person", person, "--reason", "surat permohonan 21/2026")

    after = json.dumps(desk_nodes(), default=str)
    for gone in (nik, name, *mine, *digests):
        assert gone not in after
    assert OTHERS[0] in after  # someone else's web-form request stays
    assert households in after and households in json.dumps(outbox())
    left = json.dumps(outbox())
    for gone in (*mine, *(str(n["number"]) for n in before if n.get("phone") in mine)):
        assert gone not in left
    journal = Journal.at_home(Path(env["HUB_HOME"]))
    facts = json.dumps(
        [vars(f) for f in journal.read(0, 1000, kinds=kinds.SERVICE_DESK)], default=str
    )
    journal.close()
    for n in before:
        if n.get("phone") in mine:
            assert str(n["number"]) not in facts and n.get("service_request_id", "-") not in facts


def test_a_web_form_request_the_graph_missed_is_erased_by_the_next_run(
    desk_city: dict[str, str], graph: Driver
) -> None:
    env = desk_city
    person, name, nik, household = desk_person(env)
    desk_writes(env, person, household, nik, name)

    def typed() -> int:
        found, _, _ = graph.execute_query(
            "MATCH (s:ServiceRequest) WHERE s.applicant CONTAINS $nik RETURN count(s) AS n",
            {"nik": nik},
        )
        return int(found[0]["n"])

    assert typed() >= 1
    down = {**env, "NEO4J_URI": "bolt://127.0.0.1:9"}  # nothing listens there
    hub(down, "erase", "--person", person, "--reason", "permohonan 22/2026", code=1)
    assert typed() >= 1  # staging is erased: the NIK is kept only as a keyed mark
    with staging(env) as con:
        marks = json.dumps(con.execute("SELECT * FROM desk_erasure_pending").fetchall())
    assert marks != "[]" and nik not in marks
    applied = hub(env, "retention", "apply")
    assert "web-form requests deleted" in applied.stdout and typed() == 0


def test_retention_deletes_web_form_requests_nobody_verified_in_time(
    desk_city: dict[str, str], graph: Driver
) -> None:
    env = desk_city
    person, name, nik, household = desk_person(env)
    desk_writes(env, person, household, nik, name)
    # the typed request arrived 31 days ago (a day past the default 30); the
    # other web-form request and the desk's own, verified, are today's
    [[old, number]] = graph.execute_query(
        "MATCH (s:ServiceRequest) WHERE s.applicant CONTAINS $nik"
        " SET s.received_at = s.received_at - duration({days: 31})"
        " RETURN s.service_request_id, s.number",
        {"nik": nik},
    ).records

    applied = hub(env, "retention", "apply")

    assert "1 web-form requests deleted" in applied.stdout
    left, _, _ = graph.execute_query(
        "MATCH (s:ServiceRequest) WHERE s.phone IN $p RETURN s.service_request_id AS id,"
        " s.status AS status",
        {"p": ["6281270001111", "6281270002222", OTHERS[0]]},
    )
    ids = {r["id"] for r in left}
    assert old not in ids and len(ids) == 2  # the young web-form one and the verified one stay
    journal = Journal.at_home(Path(env["HUB_HOME"]))
    facts = json.dumps([vars(f) for f in journal.read(0, 10_000)], default=str)
    journal.close()
    assert old not in facts and number not in facts
    with sqlite3.connect(Path(env["HUB_HOME"]) / "security.sqlite") as db:
        [(purpose,)] = db.execute(
            "SELECT purpose FROM audit_log WHERE operation = 'erase:retention'"
            " ORDER BY seq DESC LIMIT 1"
        ).fetchall()
    assert "web-form requests unverified after 30 days" in purpose
    assert "intact" in hub(env, "audit", "verify").stdout


def test_erasing_a_member_takes_the_households_reported_findings(
    city: tuple[dict[str, str], Path], graph: Driver
) -> None:
    """A complaint's targeting finding about a household holds conditions and
    services derived from each member, and its fact names the household only:
    erasing one member (the household stays) takes it from the graph and the
    journal (`hub load` would replay it); another household's stays."""
    env, _ = city
    [(person, _)] = people_with_records(env, 1)
    with staging(env) as con:
        [(household, other)] = con.execute(
            "SELECT any_value(household_id) FILTER (WHERE person_id = $p),"
            " min(household_id) FILTER (WHERE household_id NOT IN"
            "   (SELECT household_id FROM identity_map WHERE person_id = $p))"
            " FROM identity_map",
            {"p": person},
        ).fetchall()
    journal = Journal.at_home(Path(env["HUB_HOME"]))
    ids = {hid: f"RF-pdp-{hid}" for hid in (household, other)}
    for hid, rid in ids.items():
        row = ReportedFinding(
            reported_finding_id=rid,
            household_id=hid,
            findings=json.dumps([{"kind": "EXCLUSION", "person_id": person, "condition": "D01"}]),
        )
        graph.execute_query(
            "MERGE (f:ReportedFinding {reported_finding_id: $row.reported_finding_id})"
            " SET f = $row",
            {"row": row.as_dict()},
        )
        journal.append(
            [
                NewFact(
                    kind=kinds.REPORTED_FINDING_RECORDED,
                    subject=rid,
                    household_ids=(hid,),
                    payload={"table": row.ENTITY, "row": row.as_dict()},
                )
            ]
        )

    def findings() -> tuple[set[str], set[str]]:
        found, _, _ = graph.execute_query(
            "MATCH (f:ReportedFinding) WHERE f.reported_finding_id IN $ids"
            " RETURN f.reported_finding_id AS id",
            {"ids": list(ids.values())},
        )
        facts = journal.read(0, 100_000, kinds=(kinds.REPORTED_FINDING_RECORDED,))
        return {r["id"] for r in found}, {f.subject for f in facts} & set(ids.values())

    assert findings() == (set(ids.values()), set(ids.values()))
    hub(env, "erase", "--person", person, "--reason", "permohonan 23/2026")
    try:
        assert findings() == ({ids[other]}, {ids[other]})
    finally:
        graph.execute_query(
            "MATCH (f:ReportedFinding {reported_finding_id: $id}) DETACH DELETE f",
            {"id": ids[other]},
        )
        journal.forget(subjects=[ids[other]])
        journal.close()
