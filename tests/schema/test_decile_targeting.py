"""Issue 16 through the API: decile threshold alerts (raised by a load's decile
changes, listed and resolved by social workers and Dinsos) and the poverty rate
by report month from the journal's decile changes, on the tiny city.

The alerts come from `hub.decile_alerts` over a real DuckDB holding the load's
built tables for two hand-made families; the trend's expected rates are
computed here, independently, from the tiny city's tables and the planted
changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pytest
from city import city as tiny_city
from gqlkit import ADMIN, ANALYST, WORKER, YAY_A, YAY_B, Api

from connectors.reference import eligibility_rules
from domain.decile_alerts import Crossing, alert_payload
from domain.thresholds import POOR_DECILE_MAX, REPORT_CUTOFF_DAY
from hub.decile_alerts import decile_alerts
from hub.journal_replay import replay_into
from journal import NewFact, kinds
from reports.goals import default_goals

pytestmark = pytest.mark.anyio

ON = dt.date(2026, 12, 1)
PERSONS = pa.table(
    {
        "person_id": ["PA1", "PA2", "PB1", "PB2"],
        "household_id": ["HA", "HA", "HB", "HB"],
        "birth_date": [dt.date(1985, 2, 1), dt.date(2015, 6, 30)] * 2,
        "status": ["active"] * 4,
        "ppks": [[], [], [], []],
    }
)
ENROLMENTS = pa.table(
    {"household_id": ["HA", "HB"], "program": ["PKH", "PKH"], "active": [True, True]}
)
HOUSEHOLDS = pa.table(
    {
        "household_id": ["HA", "HB"],
        "kecamatan_code": ["327301", "327302"],
        "kelurahan_code": ["3273011001", "3273021001"],
    }
)


def _change(hid: str, old: int | None, new: int | None, at: dt.datetime | None = None) -> NewFact:
    return NewFact(
        kind=kinds.DECILE_CHANGED,
        subject=hid,
        household_ids=(hid,),
        payload={"household_id": hid, "from": old, "to": new},
        key=f"{kinds.DECILE_CHANGED}:{hid}:{old}>{new}@{at}",
        at=at,
    )


def _raised() -> list[NewFact]:
    """What a load that moved HA 4 -> 5 and HB 3 -> 4 raises, on real DuckDB."""
    con = duckdb.connect()
    for name, table in (
        ("persons", PERSONS),
        ("enrolments", ENROLMENTS),
        ("households", HOUSEHOLDS),
    ):
        con.register(f"t_{name}", table)
        con.execute(f"CREATE TEMP TABLE _gs_{name} AS FROM t_{name}")
    changes = [_change("HA", 4, 5), _change("HB", 3, 4)]
    return decile_alerts(con, changes, eligibility_rules(), ON)


ALERTS = """query($program: String, $kecamatan: String, $status: DecileAlertStatus) {
  decileAlerts(program: $program, kecamatan: $kecamatan, status: $status) {
    id householdId program ruleVersion decileFrom decileTo status failedConditions
    explanation explanationEn kecamatanCode outcome resolvedBy note } }"""
RESOLVE = """mutation($id: ID!, $outcome: DecileAlertOutcome!, $note: String!) {
  resolveDecileAlert(id: $id, outcome: $outcome, note: $note) { id status outcome note } }"""


async def test_a_pkh_family_moving_to_decile_5_is_paused_and_resolved(api: Api) -> None:
    journal = api.services.journal
    assert journal is not None
    journal.append(_raised())
    journal.append(_raised())  # a load run again appends nothing twice
    (alert,) = (await api.data(ALERTS, WORKER))["decileAlerts"]
    assert alert["householdId"] == "HA"  # HB moved 3 -> 4: still within PKH's deciles
    assert (alert["program"], alert["decileFrom"], alert["decileTo"]) == ("PKH", 4, 5)
    assert alert["status"] == "PAUSED_FOR_FIELD_CHECK" and alert["failedConditions"] == ["desil"]
    assert alert["explanation"] == "Keluarga berada di desil 5, di luar batas desil 1 sampai 4."
    assert alert["kecamatanCode"] == "327301" and alert["ruleVersion"] == "2024.1"
    for filters, count in (
        ({"program": "BPNT"}, 0),
        ({"kecamatan": "327302"}, 0),
        ({"status": "STOPPED"}, 0),
        ({"program": "PKH", "kecamatan": "327301", "status": "PAUSED_FOR_FIELD_CHECK"}, 1),
    ):
        assert len((await api.data(ALERTS, ADMIN, **filters))["decileAlerts"]) == count

    for principal in (ANALYST, YAY_A):
        denied = await api.run(ALERTS, principal)
        assert denied.errors and denied.errors[0].extensions["code"] == "FORBIDDEN"
    denied = await api.run(RESOLVE, YAY_A, id=alert["id"], outcome="STOP", note="x")
    assert denied.errors and denied.errors[0].extensions["code"] == "FORBIDDEN"

    note = "Kunjungan 2 Des: penghasilan naik, hubungi 081234567890"
    done = (
        await api.data(RESOLVE, WORKER, id=alert["id"], outcome="CONFIRMED_CONTINUE", note=note)
    )["resolveDecileAlert"]
    assert (done["status"], done["outcome"]) == ("CONTINUED", "CONFIRMED_CONTINUE")
    assert "081234567890" not in done["note"]  # a number typed into the note is masked
    again = await api.run(RESOLVE, ADMIN, id=alert["id"], outcome="STOP", note="y")
    assert again.errors and "already resolved" in again.errors[0].message
    (listed,) = (await api.data(ALERTS, ADMIN, status="CONTINUED"))["decileAlerts"]
    assert listed["resolvedBy"] is not None and listed["outcome"] == "CONFIRMED_CONTINUE"


TREND = """query($from: String!, $to: String!, $area: String, $level: AreaLevel) {
  povertyTrend(from: $from, to: $to, area: $area, level: $level) {
    month code level population poorPeople povertyRate known } }"""

WIB = ZoneInfo("Asia/Jakarta")
#: the hub's first load, then decile changes on the tiny city's households
#: (household, from, to, when); each household's last `to` is its decile now
FIRST_LOAD = dt.datetime(2026, 8, 2, 9, 0, tzinfo=WIB)


def _planted(now: dict[str, int]) -> list[tuple[str, int, int, dt.datetime]]:
    h1, h2 = now["H1"], now["H2"]
    return [
        ("H1", 7, 3, dt.datetime(2026, 8, 20, 10, 0, tzinfo=WIB)),  # September's
        ("H2", 2, 8, dt.datetime(2026, 9, 17, 23, 30, tzinfo=WIB)),  # September's last evening
        ("H2", 8, h2, dt.datetime(2026, 10, 18, 3, 0, tzinfo=WIB)),  # November's (after cut-off)
        ("H1", 3, h1, dt.datetime(2026, 10, 30, 8, 0, tzinfo=WIB)),  # November's
    ]


def _month_end(month: int) -> dt.datetime:
    """The first instant after report month 2026-`month` (the cut-off day, WIB)."""
    return dt.datetime(2026, month, REPORT_CUTOFF_DAY + 1, tzinfo=WIB)


async def test_the_poverty_rate_by_month_follows_the_planted_decile_changes(api: Api) -> None:
    journal = api.services.journal
    assert journal is not None
    city = tiny_city()
    households = city["households"].to_pylist()
    people: dict[str, int] = {}
    for p in city["persons"].to_pylist():
        people[p["household_id"]] = people.get(p["household_id"], 0) + 1
    now = {h["household_id"]: h["welfare_decile"] for h in households}
    planted = _planted(now)
    journal.append([NewFact(kinds.LOAD_PUBLISHED, {"generation": 1}, at=FIRST_LOAD)])
    journal.append([_change(h, old, new, at) for h, old, new, at in planted])

    def decile_at(hid: str, end: dt.datetime) -> int | None:
        later = [old for h, old, _, at in planted if h == hid and at >= end]
        return later[0] if later else now[hid]

    def poor_at(end: dt.datetime, area: str | None = None) -> int:
        return sum(
            people.get(h["household_id"], 0)
            for h in households
            if (area is None or area in (h["kecamatan_code"], h["kelurahan_code"]))
            and (d := decile_at(h["household_id"], end)) is not None
            and d <= POOR_DECILE_MAX
        )

    population = default_goals().population
    rows = (await api.data(TREND, ADMIN, **{"from": "2026-07", "to": "2026-11"}))["povertyTrend"]
    assert [(r["month"], r["code"], r["known"]) for r in rows] == [
        ("2026-07", "CITY", False),
        *((f"2026-{m:02d}", "CITY", True) for m in range(8, 12)),
    ]
    assert rows[0]["poorPeople"] is None and rows[0]["povertyRate"] is None
    for row, month in zip(rows[1:], range(8, 12), strict=True):
        poor = poor_at(_month_end(month))
        assert row["population"] == population.total
        assert row["poorPeople"] == poor
        assert row["povertyRate"] == round(poor / population.total, 6)
    # the months differ: the planted changes moved people across the poor line
    assert len({r["poorPeople"] for r in rows[1:]}) > 1

    # one kecamatan, and the current month agrees with povertyIndicators
    kec = (await api.data(TREND, ADMIN, **{"from": "2026-08", "to": "2026-11", "area": "327301"}))[
        "povertyTrend"
    ]
    assert {r["code"] for r in kec} == {"327301"}
    for row, month in zip(kec, range(8, 12), strict=True):
        assert row["poorPeople"] == poor_at(_month_end(month), "327301")
        assert row["population"] == population.kecamatan["327301"]
    by_kel = (
        await api.data(TREND, ADMIN, **{"from": "2026-09", "to": "2026-09", "level": "KELURAHAN"})
    )["povertyTrend"]
    assert {r["code"]: r["poorPeople"] for r in by_kel} == {
        h["kelurahan_code"]: poor_at(_month_end(9), h["kelurahan_code"]) for h in households
    }

    bad = await api.run(TREND, ADMIN, **{"from": "2026-11", "to": "2026-07"})
    assert bad.errors and bad.errors[0].extensions["field"] == "from"
    bad = await api.run(TREND, ADMIN, **{"from": "2026-07", "to": "2026-08", "area": "999"})
    assert bad.errors and bad.errors[0].extensions["field"] == "area"
    analyst = (await api.data(TREND, ANALYST, **{"from": "2026-08", "to": "2026-08"}))[
        "povertyTrend"
    ]
    assert all((r["povertyRate"] is None) is (r["poorPeople"] is None) for r in analyst)


PROGRAMS = """query($id: ID!) { household(id: $id) {
  currentPrograms { programCode status decileAlert active } } }"""
ENROL = """mutation($h: ID!, $program: String!, $reason: String) {
  enrolHousehold(enrolment: {householdId: $h, program: $program, since: "2026-12-01",
                             overrideReason: $reason}) { programCode status decileAlert } }"""


def _statuses(body: dict[str, object]) -> dict[str, tuple[str, str | None]]:
    programs = body["household"]["currentPrograms"]  # type: ignore[index]
    return {p["programCode"]: (p["status"], p["decileAlert"]) for p in programs}


def _alert_on(hid: str, program: str, old: int, new: int, key: str | None = None) -> NewFact:
    crossing = Crossing(program, "2024.1", old, new, ())
    return NewFact(
        kind=kinds.DECILE_ALERT_RAISED,
        subject=hid,
        household_ids=(hid,),
        payload=alert_payload(hid, crossing, "327301", "3273011001"),
        key=key or f"test-alert:{hid}:{program}",
    )


async def test_the_graphs_enrolment_carries_the_pause_until_resolved(api: Api) -> None:
    journal = api.services.journal
    assert journal is not None
    pkh, bpnt = journal.append([_alert_on("H2", "PKH", 4, 5), _alert_on("H2", "BPNT", 5, 6)])
    # after a load, the replay marks every alert's enrolment (a load rebuilds them)
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    seen = _statuses(await api.data(PROGRAMS, WORKER, id="H2"))
    assert seen == {"PKH": ("PAUSED", f"DA-{pkh}"), "BPNT": ("PAUSED", f"DA-{bpnt}")}
    await api.data(RESOLVE, WORKER, id=f"DA-{pkh}", outcome="CONFIRMED_CONTINUE", note="ok")
    await api.data(RESOLVE, ADMIN, id=f"DA-{bpnt}", outcome="STOP", note="desil 6")
    # resolving lifts the pause, or ends the enrolment (no longer a current program)
    assert _statuses(await api.data(PROGRAMS, WORKER, id="H2")) == {"PKH": ("ACTIVE", None)}
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    assert _statuses(await api.data(PROGRAMS, WORKER, id="H2")) == {"PKH": ("ACTIVE", None)}


async def test_a_foundation_does_not_read_a_loads_pause_off_current_programs(api: Api) -> None:
    """A load raises an alert only when the rule held at the old decile, so a pause
    tells the rule's hidden conditions (PKH: a pregnant or disabled member), which
    check_enrolment keeps from agencies and foundations: they read ACTIVE and no
    alert. YAY-A submitted H1, whose BPNT enrolment a load's alert paused."""
    journal = api.services.journal
    assert journal is not None
    (alert,) = journal.append([_alert_on("H1", "BPNT", 4, 5)])
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    assert _statuses(await api.data(PROGRAMS, WORKER, id="H1"))["BPNT"] == (
        "PAUSED",
        f"DA-{alert}",
    )
    seen = _statuses(await api.data(PROGRAMS, YAY_A, id="H1"))
    assert seen["BPNT"] == ("ACTIVE", None), seen


