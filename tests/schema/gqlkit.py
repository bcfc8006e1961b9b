"""Helpers for API tests: principals, fake services, a query counter, the Api runner."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import strawberry
from waiting import until

from connectors.reference import REFERENCE_DIR
from domain.shapes import AuditPage
from domain.thresholds import OFFICE_TIMEZONE, POOR_DECILE_MAX, REPORT_CUTOFF_DAY
from journal import Journal
from reports.analytics import coverage_gaps, poverty
from reports.api_facts import stage
from reports.budgets import (
    budget_problem,
    funding_pool,
    in_force,
    spending,
    stage_budgets,
    versions,
)
from reports.errors import ReportError
from reports.goals import default_goals, stage_population
from reports.queries import PREPARE_SQL, Period
from reports.trend import months, poverty_trend
from schema.context import Context, Services
from schema.services import AuditEntry
from schema.tailer import JournalTailer


@dataclass(frozen=True)
class Principal:
    organization: str
    role: str
    subject: str = "tester"


ADMIN = Principal("DINSOS", "dinsos_admin")
WORKER = Principal("DINSOS", "social_worker")
YAY_A = Principal("YAY-A", "foundation")
YAY_B = Principal("YAY-B", "foundation")
ANALYST = Principal("BAPPEDA", "analyst")
AUDITOR = Principal("INSPEKTORAT", "auditor")


class FakeIntake:
    """Stands in for linkage's realtime API: links by NIK against a given map."""

    def __init__(self, known: dict[str, tuple[str, str]]) -> None:
        self.known = known
        #: KK number -> household an unknown person joins (as linkage joins by KK)
        self.households_by_kk: dict[str, str] = {}
        self.calls: list[dict[str, Any]] = []

    async def submit(self, record: Any, organization: str) -> dict[str, Any]:
        self.calls.append(dict(record))
        nik = record.get("nik")
        if nik in self.known:
            pid, hid = self.known[nik]
            return {
                "record_key": f"{organization}:{record['source_record_id']}",
                "person_id": pid,
                "household_id": hid,
                "match_probability": 0.98,
                "new_person": False,
                "new_household": False,
            }
        n = len(self.calls)
        joined = self.households_by_kk.get(record.get("no_kk") or "")
        return {
            "record_key": f"{organization}:{record['source_record_id']}",
            "person_id": f"PN{n}",
            "household_id": joined or f"HN{n}",
            "match_probability": None,
            "new_person": True,
            "new_household": joined is None,
            "kelurahan_code": "3273011002",
            "name_tokens": [record["full_name"].lower()],
        }


class MemoryAudit:
    """An in-memory audit sink: what the hub's AuditLog would be given."""

    def __init__(self) -> None:
        self.events: list[AuditEntry] = []

    async def record(self, entries: Sequence[AuditEntry]) -> None:
        self.events.extend(entries)

    async def entries(
        self, *, person_id: str | None, offset: int, limit: int, as_of: int | None = None
    ) -> AuditPage:
        as_of = len(self.events) if as_of is None else as_of
        rows = [
            {"seq": i + 1, "ts": "2026-11-02T09:30:00+00:00", "hash": f"h{i}", **e.__dict__}
            for i, e in enumerate(self.events[:as_of])
            if person_id is None or person_id in e.person_ids
        ]
        rows.reverse()
        return {"rows": rows[offset : offset + limit], "total": len(rows), "as_of": as_of}

    def about(self, person_id: str) -> list[AuditEntry]:
        return [e for e in self.events if person_id in e.person_ids]


class FakeReview:
    def __init__(self) -> None:
        self.decisions: list[tuple[str, str, bool, str, str | None]] = []

    async def decide(
        self, record_key_l: str, record_key_r: str, same: bool, reviewer: str, note: str | None
    ) -> dict[str, Any]:
        self.decisions.append((record_key_l, record_key_r, same, reviewer, note))
        return {"same": same}

    async def open_pairs(self, *, offset: int, limit: int) -> dict[str, Any]:
        """No queue: the real one is tested on a generated city (test_generated_city)."""
        return {"rows": [], "total": 0}


