"""`hub load` (hub.graph_sync.sync) on a generated city linked by the `hub` CLI:
a re-link sends only what changed, and a reader never sees half a household.

Counts come from the loader's report, expectations from staging or plain
Cypher; no timing is asserted.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubcli import linked_city
from neo4j import Driver
from retries import Twice, snapshot

from connectors import ingest, load_configs
from domain.rows import HOUSEHOLD_FIELDS
from graph.constraints import ensure
from graph.driver import GraphTarget, open_driver
from graph.generation import generations
from graph.household_load import HOUSEHOLD_TABLES
from graph.loader import LoadReport
from hub import pipeline
from hub.graph_sync import commit, generation_token, kept_facts, sync
from hub.settings import Settings
from journal import Journal, NewFact, kinds
from linkage import output_queries, run_linkage

pytestmark = [pytest.mark.graph, pytest.mark.slow]

#: a household-360 as a reader sees it: members and services, one statement
HOUSEHOLD_360 = """
MATCH (h:Household {household_id: $id})
RETURN COUNT { (h)<-[:MEMBER_OF]-(:Person) } AS members,
       COUNT { (h)<-[:RECEIVED_BY]-(:Service) } AS services"""


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Path, Driver]]:
    env, src = linked_city(tmp_path_factory, "sync", households=80, seed=7, foundations=2)
    settings = Settings(
        home=Path(env["HUB_HOME"]),
        neo4j_uri=env["NEO4J_URI"],
        neo4j_user=env["NEO4J_USER"],
        neo4j_password=env["NEO4J_PASSWORD"],
    )
    conn = GraphTarget(
        uri=settings.neo4j_uri,
        user=settings.neo4j_user,
        password=settings.neo4j_password,
        database=settings.neo4j_database,
    )
    with open_driver(conn) as driver:
        ensure(driver, conn.database)
        yield settings, src, driver
        wipe(driver)  # later modules load their own cities: leave them no ids of this one


def wipe(driver: Driver) -> None:
    with driver.session() as session:  # IN TRANSACTIONS needs an implicit transaction
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS").consume()


def load(settings: Settings, driver: Driver, **kw: Any) -> LoadReport:
    con = pipeline.open_db(settings)
    try:
        return sync(con, driver, settings.neo4j_database, **kw)
    finally:
        con.close()


def relink(settings: Settings, src: Path, *, reingest: bool) -> None:
    con = pipeline.open_db(settings)
    try:
        if reingest:
            ingest(con, [c for c in load_configs(src / "config") if c.id == "disdukcapil"])
        run_linkage(con, pipeline.model_dir(settings))
    finally:
        con.close()


def edit_addresses(src: Path, n: int) -> int:
    """Give `n` rows of the civil registry's export a new address."""
    path = src / "sources" / "disdukcapil.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    for row in body[:: len(body) // n][:n]:
        row[col["ALAMAT"]] += " (PINDAH RUMAH)"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([header, *body])
    return n


def test_a_relink_sends_only_the_rows_that_changed(city: tuple[Settings, Path, Driver]) -> None:
    settings, src, driver = city
    wipe(driver)
    full = load(settings, driver)
    assert full.rows_sent == full.rows_built > 0

    relink(settings, src, reingest=False)  # the same data linked again
    same = load(settings, driver)
    assert same.rows_sent == 0
    assert same.entities_written == 0 and not same.changed

    edited = edit_addresses(src, 3)
    relink(settings, src, reingest=True)
    small = load(settings, driver)
    sent = {name: t.rows for name, t in small.tables.items() if t.rows}
    # the three edited records, nothing re-sent because a score moved a little
    assert sent.get("source_records") == edited, sent
    assert 0 < small.rows_sent <= 10 * edited, sent
    assert small.rows_sent < full.rows_sent / 20


def test_the_households_table_carries_exactly_the_household_fields(
    city: tuple[Settings, Path, Driver],
) -> None:
    """What hub load sends for households is `domain.rows.Household`, field for
    field (see README, "Adding a household field")."""
    con = pipeline.open_db(city[0])
    try:
        columns = con.sql(output_queries(con)["households"]).columns
    finally:
        con.close()
    assert tuple(columns) == HOUSEHOLD_FIELDS