async def test_an_unchecked_enrolment_over_the_threshold_raises_an_alert(api: Api) -> None:
    ruled = replace(api, services=replace(api.services, rules=eligibility_rules()))
    # H4 is in desil 5: BLT's rule (desil 1-4) fails on the decile alone; the foundation
    # the household was referred to enrols it unchecked, so it is paused for a field check
    (enrolled,) = [(await ruled.data(ENROL, YAY_B, h="H4", program="BLT"))["enrolHousehold"]]
    assert enrolled["status"] == "PAUSED" and enrolled["decileAlert"]
    (alert,) = (await ruled.data(ALERTS, WORKER, program="BLT"))["decileAlerts"]
    assert alert["id"] == enrolled["decileAlert"] and alert["householdId"] == "H4"
    assert (alert["decileFrom"], alert["decileTo"], alert["failedConditions"]) == (1, 5, ["desil"])
    assert alert["explanation"] == "Keluarga berada di desil 5, di luar batas desil 1 sampai 4."
    seen = _statuses(await ruled.data(PROGRAMS, WORKER, id="H4"))
    assert seen["BLT"] == ("PAUSED", alert["id"])
    # a social worker's override is the field decision: no alert, not paused
    over = await ruled.data(ENROL, WORKER, h="H4", program="BPNT", reason="kunjungan 1 Des")
    assert over["enrolHousehold"]["status"] == "ACTIVE"
    assert len((await ruled.data(ALERTS, WORKER))["decileAlerts"]) == 1


