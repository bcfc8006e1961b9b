"""`hub demo`: a synthetic Bandung, end to end, then the server.

It narrates each step and ends with what to open: the GraphiQL URL, a key for
each role, and example queries, one of them about a household whose member was
recorded under two spellings by two sources.

Run again on the same home (a container restarted on its volume), it redoes
nothing: the city is generated once; ingest, link and load are skipped while
the graph holds a published generation of this home's load; the keys are
kept in `keys/demo-keys.json` (mode 0600) and printed again, not re-minted.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import duckdb
from rich.console import Console

from connectors import ingest, load_configs
from graph import graph_stats, load_token, open_driver
from hub import localgraph, pipeline
from hub.graph_sync import recorded_token
from hub.security import KeyStore, SecurityDB
from hub.server import serve_app
from hub.settings import Settings, graph_target
from journal import Journal, kinds
from journal.store import MAX_READ
from simulator import generate_city
from simulator.deciles import UPDATES

DEMO_KEYS: tuple[tuple[str, str], ...] = (
    ("dinsos_admin", "ORG-DINSOS"),
    ("social_worker", "ORG-DINSOS"),
    ("agency", "ORG-DINKES"),
    ("foundation", "ORG-YAYASAN-001"),
    ("analyst", "ORG-BAPPEDA"),
    ("auditor", "ORG-INSPEKTORAT"),
)

#: The purpose the printed example states: a registered one (connectors/reference/
#: purposes.csv), so the API takes it in production mode too.
DEMO_PURPOSE = "case_management"

#: A person seen by exactly two sources under two spellings: the slice the
#: demo shows first.
_TWO_SPELLINGS = """
    SELECT i.household_id, i.person_id,
           list(DISTINCT c.full_name ORDER BY c.full_name) AS names,
           list(DISTINCT c.source ORDER BY c.source) AS sources
    FROM identity_map i JOIN current_records c USING (record_key)
    GROUP BY i.household_id, i.person_id
    HAVING count(DISTINCT c.source) = 2 AND count(DISTINCT c.full_name) = 2
       AND count(*) = 2 AND count(DISTINCT upper(c.full_name)) = 2
    ORDER BY i.person_id
    LIMIT 1
"""


def run_demo(
    settings: Settings, console: Console, *, households: int, seed: int, serve: bool
) -> None:
    city = demo_city(settings)
    started = time.perf_counter()

    console.rule("[bold]Satupintu demo")
    console.print(f"1/6 Neo4j: {localgraph.ensure_neo4j(settings)}")
    con = pipeline.open_db(settings)
    try:
        done = loaded_generation(settings, con)
        if done is None:
            if not (city / "truth.csv").exists():
                console.print(
                    f"2/6 generating a synthetic Bandung of {households:,} households in {city}"
                )
                generate_city(households, seed, city)
            else:
                console.print(f"2/6 using the synthetic city already in {city}")
            _build(settings, con, city, console)
        else:
            console.print(
                f"2-5/6 the city is ingested, linked and loaded already (graph generation "
                f"{done}): nothing to redo"
            )
        example = _two_spellings(con)
    finally:
        con.close()
    settings = _with_population(settings, city)
    keys = demo_keys(settings)
    console.print(
        f"6/6 keys ready (kept in {demo_keys_file(settings)}); "
        f"ready in {time.perf_counter() - started:.0f} s"
    )
    _narrate(settings, console, keys, example)
    if serve:
        serve_app(settings, settings.host, settings.port)


def _with_population(settings: Settings, city: Path) -> Settings:
    """The poverty rate's denominator is the generated city's population, not Bandung's."""
    population = city / "reference" / "population.csv"
    return replace(settings, population_file=population) if population.exists() else settings


def loaded_generation(settings: Settings, con: duckdb.DuckDBPyConnection) -> int | None:
    """The graph's published generation when this home's last recorded load
    went to this graph (its load token), else None: the demo has work to do."""
    recorded = recorded_token(con)
    if recorded is None:
        return None
    target = graph_target(settings)
    current = graph_stats(target).generation
    if current is None:
        return None
    with open_driver(target) as driver:
        token = load_token(driver, target.database)
    return current.number if token == recorded else None


