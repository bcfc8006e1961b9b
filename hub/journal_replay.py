"""Replaying the journal's API facts into the graph, after every `hub load`.

The graph is rebuilt from two things: staging (what `hub load` writes) and the
journal (what was written through the API: services, enrolments,
assessments, referrals and change requests). After the sources' rows are
written, `replay` writes each API-recorded row the graph lacks (a fresh or
restored Neo4j, a write that never reached it), as it stands in the journal,
through the same repository the API uses, as the same typed rows
(`domain.rows`). A row the graph holds is never written again: the API keeps
it current, and an API write made while the load ran must not be put back to
an older state (nor its free text to the journal's masked copy).

- rows are folded per id in journal order (a referral's creation, then each
  move), so each is written once, as it stands now;
- a household or person id merged into another since is written on its
  survivor; a row whose household is no longer in the graph (erased) is left
  out, and so is the person of a row whose person is gone;
- change requests are stored as they stand, and every applied one is applied
  again (a source row written by this load may have undone its correction or
  withdrawal);
- the front desk's requests, complaints and complaints' targeting findings
  are stored as they stand, without the resident's contact and NIK digest
  (the journal never held them: such a request sends no more messages and its
  Cek status answers nothing).

Last, every decile alert's mark is written on its enrolment (PAUSED while it
waits, lifted or STOPPED once resolved: `schema.decile_alerts.enrolment_marks`),
since a load rebuilds the enrolments from the sources.

So a replay on a graph that already holds the rows writes nothing but the
applied corrections and the alerts' marks again: it is safe to repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from domain.rows import (
    JOURNALED,
    ChangeRequest,
    GraphRow,
    Grievance,
    ReportedFinding,
    ServiceRequest,
)
from domain.shapes import Scope
from graph import GraphRepository, GraphTarget, open_async_driver
from journal import Journal, kinds
from journal.store import MAX_READ
from schema.decile_alerts import enrolment_marks, every_alert

#: the facts replayed
REPLAYED: Final = frozenset(
    {
        kinds.SERVICE_RECORDED,
        kinds.ENROLMENT_RECORDED,
        kinds.ASSESSMENT_RECORDED,
        kinds.REFERRAL_CREATED,
        kinds.REFERRAL_MOVED,
        kinds.CHANGE_REQUEST_FILED,
        kinds.CHANGE_REQUEST_VERIFIED,
        kinds.CHANGE_REQUEST_APPROVED,
        kinds.CHANGE_REQUEST_APPLIED,
        kinds.CHANGE_REQUEST_REJECTED,
        kinds.REPORTED_FINDING_RECORDED,
    }
    | kinds.SERVICE_DESK
)
#: the entities written as rows, in this order; then the change requests
TABLES: Final = ("services", "enrolments", "assessments", "referrals")
CHANGE_REQUESTS: Final = ChangeRequest.ENTITY
#: the front desk's entities, written after the change requests (a complaint
#: before the targeting finding it reported)
DESK: Final = (ServiceRequest.ENTITY, Grievance.ENTITY, ReportedFinding.ENTITY)
_EVERYTHING: Final[Scope] = {"organization": None, "special_category": True, "opened": []}
_BATCH: Final = 500

T = TypeVar("T")


@dataclass
class ReplayReport:
    facts: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    left_out: int = 0
    applied: int = 0
    marked: int = 0


def fold(journal: Journal) -> tuple[dict[str, dict[str, dict[str, Any]]], int]:
    """Each replayed row's latest state, per entity and id, in journal order
    (a referral's moves folded into it), its values typed as its row's."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    after, count = 0, 0
    while True:
        facts = journal.read(after, MAX_READ, kinds=REPLAYED)
        if not facts:
            return state, count
        for fact in facts:
            table, row = fact.payload.get("table"), fact.payload.get("row")
            kind = JOURNALED.get(table) if isinstance(table, str) else None
            if kind is not None and isinstance(row, Mapping):
                typed = kind.typed(row)
                key = kind.key_of(typed)
                if key is not None:
                    state.setdefault(kind.ENTITY, {}).setdefault(key, {}).update(typed)
                    count += 1
        after = facts[-1].seq


async def _survivors(repo: GraphRepository, rows: list[dict[str, Any]]) -> int:
    """Point the rows at surviving ids; drop (in place) the ones whose household
    is gone. Returns how many were dropped."""
    households = sorted({str(r["household_id"]) for r in rows if r.get("household_id")})
    persons = sorted({str(r["person_id"]) for r in rows if r.get("person_id")})
    found_h = dict(zip(households, await repo.households(households, _EVERYTHING), strict=True))
    found_p = dict(zip(persons, await repo.persons(persons, _EVERYTHING), strict=True))
    kept: list[dict[str, Any]] = []
    for row in rows:
        if row.get("household_id"):
            h = found_h.get(str(row["household_id"]))
            if h is None:
                continue
            row["household_id"] = h["household_id"]
        if row.get("person_id"):
            p = found_p.get(str(row["person_id"]))
            row["person_id"] = p["person_id"] if p else None
            if p is None and not row.get("household_id"):
                continue
        kept.append(row)
    dropped = len(rows) - len(kept)
    rows[:] = kept
    return dropped


async def _missing(repo: GraphRepository, table: str, rows: list[dict[str, Any]]) -> list[Any]:
    """The rows the graph lacks, typed (`domain.rows`), in batches: rows of
    `table`'s entity (a `WrittenRow` but for change requests)."""
    out: list[GraphRow] = []
    typed = [JOURNALED[table].from_mapping(row) for row in rows]
    for i in range(0, len(typed), _BATCH):
        batch = typed[i : i + _BATCH]
        out += [row for row, gone in zip(batch, await repo.missing(batch), strict=True) if gone]
    return out


async def replay_into(repo: GraphRepository, journal: Journal) -> ReplayReport:
    state, count = fold(journal)
    report = ReplayReport(facts=count)
    for table in TABLES:
        rows = list(state.get(table, {}).values())
        report.left_out += await _survivors(repo, rows)
        missing = await _missing(repo, table, rows)
        for i in range(0, len(missing), _BATCH):
            await repo.write(missing[i : i + _BATCH])
        report.rows[table] = len(missing)
    requests = list(state.get(CHANGE_REQUESTS, {}).values())
    absent = {r.key for r in await _missing(repo, CHANGE_REQUESTS, requests)}
    for row in requests:  # an usulan may name nobody: only ids that are gone are dropped
        if row.get("household_id") or row.get("person_id"):
            one = [row]
            report.left_out += await _survivors(repo, one)
            if not one:
                continue
        request = ChangeRequest.from_mapping(row)
        if request.key in absent:
            await repo.file_change_request(request)
        if request.status == "APPLIED":
            await repo.apply_change_request(request)
            report.applied += 1
    report.rows[CHANGE_REQUESTS] = len(absent)
    for table in DESK:
        rows = list(state.get(table, {}).values())
        report.left_out += await _survivors(repo, rows)
        missing = await _missing(repo, table, rows)
        for row in missing:
            if isinstance(row, ServiceRequest):
                await repo.register_service_request(row)
            elif isinstance(row, Grievance):
                await repo.file_grievance(row)
            elif isinstance(row, ReportedFinding):
                await repo.record_reported_finding(row)
        report.rows[table] = len(missing)
    report.marked = await repo.mark_enrolments(enrolment_marks(every_alert(journal)))
    return report


async def _replay(conn: GraphTarget, journal: Journal) -> ReplayReport:
    driver = await open_async_driver(conn)
    try:
        return await replay_into(GraphRepository(driver, conn.database, conn.uri), journal)
    finally:
        await driver.close()


def _blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end from synchronous code, also when the caller
    is itself inside an event loop (then on a thread of its own)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def replay(conn: GraphTarget, journal: Journal) -> ReplayReport:
    """Write the journal's API facts into the graph at `conn` (see the module)."""
    return _blocking(lambda: _replay(conn, journal))


__all__ = ["REPLAYED", "ReplayReport", "fold", "replay", "replay_into"]