class CityAnalytics:
    """`schema.services.Analytics` for the tiny graph city (tests/graph/city.py): the
    reports' own figures (reports.analytics) and coverage rule (the report's
    "coverage gaps" step) on the city's tables, laid out in DuckDB as the report's
    prepared tables. Every person of the tiny city is active, no P3KE source lists
    a household, it has no staged services, and its enrolments are as if recorded
    through the API (with those the API records in `journal`). Its areas' population
    is the shipped population file's (the tiny city's codes are Bandung's)."""

    def __init__(self, tables: dict[str, pa.Table], journal: Journal | None = None) -> None:
        self.journal = journal
        self.enrolments = tables["enrolments"]
        self.con = duckdb.connect()
        for name in ("kecamatan", "kelurahan", "problems", "households", "persons", "programs"):
            self.con.register(f"city_{name}", tables[name])
        self.con.execute("""
            CREATE TABLE ref_kecamatan AS SELECT * FROM city_kecamatan;
            CREATE TABLE ref_kelurahan AS SELECT * FROM city_kelurahan;
            CREATE TABLE ref_ppks AS SELECT code, special_category FROM city_problems;
            CREATE TABLE ref_program_ppks AS
                SELECT code AS program_code, unnest(ppks) AS ppks_code FROM city_programs;
            CREATE TABLE _rp_household AS
                SELECT household_id, kecamatan_code, kelurahan_code FROM city_households;
            CREATE TABLE _rp_person AS SELECT person_id, household_id, ppks FROM city_persons;
            CREATE TABLE _rp_gone (person_id VARCHAR, status VARCHAR);
            CREATE TABLE _rp_service (household_id VARCHAR, program VARCHAR,
                                      service_date DATE);
            CREATE TABLE _rp_counted AS
                SELECT h.household_id, h.kecamatan_code, h.kelurahan_code, h.welfare_decile,
                       false AS p3ke, count(*) AS people
                FROM city_households h JOIN city_persons p USING (household_id) GROUP BY ALL""")
        self.con.execute(
            "CREATE TABLE ref_program AS FROM read_csv(?)",
            [str(REFERENCE_DIR / "program.csv")],
        )
        self.goals = default_goals()
        stage_population(self.con, self.goals.population)  # a temp table: the cursors
        self.con.execute("CREATE TABLE main._rp_population AS FROM temp._rp_population")

    async def poverty(
        self,
        *,
        level: str,
        poor_decile: int = POOR_DECILE_MAX,
        households: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        return poverty(self.con.cursor(), level, poor_decile=poor_decile, households=households)

    async def targets(self) -> dict[str, Any]:
        return self.goals.targets()

    async def budgets(self, *, year: int | None = None) -> dict[str, Any]:
        """The tiny city has no budgets file: the budgets set through the API
        (in `journal`), nothing quarantined."""
        con = self.con.cursor()
        stage_budgets(con, in_force(self.goals.budgets, self.journal))
        con.execute(
            "CREATE TEMP TABLE _rp_service (household_id VARCHAR, program VARCHAR, "
            "service_date DATE, funder VARCHAR, amount DOUBLE)"
        )
        return {"budgets": spending(con, year), "quarantined": []}

    async def funding_pool(self, *, year: int) -> dict[str, Any]:
        """Its need (its coverage gaps' households, when poor, at the program
        catalogue's costs) against the budgets set through the API."""
        con = self.con.cursor()
        stage_budgets(con, in_force(self.goals.budgets, self.journal))
        self._gaps(con)
        return funding_pool(con, year)

    async def poverty_trend(
        self,
        *,
        first: str | None = None,
        last: str | None = None,
        level: str = "CITY",
        area: str | None = None,
        households: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The trend of `reports.trend` on the city's tables and the journal's
        decile changes (the report's cut-off and time zone defaults)."""
        try:
            periods = months(first, last, REPORT_CUTOFF_DAY, OFFICE_TIMEZONE)
            return poverty_trend(
                self.con.cursor(),
                self.journal,
                periods,
                level=level,
                area=area,
                households=households,
            )
        except ReportError as exc:
            raise ValueError(str(exc)) from None

    async def budget_problem(
        self, *, funder: str, program: str, year: int, quota_households: int, amount: float
    ) -> str:
        return budget_problem(funder, program, year, quota_households, amount)

    async def budget_history(self, *, funder: str, program: str, year: int) -> list[dict[str, Any]]:
        return versions(self.goals.budgets, self.journal, funder, program, year)

    async def coverage_gaps(
        self,
        *,
        area: str | None = None,
        ppks: str | None = None,
        special_category: bool = True,
        households: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        con = self.con.cursor()
        self._gaps(con)
        return coverage_gaps(
            con, area=area, ppks=ppks, special_category=special_category, households=households
        )

    def _gaps(self, con: duckdb.DuckDBPyConnection) -> None:
        """The report's coverage-gaps step on `con`, with the enrolments, in this
        moment's report month by the office's calendar (as `hub.analytics` takes
        it: what the API recorded just now is in it, whatever the UTC date)."""
        period = Period.current(REPORT_CUTOFF_DAY, OFFICE_TIMEZONE)
        stage(con, period.starts_at, period.ends_at, self.journal)
        enrolments = self.enrolments
        con.execute(
            "INSERT INTO _rp_api_enrolment BY NAME "
            "SELECT household_id, program, since, until, organization FROM enrolments"
        )
        con.execute(PREPARE_SQL["coverage gaps"], {"end": period.end})
        del enrolments  # read by name above


class CountingDriver:
    """Wraps the async driver to count the statements a request sends."""

    def __init__(self, driver: Any) -> None:
        self._driver = driver
        self.queries: list[str] = []

    async def execute_query(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(query)
        return await self._driver.execute_query(query, *args, **kwargs)

    def session(self, **kwargs: Any) -> Any:
        return CountingSession(self, self._driver.session(**kwargs))


class CountingSession:
    def __init__(self, counter: CountingDriver, session: Any) -> None:
        self._counter, self._session = counter, session

    async def __aenter__(self) -> CountingSession:
        await self._session.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._session.__aexit__(*exc)

    async def run(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._counter.queries.append(query)
        return await self._session.run(query, *args, **kwargs)


@dataclass
class Api:
    schema: strawberry.Schema
    services: Services
    counter: CountingDriver
    intake: FakeIntake
    review: FakeReview
    audit: MemoryAudit = field(default_factory=MemoryAudit)
    tailer: JournalTailer | None = None

    async def published(self) -> None:
        """Wait until the process's tailer has published every fact journaled
        so far, so a subscription opened next sees only what comes after."""
        journal = self.services.journal
        assert self.tailer is not None and journal is not None, "this Api runs no journal tailer"
        tailer = self.tailer
        head = await asyncio.to_thread(journal.head)
        await until(
            lambda: tailer.last is not None and tailer.last >= head,
            f"the tailer to publish up to seq {head}",
        )

    def context(self, principal: Any = ADMIN, purpose: str | None = "test") -> Context:
        return Context.for_request(self.services, principal, purpose=purpose)

    async def run(
        self, query: str, principal: Any = ADMIN, *, purpose: str | None = "test", **variables: Any
    ) -> strawberry.types.ExecutionResult:
        return await self.schema.execute(
            query, variable_values=variables, context_value=self.context(principal, purpose)
        )

    async def data(
        self, query: str, principal: Any = ADMIN, *, purpose: str | None = "test", **variables: Any
    ) -> Any:
        result = await self.run(query, principal, purpose=purpose, **variables)
        assert result.errors is None, result.errors
        return result.data