def test_a_reader_never_sees_half_a_household(city: tuple[Settings, Path, Driver]) -> None:
    settings, _, driver = city
    wipe(driver)
    load(settings, driver)
    after = {
        r["id"]: (r["members"], r["services"])
        for r in driver.execute_query(
            "MATCH (h:Household) WHERE COUNT { (h)<-[:MEMBER_OF]-() } > 1 "
            "AND COUNT { (h)<-[:RECEIVED_BY]-(:Service) } > 0 "
            "RETURN h.household_id AS id, COUNT { (h)<-[:MEMBER_OF]-() } AS members, "
            "COUNT { (h)<-[:RECEIVED_BY]-(:Service) } AS services ORDER BY id LIMIT 12"
        ).records
    }
    assert len(after) >= 4, "the city needs households with members and services"
    last = generations(driver)[0]
    assert last is not None and last.status == "published"
    wipe(driver)

    seen: list[tuple[str, int, int]] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            for hid in after:
                rows = driver.execute_query(HOUSEHOLD_360, id=hid).records
                seen.append((hid, *((rows[0]["members"], rows[0]["services"]) if rows else (0, 0))))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        # small transactions: the city's households go in many of them
        report = load(settings, driver, transaction_rows=60)
    finally:
        done.set()
        thread.join()
    assert report.rows_sent == report.rows_built
    assert len(seen) > len(after)
    half = [s for s in seen if (s[1], s[2]) not in {(0, 0), after[s[0]]}]
    assert half == [], f"a reader saw half a household: {half[:5]}"
    current, loading = generations(driver)
    assert current is not None and loading is None
    assert current.counts["rows_sent"] == report.rows_sent


def test_a_load_whose_every_transaction_runs_twice_loads_the_city_once(
    city: tuple[Settings, Path, Driver],
) -> None:
    """Neo4j clusters (issue 17): `hub load` safe to retry. Each transaction
    commits, its answer is lost and it runs again; the graph ends as one run
    leaves it, with one published generation."""
    settings, _, driver = city
    wipe(driver)
    load(settings, driver)
    # the load's bookkeeping (its token, its generation) is new on every load
    once = snapshot(driver, without=("LoadMark", "LoadGeneration"))
    wipe(driver)
    load(settings, Twice(driver))  # type: ignore[arg-type]
    assert snapshot(driver, without=("LoadMark", "LoadGeneration")) == once
    current, loading = generations(driver)
    assert current is not None and current.number == 1 and loading is None


