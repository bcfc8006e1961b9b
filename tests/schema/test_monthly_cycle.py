"""The monthly cycle on the generated city, through the served API: a
foundation records a service and files change requests, a social worker
verifies them, Dinsos approves them; the month's report and the dashboard
then count the service and list the approved requests, and `hub load` on a
fresh graph brings them back from the journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from generated_city import GeneratedCity, busiest_foundation, serve

from domain import service_desk as desk
from hub import pipeline
from journal import Journal
from reports.dashboard import figures
from reports.queries import SHEET_BY_NAME, Period, prepare, sheet_rows
from reports.workbook import monthly_report

pytestmark = [pytest.mark.anyio, pytest.mark.graph, pytest.mark.slow]

PROGRAM = "SANTUNAN-BULANAN"
AMOUNT = 123456.0
EVIL = '=HYPERLINK("http://evil.example","klik")'

FILE = """mutation($c: ChangeRequestInput!) { fileChangeRequest(request: $c) { id } }"""
SERVICE = """mutation($s: ServiceInput!) { recordService(service: $s) { id } }"""


def report(
    con: duckdb.DuckDBPyConnection, city: GeneratedCity, period: Period, out: Path
) -> dict[str, list[dict[str, Any]]]:
    """`hub report monthly` for `period`, each sheet's rows as dicts."""
    monthly_report(con, period, out, journal=Journal.at_home(city.settings.home))
    book = openpyxl.load_workbook(out, read_only=True)
    sheets: dict[str, list[dict[str, Any]]] = {}
    for name in ("Layanan per Program", "Perbaikan", "Penonaktifan", "Usulan Baru"):
        rows = list(book[name].iter_rows(values_only=True))
        header = [str(h) for h in rows[0]]
        sheets[name] = [
            dict(zip(header, (*r, *[None] * (len(header) - len(r))), strict=True)) for r in rows[1:]
        ]
    return sheets


def members(con: duckdb.DuckDBPyConnection, organization: str) -> list[tuple[str, str]]:
    """(household, person) pairs of households the organization's own files name."""
    return [
        (str(h), str(p))
        for h, p in con.execute(
            """SELECT DISTINCT i.household_id, i.person_id FROM current_records c
           JOIN identity_map i USING (record_key) WHERE c.organization = $1
           ORDER BY 1, 2""",
            [organization],
        ).fetchall()
    ]