def _build(
    settings: Settings, con: duckdb.DuckDBPyConnection, city: Path, console: Console
) -> None:
    """Ingest the city, link it and load it, then its decile update."""
    settings = _with_population(settings, city)
    summaries = ingest(con, load_configs(city / "config"))
    read = sum(s.read for s in summaries)
    staged = sum(s.staged for s in summaries)
    console.print(
        f"3/6 ingested {len(summaries)} sources: {read:,} rows read, "
        f"{staged:,} staged, {read - staged:,} quarantined with a reason "
        "(`hub quarantine` lists them)"
    )
    model = pipeline.model_dir(settings)
    summary = pipeline.link(settings, con, model, train=not any(model.glob("*.json")))
    console.print(
        f"4/6 linked: {summary.persons:,} people in {summary.households:,} "
        f"households; {summary.review_open:,} uncertain pairs wait in "
        "`hub review list`"
    )
    report = pipeline.load_graph(settings, con)
    console.print(
        f"5/6 loaded into Neo4j: {report.entities_written:,} nodes and relationships written"
    )
    _decile_update(settings, con, city, console)


def _decile_update(
    settings: Settings, con: duckdb.DuckDBPyConnection, city: Path, console: Console
) -> None:
    """The next DTSEN period's decile file (`simulator.deciles`), ingested and
    loaded as a second month: its threshold crossings raise decile alerts."""
    update = city / UPDATES / "config"
    if not update.is_dir():
        return
    journal = Journal.of(settings)
    try:
        head = journal.head()
        ingest(con, load_configs(update))
        pipeline.load_graph(settings, con)
        raised = 0
        while batch := journal.read(head, MAX_READ, kinds=[kinds.DECILE_ALERT_RAISED]):
            raised, head = raised + len(batch), batch[-1].seq
    finally:
        journal.close()
    console.print(
        f"    a DTSEN decile update loaded: decile alerts raised, enrolments paused for a "
        f"field check: {raised:,} (`{{ decileAlerts {{ householdId program decileTo }} }}`)"
    )


def _two_spellings(con: duckdb.DuckDBPyConnection) -> tuple[str, list[str], list[str]] | None:
    row = con.execute(_TWO_SPELLINGS).fetchone()
    return (row[0], list(row[2]), list(row[3])) if row else None


def demo_keys_file(settings: Settings) -> Path:
    return settings.keys_dir / "demo-keys.json"


def demo_keys(settings: Settings) -> dict[str, str]:
    """A key for each role of `DEMO_KEYS`: the ones kept in `demo_keys_file`
    while the key store still takes them (not revoked), new ones for the rest;
    the file is written readable by its owner only."""
    path = demo_keys_file(settings)
    kept: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    store = KeyStore(SecurityDB.from_settings(settings))
    keys = {}
    for role, org in DEMO_KEYS:
        who = store.authenticate(kept[role]) if role in kept else None
        if who is not None and (who.organization, who.role) == (org, role):
            keys[role] = kept[role]
        else:
            keys[role] = store.create(org, role, label="demo")[1]
    if keys != kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = path.with_suffix(".tmp")
        fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(keys, f, indent=1)
        fresh.replace(path)
    return keys


def _narrate(
    settings: Settings,
    console: Console,
    keys: dict[str, str],
    example: tuple[str, list[str], list[str]] | None,
) -> None:
    # in a container the server listens on every address; the host reaches it
    # on its own loopback (docker-compose.yml publishes 127.0.0.1:8000)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    base = f"http://{host}:{settings.port}"
    url = f"{base}/graphql"
    console.print("\nA key for each role (send as X-API-Key, or Authorization: Bearer):")
    for role, org in DEMO_KEYS:
        console.print(
            f"  {role:<14} {org:<16} {keys[role]}", soft_wrap=True, markup=False, highlight=False
        )
    console.print(f"\nOpen GraphiQL at {url} and add the headers", markup=False)
    console.print(
        f'  {{"X-API-Key": "{keys["social_worker"]}", "X-Purpose": "{DEMO_PURPOSE}"}}',
        soft_wrap=True,
        markup=False,
        highlight=False,
    )
    console.print(
        f"The dashboard is at {base}/dashboard "
        "(sign in with the dinsos_admin or social_worker key).",
        markup=False,
    )
    console.print(
        f"The web console (Konsol) is at {base}/app "
        "(sign in with any of these keys; Bahasa Indonesia first).",
        markup=False,
    )
    if example:
        hid, names, sources = example
        console.print(
            f"\nOne household, whose member appears as {' / '.join(names)} in {', '.join(sources)}:"
        )
        console.print(household_query(hid), markup=False)
    console.print("\nMore example queries per user group are in README.md.")


def household_query(household_id: str) -> str:
    return (
        f'{{ household(id: "{household_id}") {{ id noKk address kelurahan rt rw decile\n'
        "    members { id fullName nik birthDate\n"
        "      sourceRecords { source fullName matchProbability } }\n"
        "    serviceHistory { serviceDate program funder amount organization } } }"
    )


def demo_city(settings: Settings) -> Path:
    return settings.home / "demo-city"
