"""Duplicated aid, one rule in two engines: the monthly report's `Bantuan Ganda`
(DuckDB, from staging: `reports.targeting.duplications`) and the API's
`duplicatedAid` (Cypher, from the graph) find the same findings (household,
rule, programs) over the report's window on the shared generated city, both
judging each pair of services by `domain.targeting.DUPLICATION_RULE_EXPR`
over the combination table: the city's own aid in its last month, and, this
month, aid the test records through the API (a food parcel from three
foundations, and PKH with the city's elderly cash, a pair the table forbids),
which the report reads from the journal."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import duckdb
import pytest
import strawberry
from generated_city import GeneratedCity
from gqlkit import ADMIN, MemoryAudit

from connectors.reference import eligibility_rules
from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from journal import Journal
from reports.queries import Period, prepare
from reports.targeting import DUPLICATED, WINDOW, findings_sheets
from schema.context import Context, Services

pytestmark = pytest.mark.anyio

DUPLICATED_AID = """query($from: Date!, $to: Date!, $after: String) {
  duplicatedAid(from: $from, to: $to, first: 100, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { household { id } rule programs services { program funder } } } } }"""


def _period(staging: duckdb.DuckDBPyConnection) -> Period:
    """The report month of the city's latest staged service."""
    (last,) = staging.execute("SELECT max(service_date) FROM current_services").fetchone()
    assert last is not None, "the city has no services"
    return Period.containing(last)


RECORD = """mutation($h: ID!, $program: String!, $on: Date!, $funder: String) {
  recordService(service: {householdId: $h, program: $program, serviceDate: $on,
                           amount: 250000, funder: $funder}) { id } }"""


@pytest.fixture
async def services(city: GeneratedCity, graph_target: GraphTarget) -> AsyncIterator[Services]:
    driver = await open_async_driver(graph_target)
    yield Services(
        repository=GraphRepository(driver, graph_target.database),
        audit=MemoryAudit(),
        rules=eligibility_rules(),
        journal=Journal.at_home(city.settings.home),
    )
    await driver.close()


def _report(
    staging: duckdb.DuckDBPyConnection, period: Period, journal: Journal | None = None
) -> tuple[list[dict[str, Any]], dict[str, list[tuple[Any, ...]]]]:
    prepare(staging, period, journal=journal)
    sheets = findings_sheets(staging, period, eligibility_rules())
    header = DUPLICATED.columns
    return [dict(zip(header, r, strict=True)) for r in sheets[DUPLICATED.name]], sheets


def _found(rows: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(r["ID_KELUARGA"], r["ATURAN"], r["PROGRAM"].replace(", ", "+")) for r in rows}


async def _api(
    schema: strawberry.Schema, services: Services, start: dt.date, end: dt.date
) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    after = None
    while True:
        context = Context.for_request(services, ADMIN, purpose="report agrees with the API")
        result = await schema.execute(
            DUPLICATED_AID,
            variable_values={"from": start.isoformat(), "to": end.isoformat(), "after": after},
            context_value=context,
        )
        assert result.errors is None, result.errors
        page: dict[str, Any] = result.data["duplicatedAid"]  # type: ignore[index]
        found |= {
            (n["household"]["id"], n["rule"], "+".join(n["programs"]))
            for n in (e["node"] for e in page["edges"])
        }
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def test_the_report_and_the_api_find_the_same_duplicated_aid(
    staging: duckdb.DuckDBPyConnection, gql_schema: strawberry.Schema, services: Services
) -> None:
    period = _period(staging)
    rows, sheets = _report(staging, period)
    report = _found(rows)
    # the report's window [end - WINDOW, end) is the API's [from, to] with `to` its last day
    api = await _api(gql_schema, services, period.end - WINDOW, period.end - dt.timedelta(days=1))
    assert report == api
    assert {rule for _, rule, _ in report} == {"same_program"}  # foundations' parcels
    for r in rows:  # each finding's evidence: at least two services, in words
        assert r["LAYANAN"].count(";") >= 1, r
    counted = {
        (kec, program): n
        for kec, _, kind, program, n in sheets["Temuan per Kecamatan"]
        if kind == "DUPLICATION"
    }
    per_area: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        for program in r["PROGRAM"].split(", "):
            per_area.setdefault((r["KODE_KECAMATAN"] or "-", program), set()).add(r["ID_KELUARGA"])
    assert counted == {k: len(v) for k, v in per_area.items()}


async def test_aid_recorded_through_the_api_is_found_by_both(
    city: GeneratedCity,
    staging: duckdb.DuckDBPyConnection,
    gql_schema: strawberry.Schema,
    services: Services,
) -> None:
    # this moment's report month by the office's calendar: the facts recorded
    # now fall in it (the UTC date's month ends 7 h early on the cut-off day)
    period = Period.current(city.settings.report_cutoff_day, city.settings.report_timezone)
    on = period.start
    triple, pair = (
        r["h"]
        for r in city.cypher(
            "MATCH (h:Household) WHERE coalesce(h.status, 'active') = 'active' "
            "RETURN h.household_id AS h ORDER BY h LIMIT 2"
        )
    )
    planted = [(triple, "SEMBAKO-YAYASAN", f"YAY-TEST-{n}") for n in (1, 2, 3)]
    planted += [(pair, "PKH", None), (pair, "BANSOS-LANSIA-KOTA", None)]
    for household, program, funder in planted:
        context = Context.for_request(services, ADMIN, purpose="plant duplicated aid")
        result = await gql_schema.execute(
            RECORD,
            variable_values={
                "h": household,
                "program": program,
                "on": on.isoformat(),
                "funder": funder,
            },
            context_value=context,
        )
        assert result.errors is None, result.errors
    rows, _ = _report(staging, period, services.journal)
    report = _found(rows)
    api = await _api(gql_schema, services, period.end - WINDOW, period.end - dt.timedelta(days=1))
    assert report == api
    assert (triple, "same_program", "SEMBAKO-YAYASAN") in report
    assert (pair, "not_allowed", "BANSOS-LANSIA-KOTA+PKH") in report
    (forbidden,) = (r for r in rows if r["ATURAN"] == "not_allowed" and r["ID_KELUARGA"] == pair)
    assert forbidden["PENJELASAN"] == (
        "Dua program ini menurut tabel kombinasi tidak boleh diterima bersamaan. "
        "(PKH already pays an elderly component to the same person)"
    )