async def test_the_month_holds_what_the_api_recorded(
    city: GeneratedCity, staging: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    foundation = busiest_foundation(staging)
    (hid, pid), *rest = members(staging, foundation)
    other = next(p for h, p in rest if p != pid)
    # this moment's report month and day by the office's calendar: what the API
    # records now is in it (the UTC date is a day behind from 17:00 UTC)
    period = Period.current(city.settings.report_cutoff_day, city.settings.report_timezone)
    before = report(staging, city, period, tmp_path / "before.xlsx")
    fig_before = figures(staging, period, Journal.at_home(city.settings.home))
    callers = {
        "foundation": (foundation, "foundation"),
        "worker": ("ORG-DINSOS", "social_worker"),
        "admin": ("ORG-DINSOS", "dinsos_admin"),
        "head": ("ORG-DINSOS", "dinsos_admin"),
    }
    async with serve(city, callers) as hub:
        today = desk.office_today(city.settings.report_timezone).isoformat()
        service = (
            await hub.data(
                "foundation",
                SERVICE,
                s={"householdId": hid, "program": PROGRAM, "serviceDate": today, "amount": AMOUNT},
            )
        )["recordService"]["id"]
        await hub.data(
            "foundation", SERVICE, s={"householdId": hid, "program": EVIL, "serviceDate": today}
        )
        fix = (
            await hub.data(
                "foundation",
                FILE,
                c={
                    "kind": "PERBAIKAN",
                    "householdId": hid,
                    "personId": pid,
                    "reason": "KTP: lahir di Garut",
                    "changes": {"birthPlace": "Garut"},
                },
            )
        )["fileChangeRequest"]["id"]
        leave = (
            await hub.data(
                "foundation",
                FILE,
                c={"kind": "PENONAKTIFAN", "personId": other, "reason": "pindah ke Garut"},
            )
        )["fileChangeRequest"]["id"]
        pending = (
            await hub.data(
                "foundation",
                FILE,
                c={"kind": "USULAN", "householdId": hid, "reason": "belum disetujui"},
            )
        )["fileChangeRequest"]["id"]
        for rid in (fix, leave, pending):
            await hub.data("worker", f'mutation {{ verifyChangeRequest(id: "{rid}") {{ id }} }}')
        for rid in (fix, leave):
            await hub.data("head", f'mutation {{ approveChangeRequest(id: "{rid}") {{ id }} }}')
        await hub.data("admin", f'mutation {{ applyChangeRequest(id: "{fix}") {{ id }} }}')

    after = report(staging, city, period, tmp_path / "after.xlsx")

    # the service is counted this month, and its amount
    def program_row(sheets: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        return next(
            (r for r in sheets["Layanan per Program"] if r["PROGRAM"] == PROGRAM),
            {"LAYANAN_BULAN_INI": 0, "NILAI_BULAN_INI": 0},
        )

    assert program_row(after)["LAYANAN_BULAN_INI"] == program_row(before)["LAYANAN_BULAN_INI"] + 1
    assert program_row(after)["NILAI_BULAN_INI"] == program_row(before)["NILAI_BULAN_INI"] + AMOUNT
    # text typed into the API reaches the sheet as text, never as a formula
    assert "'" + EVIL in [r["PROGRAM"] for r in after["Layanan per Program"]]
    # the approved perbaikan is listed on its person, marked as a request
    [fixed] = [r for r in after["Perbaikan"] if fix in str(r["KETERANGAN"])]
    assert fixed["ID_INDIVIDU"] == pid and "permohonan perbaikan" in fixed["JENIS_PERBAIKAN"]
    assert "birth_place=Garut" in fixed["KETERANGAN"] and foundation in fixed["KETERANGAN"]
    # the approved penonaktifan too; the usulan awaiting approval is not
    [left] = [r for r in after["Penonaktifan"] if leave in str(r["KETERANGAN"])]
    assert (left["ID_INDIVIDU"], left["ALASAN"]) == (other, "permohonan")
    assert not [r for r in after["Usulan Baru"] if pending in str(r["KETERANGAN"])]
    assert not any(fix in str(r) for r in before["Perbaikan"])
    # the dashboard's funding figures count the foundation's own money now
    fig_after = figures(staging, period, Journal.at_home(city.settings.home))

    def funded(fig: Any) -> float:
        return sum(amount for code, _, amount, _ in fig.funding if code == foundation)

    assert funded(fig_after) == funded(fig_before) + AMOUNT

    # a fresh graph gets the API's service and requests back from the journal
    city.driver.execute_query("MATCH (n) DETACH DELETE n", database_=city.database)
    con = pipeline.open_db(city.settings)
    try:
        pipeline.load_graph(city.settings, con)
    finally:
        con.close()
    assert city.cypher(
        "MATCH (s:Service {service_id: $id})-[:RECEIVED_BY]->(h:Household) "
        "RETURN h.household_id AS h, s.amount AS amount",
        id=service,
    ) == [{"h": hid, "amount": AMOUNT}]
    stored = city.cypher(
        "MATCH (c:ChangeRequest) RETURN c.request_id AS id, c.status AS s ORDER BY id"
    )
    assert sorted((r["id"], r["s"]) for r in stored) == sorted(
        [(fix, "APPLIED"), (leave, "APPROVED"), (pending, "VERIFIED")]
    )
    assert city.cypher("MATCH (p:Person {person_id: $id}) RETURN p.birth_place AS b", id=pid) == [
        {"b": "Garut"}
    ]


ENROL = """mutation($e: EnrolmentInput!) { enrolHousehold(enrolment: $e) { active } }"""
GAPS = """query($ppks: String, $first: Int!, $after: String) {
  coverageGaps(ppks: $ppks, first: $first, after: $after) { households {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }"""


async def test_an_enrolment_closes_a_gap_in_the_api_and_the_report_alike(
    city: GeneratedCity, staging: duckdb.DuckDBPyConnection
) -> None:
    period = Period.current(city.settings.report_cutoff_day, city.settings.report_timezone)

    def report_gaps() -> set[str]:
        con = staging.cursor()
        prepare(con, period, journal=Journal.at_home(city.settings.home))
        rows = sheet_rows(con, SHEET_BY_NAME["Celah Cakupan"], period)
        con.close()
        return {f"{r[0]}:{code}" for r in rows for code in str(r[9]).split(", ")}

    before = report_gaps()
    hid, code = sorted(before)[0].split(":")
    [(program,)] = staging.execute(
        "SELECT min(program_code) FROM ref_program_ppks WHERE ppks_code = $1", [code]
    ).fetchall()
    async with serve(city, {"admin": ("ORG-DINSOS", "dinsos_admin")}) as hub:

        async def api_gaps() -> set[str]:
            nodes = await hub.walk("admin", GAPS, "coverageGaps.households", first=100, ppks=code)
            return {str(n["id"]) for n in nodes}

        assert hid in await api_gaps()
        enrolled = await hub.data(
            "admin",
            ENROL,
            # a gap closes whatever the program's rule says: Dinsos' override
            e={
                "householdId": hid,
                "program": program,
                "since": period.start.isoformat(),
                "overrideReason": "assessed at home",
            },
        )
        assert enrolled["enrolHousehold"]["active"] is True
        # the API's figure follows the journal at once (its cache holds per journal head)
        assert hid not in await api_gaps()
    after = report_gaps()
    assert f"{hid}:{code}" not in after and after < before
    assert {gap.split(":")[0] for gap in before - after} == {hid}  # only its own gaps close
