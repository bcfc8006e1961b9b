"""Issue 16 on the shared generated city: a DTSEN decile file ingested as a
source sets a household's decile (it wins over the records' deciles), and the
`hub load` that moves the decile out of a program's rule raises the alert; the monthly
report's Tren Kemiskinan sheet and the dashboard give the poverty rate by
month from the journal's decile changes (here a journal of the test's own,
with planted changes), agreeing with the report's own city figure now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pytest
from generated_city import GeneratedCity

from connectors import ingest, load_configs
from domain.thresholds import POOR_DECILE_MAX
from hub import pipeline
from journal import Journal, NewFact, kinds
from linkage import output_views
from reports.dashboard import figures
from reports.queries import SHEET_BY_NAME, Period, prepare, sheet_rows
from reports.trend import NOT_RECORDED
from reports.workbook import monthly_report

pytestmark = [pytest.mark.graph]

WIB = ZoneInfo("Asia/Jakarta")


def _enrolled(con: duckdb.DuckDBPyConnection, program: str) -> tuple[str, int]:
    """A household with an active enrolment in `program` and a decile of 5 or less."""
    views = output_views(con)
    found = con.execute(
        f"""SELECT h.household_id, h.welfare_decile FROM {views["households"]} h
            JOIN {views["enrolments"]} e USING (household_id)
            WHERE e.program = $p AND e.active AND h.welfare_decile <= 5
            ORDER BY h.household_id LIMIT 1""",
        {"p": program},
    ).fetchall()
    assert found, f"the generated city has no household enrolled in {program}"
    return str(found[0][0]), int(found[0][1])


DECILE_FILE = """id = "dtsen-desil-test"
kind = "csv"
content = "deciles"
location = "desil.csv"
organization = "ORG-BPS-DTSEN"
organization_type = "agency"
[columns]
NIK = "nik"
DESIL = "welfare_decile"
PERIODE = "dtsen_period"
"""


@pytest.fixture
def moved(city: GeneratedCity, tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A PBI-JK (health insurance) household that a DTSEN decile file, naming a
    member's NIK, now puts in decile 7, ingested through the connectors; the
    file's rows are taken out and the graph loaded again afterwards."""
    con = pipeline.open_db(city.settings)
    try:
        hid, decile = _enrolled(con, "PBI-JK")
        [(nik,)] = con.execute(
            """SELECT min(r.nik_clean) FROM linkage_records r JOIN identity_map i USING (record_key)
               WHERE i.household_id = $h AND r.nik_valid AND NOT r.nik_is_kk""",
            {"h": hid},
        ).fetchall()
        assert nik is not None
        (tmp_path / "desil.csv").write_text(f"NIK,DESIL,PERIODE\n{nik},7,2026-11\n")
        (tmp_path / "desil.toml").write_text(DECILE_FILE)
        [summary] = ingest(con, load_configs(tmp_path / "desil.toml"))
        assert (summary.read, summary.staged) == (1, 1)
    finally:
        con.close()
    yield hid, decile
    con = pipeline.open_db(city.settings)
    try:
        for table in ("dtsen_deciles", "quarantine", "batches"):
            con.execute(f"DELETE FROM {table} WHERE source = 'dtsen-desil-test'")
        con.execute("DELETE FROM sources WHERE id = 'dtsen-desil-test'")
        pipeline.load_graph(city.settings, con)
    finally:
        con.close()


def test_a_decile_file_moving_a_pbi_household_to_decile_7_raises_its_alert_at_load(
    city: GeneratedCity, moved: tuple[str, int]
) -> None:
    hid, decile = moved
    con = pipeline.open_db(city.settings)
    try:
        pipeline.load_graph(city.settings, con)
    finally:
        con.close()
    journal = Journal.at_home(city.settings.home)
    try:
        facts = journal.read(
            0, 1000, kinds=[kinds.DECILE_CHANGED, kinds.DECILE_ALERT_RAISED], household_ids=[hid]
        )
    finally:
        journal.close()
    first = facts[0]
    assert (first.kind, first.payload["from"], first.payload["to"]) == (
        kinds.DECILE_CHANGED,
        decile,
        7,
    )
    alerts = {f.payload["program"]: f.payload for f in facts if f.kind == kinds.DECILE_ALERT_RAISED}
    pbi = alerts["PBI-JK"]
    assert pbi["status"] == "PAUSED_FOR_FIELD_CHECK" and pbi["failed"] == ["desil"]
    assert pbi["explanation"] == "Keluarga berada di desil 7, di luar batas desil 1 sampai 5."


def test_the_report_and_the_dashboard_give_the_rate_by_month(
    city: GeneratedCity, staging: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    period = Period.containing(dt.datetime.now(WIB).date())
    prepare(staging, period)
    counted = staging.execute(
        "SELECT household_id, welfare_decile, people FROM _rp_counted "
        "WHERE NOT p3ke AND kecamatan_code IS NOT NULL ORDER BY household_id"
    ).fetchall()
    poor = next(r for r in counted if r[1] is not None and r[1] <= POOR_DECILE_MAX)
    rich = next(r for r in counted if r[1] is not None and r[1] > POOR_DECILE_MAX)
    # two months ago the poor household was in decile 8, the other in decile 2
    two_back = Period.of_month(
        (period.month - dt.timedelta(days=40)).replace(day=1), period.cutoff_day
    )
    one_back = Period.of_month((period.month - dt.timedelta(days=1)).replace(day=1))
    journal = Journal.at_home(tmp_path)
    journal.append([NewFact(kinds.LOAD_PUBLISHED, {"generation": 1}, at=two_back.starts_at)])
    changed_at = two_back.ends_at + dt.timedelta(hours=3)  # last month's, just after the cut-off
    journal.append(
        [
            NewFact(
                kinds.DECILE_CHANGED,
                {"household_id": hid, "from": old, "to": new},
                household_ids=(hid,),
                at=changed_at,
            )
            for hid, old, new in ((poor[0], 8, poor[1]), (rich[0], 2, rich[1]))
        ]
    )
    now = next(
        r for r in sheet_rows(staging, SHEET_BY_NAME["Target Kemiskinan"], period) if r[0] == "KOTA"
    )
    poor_now, population = int(now[5]), int(now[6])

    monthly_report(staging, period, tmp_path / "r.xlsx", journal=journal)
    book = openpyxl.load_workbook(tmp_path / "r.xlsx", read_only=True)
    rows = list(book["Tren Kemiskinan"].iter_rows(values_only=True))
    book.close()
    city_rows = {r[0]: r for r in rows[1:] if r[1] == "KOTA"}
    assert list(city_rows) == sorted(city_rows) and len(city_rows) == 12
    then = poor_now - poor[2] + rich[2]  # before the changes: the poor one was not, and back
    assert city_rows[period.label][3:6] == (poor_now, population, round(poor_now / population, 6))
    assert city_rows[one_back.label][3] == poor_now  # the changes fell in last month
    assert city_rows[two_back.label][3:6] == (then, population, round(then / population, 6))
    earlier = [r for label, r in city_rows.items() if label < two_back.label]
    assert earlier and all(r[3] == NOT_RECORDED for r in earlier)  # before the first load

    shown = figures(staging, period, journal)
    assert shown.poverty_trend[-1] == (
        period.label,
        poor_now,
        population,
        city_rows[period.label][5],
    )
    page_rows = {m: p for m, p, _, _ in shown.poverty_trend}
    assert page_rows[two_back.label] == then