def test_a_load_sent_in_parts_makes_the_graph_one_load_makes(
    city: tuple[Settings, Path, Driver],
) -> None:
    """A load too big for the hub's memory in one piece (a province's first
    load) goes in parts of whole households, then match evidence by rows: the
    graph ends as one load leaves it, every row sent once, and a reload of the
    same output in parts sends nothing."""
    settings, _, driver = city
    wipe(driver)
    whole = load(settings, driver)
    once = snapshot(driver, without=("LoadMark", "LoadGeneration"))
    wipe(driver)
    steps: list[str] = []
    parted = load(settings, driver, part_rows=97, progress=steps.append)
    assert snapshot(driver, without=("LoadMark", "LoadGeneration")) == once
    parts = [s for s in steps if s.startswith("households, part ")]
    evidence = [s for s in steps if s.startswith("match_evidence, part ")]
    assert (
        len(parts)
        == -(-sum(whole.tables[t].rows for t in whole.tables if t in HOUSEHOLD_TABLES) // 97)
        > 1
    )
    assert len(evidence) == -(-whole.tables["match_evidence"].rows // 97) > 1
    assert parted.rows_sent == whole.rows_sent
    assert {t: r.rows for t, r in parted.tables.items()} == {
        t: r.rows for t, r in whole.tables.items()
    }
    assert parted.entities_written == whole.entities_written
    again = load(settings, driver, part_rows=97)
    assert again.rows_sent == 0 and not again.changed


def test_hub_demo_restarted_on_a_loaded_home_redoes_nothing_and_keeps_its_keys(
    city: tuple[Settings, Path, Driver],
) -> None:
    """Compose that shows something (issue 17): `hub demo` on a home whose load
    the graph holds (a container restarted on its volume) neither generates,
    ingests, links nor loads, and prints the keys it kept (mode 0600), minting
    only the one that was revoked. Here the home is this module's city, linked
    and loaded by the tests above."""
    import io
    import stat

    from rich.console import Console

    from hub.demo import DEMO_KEYS, demo_city, demo_keys_file, run_demo
    from hub.security import KeyStore, SecurityDB

    settings, _, driver = city
    before = generations(driver)[0]
    assert before is not None

    def demo() -> str:
        out = io.StringIO()
        run_demo(settings, Console(file=out, width=200), households=10, seed=1, serve=False)
        return out.getvalue()

    first, second = demo(), demo()
    for text in (first, second):
        assert "nothing to redo" in text and "linked:" not in text and "loaded into" not in text
    assert not demo_city(settings).exists()
    after = generations(driver)[0]
    assert after is not None and after.number == before.number  # no load ran
    kept = json.loads(demo_keys_file(settings).read_text())
    assert stat.S_IMODE(demo_keys_file(settings).stat().st_mode) == 0o600
    assert set(kept) == {role for role, _ in DEMO_KEYS}
    assert all(key in first and key in second for key in kept.values())
    store = KeyStore(SecurityDB.from_settings(settings))
    [analyst] = [k for k in store.list(include_revoked=False) if k.role == "analyst"]
    store.revoke(analyst.key_id)
    demo()
    now = json.loads(demo_keys_file(settings).read_text())
    assert now["analyst"] != kept["analyst"]
    assert {r: k for r, k in now.items() if r != "analyst"} == {
        r: k for r, k in kept.items() if r != "analyst"
    }


def test_a_load_run_again_after_it_stopped_takes_the_same_generation_token(
    tmp_path: Path,
) -> None:
    import duckdb

    con = duckdb.connect(str(tmp_path / "hub.duckdb"))
    stopped = generation_token(con)  # the load stops here; `hub load` runs again
    assert generation_token(con) == stopped
    commit(con, "graph-1")  # a load is recorded: the next is a new one
    assert generation_token(con) != stopped


def test_facts_of_a_load_that_did_not_finish_are_kept_for_the_next(tmp_path: Path) -> None:
    """A load killed after its graph writes, before its journal append: the
    re-run derives nothing (the graph already holds the new state), so the
    facts the first run derived must still be there for it."""
    import datetime as dt

    import duckdb

    con = duckdb.connect(str(tmp_path / "hub.duckdb"))
    merged = NewFact(
        kinds.HOUSEHOLD_MERGED,
        {"survivor_id": "H-2", "at": dt.date(2026, 12, 1)},
        household_ids=("H-1", "H-2"),
        subject="H-1",
        key="merge:H-1:m1",
        at=dt.datetime(2026, 12, 2, 3, 4, tzinfo=dt.UTC),
    )
    assert kept_facts(con, [merged]) == [merged]  # first run; then it dies
    con.close()
    con = duckdb.connect(str(tmp_path / "hub.duckdb"))
    decile = NewFact(
        kinds.DECILE_CHANGED, {"from": 3, "to": 2}, household_ids=("H-5",), key="decile:H-5:m1"
    )
    again = kept_facts(con, [decile])  # the re-run: the first run's facts first
    assert [f.key for f in again] == ["merge:H-1:m1", "decile:H-5:m1"]
    assert again[0].household_ids == ("H-1", "H-2") and again[0].at == merged.at
    assert again[0].payload == {"survivor_id": "H-2", "at": "2026-12-01"}


def test_a_new_family_and_a_newborn_are_told_as_registry_events(
    city: tuple[Settings, Path, Driver], tmp_path: Path
) -> None:
    """The civil registry's next export brings a new family card and a baby into
    a family it had: the load after the re-link appends `household.registered`
    for the new household and `household.members_changed` (joined) for the
    other (what DCI subscribers are told, hub.dci.subscribe)."""
    settings, src, driver = city
    load(settings, driver)  # the graph as staging holds the city now
    path = src / "sources" / "disdukcapil.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, parent = rows[0], rows[1]
    col = {name: i for i, name in enumerate(header)}
    region = parent[col["NIK"]][:6]
    baby, family = list(parent), list(parent)
    for row, values in (
        (
            baby,
            {
                "ID_PDDK": "PDDK-TEST-BAYI",
                "NIK": f"{region}0110260099",
                "NAMA_LGKP": "ZAHRANA PUSPITASARI",
                "TGL_LHR": "2026-10-01",
                "JENIS_KLMN": "2",
                "STAT_HBKEL": "ANAK",
            },
        ),
        (
            family,
            {
                "ID_PDDK": "PDDK-TEST-KK",
                "NIK": f"{region}1503850099",
                "NO_KK": f"{region}1511260099",
                "NAMA_LGKP": "WIRAHADI KUSUMADINATA",
                "TGL_LHR": "1985-03-15",
                "JENIS_KLMN": "1",
                "STAT_HBKEL": "KEPALA KELUARGA",
                "ALAMAT": "JL. PERCOBAAN NO. 1",
                "NO_RT": "001",
                "NO_RW": "001",
            },
        ),
    ):
        for name, value in values.items():
            row[col[name]] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, quoting=csv.QUOTE_ALL).writerows([*rows, baby, family])
    relink(settings, src, reingest=True)
    journal = Journal.at_home(tmp_path)
    try:
        load(settings, driver, journal=journal)
        facts = journal.read(
            0, 1000, kinds=[kinds.HOUSEHOLD_REGISTERED, kinds.HOUSEHOLD_MEMBERS_CHANGED]
        )
    finally:
        journal.close()
    con = pipeline.open_db(settings)
    try:
        where = {
            str(key).split(":", 1)[1]: (str(person), str(household))
            for key, person, household in con.execute(
                "SELECT record_key, person_id, household_id FROM identity_map"
                " WHERE record_key IN ($1, $2, $3)",
                [f"disdukcapil:{r[col['ID_PDDK']]}" for r in (parent, baby, family)],
            ).fetchall()
        }
    finally:
        con.close()
    home, new_family = where[parent[col["ID_PDDK"]]][1], where["PDDK-TEST-KK"]
    assert where["PDDK-TEST-BAYI"][1] == home  # linked into its parents' household
    told = {(f.kind, f.subject): f for f in facts}
    registered = told[(kinds.HOUSEHOLD_REGISTERED, new_family[1])]
    assert registered.person_ids == (new_family[0],) and registered.payload["members"] == 1
    joined = told[(kinds.HOUSEHOLD_MEMBERS_CHANGED, home)]
    assert joined.payload["joined"] == [where["PDDK-TEST-BAYI"][0]]
    assert joined.payload["left"] == []
    # nothing else came or went in this export
    assert sorted(told) == sorted(
        [(kinds.HOUSEHOLD_REGISTERED, new_family[1]), (kinds.HOUSEHOLD_MEMBERS_CHANGED, home)]
    )


def test_a_merge_in_a_load_sent_in_parts_runs_after_the_rows_as_in_one_load(
    city: tuple[Settings, Path, Driver],
) -> None:
    """A household merged in a load that goes in parts: its members' rows, in
    whatever part, are written before the merge runs, as one load writes them in
    the merge's transaction. Here P, the member whose record ORG-O's own files
    hold, moves out of A into W while A merges into S; W's part comes after A's
    and S's. One load leaves ORG-O serving nothing (its record's person is in W
    now, which it does not serve); the merge must not carry A's SERVES on to S
    because it ran before P left (S would open to an organization holding no
    record of anyone in it)."""
    import duckdb
    import pyarrow as pa

    from graph.lifecycle import retire_step
    from graph.loader import load as load_tables
    from hub.graph_sync import Plan, send

    _, _, driver = city
    con = duckdb.connect()
    # graph_sync parts a household's rows by hash(household_id) % parts: two parts here
    ids = [f"H-PART-{i}" for i in range(40)]
    first, second = (
        [h for h in ids if con.execute("SELECT hash(?) % 2", [h]).fetchone() == (k,)]
        for k in (0, 1)
    )
    a, s, w = first[0], first[1], second[0]
    before: dict[str, Any] = {
        "organizations": [{"id": "ORG-O", "name": "O", "type": "foundation"}],
        "households": [{"household_id": h} for h in (a, s, w)],
        "persons": [
            {"person_id": "P-PART-P", "household_id": a, "full_name": "P"},
            {"person_id": "P-PART-Q", "household_id": a, "full_name": "Q"},
            {"person_id": "P-PART-R", "household_id": s, "full_name": "R"},
            {"person_id": "P-PART-V", "household_id": w, "full_name": "V"},
        ],
        "source_records": [
            {
                "record_key": "org-o:p",
                "source": "org-o",
                "organization": "ORG-O",
                "source_record_id": "p",
                "person_id": "P-PART-P",
                "household_id": a,
                "via_api": False,
            }
        ],
        "services": [
            {
                "service_id": "S-PART-1",
                "household_id": a,
                "person_id": "P-PART-Q",
                "organization": "ORG-O",
            }
        ],
    }
    moved = [
        {"person_id": "P-PART-P", "household_id": w, "full_name": "P", "row_hash": "2"},
        {"person_id": "P-PART-Q", "household_id": s, "full_name": "Q", "row_hash": "2"},
    ]
    merge = [{"id": a, "status": "merged", "survivor_id": s}]

    def served() -> list[str]:
        records, _, _ = driver.execute_query(
            "MATCH (:Organization {id: 'ORG-O'})-[:SERVES]->(h) RETURN h.household_id AS h"
        )
        return sorted(r["h"] for r in records)

    wipe(driver)
    load_tables(driver, before)
    assert served() == [a]
    # as Arrow, as the plan hands rows over (a list's rows get the loader's own hash)
    changed = {"persons": pa.Table.from_pylist(moved)}
    load_tables(driver, changed, steps=[retire_step(driver, "household", merge)])
    one = snapshot(driver, without=("LoadMark",))
    assert served() == []

    wipe(driver)
    load_tables(driver, before)
    con.execute(  # the plan's changed rows, as graph_sync.plan keeps them in DuckDB
        "CREATE TEMP TABLE _send_persons AS SELECT *, person_id AS _key, household_id AS _part"
        " FROM (SELECT unnest($rows, recursive := true))",
        {"rows": moved},
    )
    todo = Plan(con, sent_rows={"persons": len(moved)}, known=True)
    steps: list[str] = []
    send(
        driver, todo, [retire_step(driver, "household", merge)], part_rows=1, progress=steps.append
    )
    assert [s for s in steps if s.startswith("households, part ")] == [
        "households, part 1 of 2",
        "households, part 2 of 2",
    ]
    assert served() == [] and snapshot(driver, without=("LoadMark",)) == one
    wipe(driver)


def test_a_key_repeated_across_parts_leaves_one_node_and_no_error(
    city: tuple[Settings, Path, Driver],
) -> None:
    """Each part checks only its own rows for the create path, so a key in two
    parts (two households claiming one person, a defect upstream) must still
    leave one node and no constraint error halfway through a province, as one
    load would (`send` keeps such a table on the upsert path)."""
    import duckdb

    from hub.graph_sync import Plan, send

    _, _, driver = city
    con = duckdb.connect()
    ids = [f"H-DUP-{i}" for i in range(40)]
    first, second = (
        [h for h in ids if con.execute("SELECT hash(?) % 2", [h]).fetchone() == (k,)]
        for k in (0, 1)
    )
    rows = [
        {"person_id": "P-DUP", "household_id": first[0], "full_name": "A", "row_hash": "1"},
        {"person_id": "P-DUP", "household_id": second[0], "full_name": "A", "row_hash": "1"},
        {"person_id": "P-ONE", "household_id": second[0], "full_name": "B", "row_hash": "1"},
    ]
    con.execute(
        "CREATE TEMP TABLE _send_persons AS SELECT *, person_id AS _key, household_id AS _part"
        " FROM (SELECT unnest($rows, recursive := true))",
        {"rows": rows},
    )
    wipe(driver)
    steps: list[str] = []
    send(driver, Plan(con, sent_rows={"persons": 3}), [], part_rows=1, progress=steps.append)
    assert "households, part 2 of 3" in steps  # the rows went in parts
    records, _, _ = driver.execute_query(
        "MATCH (p:Person) WHERE p.person_id STARTS WITH 'P-' RETURN p.person_id AS id ORDER BY id"
    )
    assert [r["id"] for r in records] == ["P-DUP", "P-ONE"]
    wipe(driver)