DECILE = """query($id: ID!) { household(id: $id) { decile } }"""


async def test_an_unchecked_enrolment_does_not_tell_a_foundation_the_rules_hidden_conditions(
    api: Api,
) -> None:
    """check_enrolment keeps a rule's answer from a foundation (its conditions
    name disabilities, pregnancy); the decile pause must not give it back. H4 is
    in desil 5, which YAY-B sees; PKH (desil 1-4 and a child, a pregnant member,
    an elder or a disabled member) and BLT (desil 1-4) both fail on the decile
    alone, so a pause judged on what the foundation sees treats both alike."""
    ruled = replace(api, services=replace(api.services, rules=eligibility_rules()))
    assert (await ruled.data(DECILE, YAY_B, id="H4"))["household"]["decile"] == 5
    blt = (await ruled.data(ENROL, YAY_B, h="H4", program="BLT"))["enrolHousehold"]
    pkh = (await ruled.data(ENROL, YAY_B, h="H4", program="PKH"))["enrolHousehold"]
    # before: BLT PAUSED, PKH ACTIVE -- the difference was PKH's special-category conditions
    assert blt["status"] == pkh["status"] == "PAUSED", (blt, pkh)


async def test_an_enrolment_stays_paused_while_any_of_its_alerts_waits(api: Api) -> None:
    """Two alerts wait on one enrolment (desil 4 -> 5, back to 3, then 3 -> 6 before
    the first visit). Resolving the newer must leave it paused by the older, as
    the replay after the next load marks it."""
    journal = api.services.journal
    assert journal is not None
    older, newer = journal.append(
        [
            _alert_on("H2", "PKH", 4, 5, "review2:H2:PKH:1"),
            _alert_on("H2", "PKH", 3, 6, "review2:H2:PKH:2"),
        ]
    )
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    await api.data(RESOLVE, WORKER, id=f"DA-{newer}", outcome="CONFIRMED_CONTINUE", note="ok")
    live = (await api.data(PROGRAMS, WORKER, id="H2"))["household"]["currentPrograms"]
    await replay_into(api.services.repository, journal)  # type: ignore[arg-type]
    replayed = (await api.data(PROGRAMS, WORKER, id="H2"))["household"]["currentPrograms"]
    assert live == replayed, (live, replayed)
    assert {p["programCode"]: p["status"] for p in live}["PKH"] == "PAUSED", (older, live)
