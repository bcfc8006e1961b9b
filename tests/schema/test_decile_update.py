"""The generator's DTSEN decile update, end to end: the shared generated city is
loaded, then its next period's decile file (`simulator.deciles`, written in
`updates/`) is ingested as a source (`content = "deciles"`) and loaded again,
in a copy of the city's home. The decile changes raise threshold alerts for
the households enrolled in a program whose rule the new decile fails, and the
graph's enrolments are paused with the alert's id.

Expected alerts are judged here from the graph before and after the second
load (each household's decile, facts and enrolments) by the programs' rules
(`domain.decile_alerts.crossings`), not read from the hub's own load facts."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from generated_city import GeneratedCity

from connectors import ingest, load_configs
from connectors.reference import eligibility_rules
from domain.decile_alerts import crossings
from domain.eligibility import household_facts
from hub import pipeline
from journal import Journal, kinds
from simulator.deciles import UPDATES

FACTS = """
MATCH (h:Household) WHERE coalesce(h.status, 'active') = 'active'
RETURN h.household_id AS household_id, h.welfare_decile AS decile,
  COLLECT { MATCH (p:Person)-[:MEMBER_OF]->(h)
    RETURN p {.birth_date, .status, .nik, .no_kk,
      ppks: COLLECT { MATCH (p)-[:HAS_PROBLEM]->(pr:Problem) RETURN pr.code }} } AS members,
  COLLECT { MATCH (h)-[e:ENROLLED_IN]->(pg:Program) WHERE coalesce(e.active, true)
    RETURN pg.code } AS enrolled, h.no_kk AS no_kk"""
MARKS = """
MATCH (h:Household)-[e:ENROLLED_IN]->(pg:Program) WHERE e.status IS NOT NULL
RETURN h.household_id AS household_id, pg.code AS program, e.status AS status,
       e.alert_id AS alert_id"""


def _graph(city: GeneratedCity) -> dict[str, dict[str, object]]:
    return {str(r["household_id"]): r for r in city.cypher(FACTS)}


def _native(members: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {**m, "birth_date": m["birth_date"].to_native() if m.get("birth_date") else None}  # type: ignore[attr-defined]
        for m in members
    ]


@pytest.fixture(scope="module")
def updated(
    city: GeneratedCity, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, object]], Path]:
    """The graph before and after the update's load, and the copied home."""
    before = _graph(city)
    home = tmp_path_factory.mktemp("decile-update") / "home"
    with city.staging() as con:
        con.execute("CHECKPOINT")
    shutil.copytree(city.settings.home, home)
    settings = replace(city.settings, home=home)
    con = pipeline.open_db(settings)
    try:
        (summary,) = ingest(con, load_configs(city.city / UPDATES / "config"))
        assert summary.staged == summary.read > 0, summary
        pipeline.load_graph(settings, con)
    finally:
        con.close()
    return before, _graph(city), home


def test_the_update_raises_the_alerts_its_crossings_call_for(
    city: GeneratedCity,
    updated: tuple[dict[str, dict[str, object]], dict[str, dict[str, object]], Path],
) -> None:
    before, after, home = updated
    book = eligibility_rules()
    today = dt.date.today()
    expected = set()
    for hid, now in after.items():
        then = before.get(hid)
        if then is None or then["decile"] == now["decile"]:
            continue
        facts = household_facts(now["decile"], _native(now["members"]), today)  # type: ignore[arg-type]
        enrolled = [str(p) for p in then["enrolled"]]  # type: ignore[attr-defined]
        for c in crossings(book, facts, then["decile"], now["decile"], today, enrolled):  # type: ignore[arg-type]
            expected.add((hid, c.program, then["decile"], now["decile"]))
    journal = Journal.at_home(home)
    try:
        raised = [f for f in journal.read(0, 100_000, kinds=[kinds.DECILE_ALERT_RAISED])]
    finally:
        journal.close()
    alerts = {
        (f.payload["household_id"], f.payload["program"], f.payload["from"], f.payload["to"])
        for f in raised
    }
    assert alerts == expected
    assert alerts, "the update planted no crossing among enrolled households"
    # each alert's household is one the file moved across a cut-off (by NIK or KK)
    with (city.city / UPDATES / "deciles-truth.csv").open() as f:
        planted = [r for r in csv.DictReader(f) if r["crossing"] == "True"]
    niks = {r["nik"] for r in planted if r["nik"]}
    kks = {r["no_kk"] for r in planted}
    for hid, *_ in alerts:
        members = after[hid]["members"]
        named = {m.get("nik") for m in members} | {m.get("no_kk") for m in members}  # type: ignore[attr-defined]
        named.add(after[hid]["no_kk"])
        assert named & (niks | kks), hid
    # and the graph's enrolment carries the pause, with the alert's id
    marks = {(r["household_id"], r["program"]): r for r in city.cypher(MARKS)}
    for fact in raised:
        mark = marks[(fact.payload["household_id"], fact.payload["program"])]
        assert (mark["status"], mark["alert_id"]) == ("PAUSED", f"DA-{fact.seq}")
