"""Serve and refresh at the same time (issue 12, item 1).

A real `hub serve` process answers client threads that read households, search
people and submit records through /graphql, while `hub ingest`, `hub link`,
`hub load` and `hub status` run as separate processes next to it. No request
may fail, and every submission is kept: in the intake, and after the next link
under the person id the API handed out."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import httpx
import hubcli
import pytest
from hubcli import hub, linked_city
from neo4j import GraphDatabase
from waiting import wait_until

from hub.published import current, open_generation, publish


@dataclass
class Served:
    env: dict[str, str]
    city: Path
    base: str
    key: str

    @property
    def home(self) -> Path:
        return Path(self.env["HUB_HOME"])


def _health(base: str) -> dict[str, Any]:
    try:
        answer = httpx.get(f"{base}/health", timeout=2)
    except httpx.HTTPError:
        return {}
    found: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    env, city = linked_city(tmp_path_factory, "refresh", households=60, seed=12, foundations=2)
    # a graph of this city only (other modules' cities use the same ids)
    with GraphDatabase.driver(
        env["NEO4J_URI"], auth=(env["NEO4J_USER"], env["NEO4J_PASSWORD"])
    ) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    hub(env, "load")
    key = (
        hub(env, "keys", "create", "--org", "ORG-DINSOS", "--role", "dinsos_admin")
        .stdout.strip()
        .splitlines()[-1]
    )
    with hubcli.served(env) as base:
        wait_until(lambda: _health(base).get("staging"), "hub serve to take a staging generation")
        yield Served(env, city, base, key)


H360 = """query($id: ID!) { household(id: $id) { id resolvedFrom members { id fullName } } }"""
SEARCH = """query($name: String!) { searchPersons(name: $name, first: 5) {
  totalCount edges { node { id } } } }"""
SUBMIT = """mutation($r: RecordInput!) { submitRecord(record: $r) {
  recordKey personId householdId newPerson } }"""


@dataclass
class Clients:
    """Client threads that read and submit until told to stop; every failure kept."""

    served: Served
    households: list[str]
    names: list[str]
    known: list[dict[str, Any]]
    failures: list[str] = field(default_factory=list)
    answers: int = 0
    submitted: list[tuple[str, str]] = field(default_factory=list)  # record key, person id
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    serial: int = 0
    wanted: int = 16
    """How many submissions to make (kept), before the refresh and after."""

    def call(self, client: httpx.Client, query: str, **variables: Any) -> dict[str, Any] | None:
        try:
            answer = client.post("/graphql", json={"query": query, "variables": variables})
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.fail(f"{type(exc).__name__}: {exc}")
            return None
        if answer.status_code != 200 or body.get("errors"):
            self.fail(f"{answer.status_code}: {body.get('errors')}")
            return None
        with self.lock:
            self.answers += 1
        data: dict[str, Any] = body["data"]
        return data

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.served.base,
            timeout=60,
            headers={"X-API-Key": self.served.key, "X-Purpose": "refresh-while-serving test"},
        )

    def reader(self, number: int) -> None:
        with self.client() as client:
            turn = number
            while not self.stop.is_set():
                turn += 1
                hid = self.households[turn % len(self.households)]
                found = self.call(client, H360, id=hid)
                answer = (found or {}).get("household") or {}
                # a household the re-link merged answers as its survivor
                if found is not None and hid not in (answer.get("id"), answer.get("resolvedFrom")):
                    self.fail(f"household {hid} answered as {answer}")
                self.call(client, SEARCH, name=self.names[turn % len(self.names)])

    def submitter(self) -> None:
        """Submits, 0.3 s apart, until `wanted` are kept (the test raises it)."""
        with self.client() as client:
            while not self.stop.is_set():
                if len(self.submitted) < self.wanted:
                    self.submit(client)
                time.sleep(0.3)

    def submit(self, client: httpx.Client) -> None:
        self.serial += 1
        n = self.serial
        if n % 2:  # somebody new, far from everyone in the city and from each other
            record = {
                "sourceRecordId": f"new-{n}",
                "fullName": f"Zulkarnaen Wiratmadja {_word(n)}",
                "birthDate": f"19{20 + n % 10}-0{1 + n % 9}-1{n % 10}",
                "sex": "L",
            }
        else:  # a known person, as a partner would send them
            record = {"sourceRecordId": f"known-{n}", **self.known[n % len(self.known)]}
        done = self.call(client, SUBMIT, r=record)
        if done is not None:
            got = done["submitRecord"]
            with self.lock:
                self.submitted.append((got["recordKey"], got["personId"]))


def _word(n: int) -> str:
    """A distinct made-up surname for each number (no shared tokens)."""
    letters = "bcdfghjklmnprstw"
    vowels = "aeiou"
    out = ""
    while True:
        out += letters[n % len(letters)] + vowels[(n // 3) % len(vowels)]
        n //= len(letters)
        if not n:
            break
    return out.capitalize() + "ra"


def _city_sample(home: Path) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    with duckdb.connect(str(home / "hub.duckdb"), read_only=True) as con:
        households = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT household_id FROM identity_map ORDER BY 1 LIMIT 20"
            ).fetchall()
        ]
        names = [
            r[0]
            for r in con.execute(
                "SELECT full_name FROM current_records WHERE full_name IS NOT NULL "
                "ORDER BY record_key LIMIT 10"
            ).fetchall()
        ]
        known = [
            dict(
                zip(
                    ("fullName", "birthDate", "sex", "nik"),
                    (r[0], r[1].isoformat(), r[2], r[3]),
                    strict=True,
                )
            )
            for r in con.execute(
                "SELECT c.full_name, c.birth_date, c.sex, c.nik FROM current_records c "
                "WHERE c.source = 'disdukcapil' AND c.nik IS NOT NULL AND c.birth_date IS NOT NULL "
                "AND c.sex IN ('L', 'P') ORDER BY c.record_key LIMIT 5"
            ).fetchall()
        ]
    return households, names, known


def test_ingest_link_load_and_status_while_clients_query_and_submit(served: Served) -> None:
    households, names, known = _city_sample(served.home)
    clients = Clients(served, households, names, known)
    before = _health(served.base)["staging"]
    threads = [threading.Thread(target=clients.reader, args=(n,)) for n in range(2)]
    threads.append(threading.Thread(target=clients.submitter))
    for thread in threads:
        thread.start()
    try:
        # the clients are at work before the refresh starts
        wait_until(lambda: clients.submitted or clients.failures, "a first submission")
        status = json.loads(hub(served.env, "status", "--json").stdout)
        assert status["duckdb"]["healthy"] and status["linkage"]["linked"]
        hub(served.env, "ingest", "--config", str(served.city / "config"))
        hub(served.env, "link")
        hub(served.env, "load")
        # the server takes the new generation without failing a request (its
        # refresh runs niced: seconds on a loaded machine)
        wait_until(
            lambda: _health(served.base).get("staging") not in (None, before),
            f"hub serve to take the generation after {before}",
            budget_s=180,
        )
        # and keeps linking submissions on it, and answering the readers
        with clients.lock:
            clients.wanted = len(clients.submitted) + 3
        wait_until(
            lambda: (
                clients.failures
                or (len(clients.submitted) >= clients.wanted and clients.answers > 20)
            ),
            "3 submissions on the new generation, and 20 answers in all",
        )
    finally:
        clients.stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert clients.failures == []

    # every submission is kept: in the intake, and, after the next refresh (the
    # server still running), under the person id the API handed out
    with sqlite3.connect(served.home / "intake.sqlite") as lite:
        kept = {
            f"api-org-dinsos:{r[0]}"
            for r in lite.execute(
                "SELECT source_record_id FROM submissions WHERE organization = 'ORG-DINSOS'"
            )
        }
    assert {key for key, _ in clients.submitted} <= kept
    hub(served.env, "ingest", "--config", str(served.city / "config"))
    hub(served.env, "link")
    with duckdb.connect(str(served.home / "hub.duckdb"), read_only=True) as con:
        linked = dict(
            con.execute(
                "SELECT record_key, person_id FROM identity_map WHERE record_key LIKE 'api-%'"
            ).fetchall()
        )
    assert {key: linked.get(key) for key, _ in clients.submitted} == dict(clients.submitted)


def test_status_reads_the_published_generation_while_staging_is_written(served: Served) -> None:
    """`hub status` while a writer holds hub.duckdb: it reads what the servers
    read and says so."""
    with duckdb.connect(str(served.home / "hub.duckdb")):  # a writer, as `hub link` is
        result = hub(served.env, "status", "--json")
    status = json.loads(result.stdout)
    published = current(served.home)
    assert published is not None
    assert status["duckdb"]["healthy"] and status["duckdb"]["read"] == str(published.path)
    assert published.name in status["duckdb"]["note"]
    assert status["linkage"]["linked"] and status["sources"]
    text = hub(served.env, "status").stdout
    assert published.name in text


def test_a_reader_sees_a_whole_generation_while_one_is_published(tmp_path: Path) -> None:
    """Publish generations of a database whose two tables must agree, while a
    reader keeps opening the current one: every open sees a whole generation."""
    home = tmp_path / "home"
    database = tmp_path / "hub.duckdb"
    con = duckdb.connect(str(database))
    con.execute("CREATE TABLE a (generation INTEGER, n INTEGER)")
    con.execute("CREATE TABLE b (generation INTEGER, n INTEGER)")
    seen: list[tuple[Any, ...]] = []
    errors: list[str] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            opened = open_generation(home)
            if opened is None:
                continue
            generation, reading = opened
            try:
                seen.append(
                    (
                        generation.number,
                        *reading.execute(
                            "SELECT (SELECT max(generation) FROM a), (SELECT count(*) FROM a), "
                            "(SELECT max(generation) FROM b), (SELECT count(*) FROM b)"
                        ).fetchone(),
                    )
                )
            except duckdb.Error as exc:
                errors.append(str(exc))
            finally:
                reading.close()

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for number in range(1, 9):
            con.execute("INSERT INTO a SELECT ?, range FROM range(20000)", [number])
            con.execute("INSERT INTO b SELECT ?, range FROM range(20000)", [number])
            publish(con, database, home)
            # the reader opens again before the next publish (a starved thread could
            # otherwise sleep through all eight): reads and publishes interleave
            looked = len(seen) + len(errors)
            wait_until(
                lambda looked=looked: len(seen) + len(errors) > looked,
                f"the reader to open a generation after generation {number}",
            )
    finally:
        done.set()
        thread.join()
        con.close()
    assert errors == [] and len(seen) > 1
    for number, a_generation, a_count, b_generation, b_count in seen:
        # the data of generation k is k inserts into each table, whole
        assert a_generation == b_generation == number
        assert a_count == b_count == 20000 * number
    # the current and the one before are kept, older ones are gone
    kept = sorted(p.name for p in (home / "published").glob("staging-*.duckdb"))
    assert kept == ["staging-000007.duckdb", "staging-000008.duckdb"]
