"""What was written through the API, from the journal, as the report's temp
tables: `_rp_api_service` (every service recorded through the API before the
month's end), `_rp_api_enrolment` (each household's enrolment in a program
recorded through the API before the month's end, as last recorded) and
`_rp_api_request` (the change requests approved in the month that were still
approved or applied at its end) and `_rp_api_desk` (the front desk's figures
over the requests registered and complaints filed in the month, as they stood
at its end: `domain.service_desk.figures`). The report's sheets
and the dashboard count them with the staged ones (see reports.queries).

A fact's time is when it was recorded (an instant); the month's boundaries
are the report period's first and last instants (`Period.starts_at`,
`ends_at`: its days at 00:00 in the office's time zone, `report_timezone`),
so a service recorded at 03:00 WIB on the day after the cut-off belongs to
the next month, as the office's calendar says.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Final

import duckdb

from domain import service_desk as desk
from domain.rows import Grievance, ServiceRequest
from journal import Journal, kinds

_SERVICE_DDL: Final = """CREATE OR REPLACE TEMP TABLE _rp_api_service (
    service_id VARCHAR, household_id VARCHAR, person_id VARCHAR, program VARCHAR,
    service_date DATE, amount DOUBLE, funder VARCHAR, organization VARCHAR)"""
_ENROLMENT_DDL: Final = """CREATE OR REPLACE TEMP TABLE _rp_api_enrolment (
    household_id VARCHAR, program VARCHAR, since DATE, until DATE, organization VARCHAR)"""
_REQUEST_DDL: Final = """CREATE OR REPLACE TEMP TABLE _rp_api_request (
    request_id VARCHAR, kind VARCHAR, household_id VARCHAR, person_id VARCHAR,
    organization VARCHAR, reason VARCHAR, changes VARCHAR, approved_at TIMESTAMP)"""
_DESK_DDL: Final = """CREATE OR REPLACE TEMP TABLE _rp_api_desk (
    ord INTEGER, section VARCHAR, key VARCHAR, value DOUBLE)"""
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: a request approved in the month counts unless it was rejected by the month's end
_STILL_APPROVED: Final = frozenset({"APPROVED", "APPLIED"})
_CHANGE_KINDS: Final = (
    kinds.CHANGE_REQUEST_FILED,
    kinds.CHANGE_REQUEST_VERIFIED,
    kinds.CHANGE_REQUEST_APPROVED,
    kinds.CHANGE_REQUEST_APPLIED,
    kinds.CHANGE_REQUEST_REJECTED,
)


def _row(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    row = payload.get("row")
    return row if isinstance(row, Mapping) else {}


def corrections_text(changes: Any) -> str | None:
    """A perbaikan's corrections as `field=value, ...` (its stored JSON)."""
    if not changes:
        return None
    fixes = json.loads(changes) if isinstance(changes, str) else changes
    pairs = [
        f"{k}={v}"
        for level in ("person", "household")
        for k, v in sorted((fixes.get(level) or {}).items())
    ]
    return ", ".join(pairs) or None


def stage(
    con: duckdb.DuckDBPyConnection,
    start: dt.datetime,
    end: dt.datetime,
    journal: Journal | None,
) -> None:
    """Create and fill the tables for the instants [start, end) (time-zone aware)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("a report period's bounds are instants: give them a time zone")
    con.execute(_SERVICE_DDL)
    con.execute(_ENROLMENT_DDL)
    con.execute(_REQUEST_DDL)
    con.execute(_DESK_DDL)
    if journal is None:
        return
    _stage_desk(con, start, end, journal)
    _stage_enrolments(con, end, journal)
    services = []
    for fact in journal.between(_EPOCH, end, [kinds.SERVICE_RECORDED]):
        r = _row(fact.payload)
        services.append(
            (
                r.get("service_id"),
                r.get("household_id"),
                r.get("person_id"),
                r.get("program"),
                r.get("service_date"),
                r.get("amount"),
                r.get("funder"),
                r.get("organization"),
            )
        )
    if services:
        con.executemany("INSERT INTO _rp_api_service VALUES (?, ?, ?, ?, ?, ?, ?, ?)", services)
    latest: dict[str, Mapping[str, Any]] = {}
    approved: dict[str, dt.datetime] = {}
    for fact in journal.between(_EPOCH, end, _CHANGE_KINDS):
        r = _row(fact.payload)
        key = str(r.get("request_id"))
        latest[key] = r
        if fact.kind == kinds.CHANGE_REQUEST_APPROVED and fact.at >= start:
            approved[key] = fact.at
    requests = [
        (
            key,
            r.get("kind"),
            r.get("household_id"),
            r.get("person_id"),
            r.get("organization"),
            r.get("reason"),
            corrections_text(r.get("changes")),
            at.astimezone(dt.UTC).replace(tzinfo=None),
        )
        for key, at in approved.items()
        if (r := latest[key]).get("status") in _STILL_APPROVED
    ]
    if requests:
        con.executemany("INSERT INTO _rp_api_request VALUES (?, ?, ?, ?, ?, ?, ?, ?)", requests)
    for table in ("_rp_api_service", "_rp_api_request"):
        _to_survivors(con, table)
    _to_survivors(con, "_rp_api_enrolment", ("household",))


def _stage_enrolments(con: duckdb.DuckDBPyConnection, end: dt.datetime, journal: Journal) -> None:
    """The last enrolment recorded for each household and program before `end`."""
    latest: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    for fact in journal.between(_EPOCH, end, [kinds.ENROLMENT_RECORDED]):
        r = _row(fact.payload)
        latest[(r.get("household_id"), r.get("program"))] = r
    rows = [
        (h, p, r.get("since"), r.get("until"), r.get("organization"))
        for (h, p), r in latest.items()
    ]
    if rows:
        con.executemany("INSERT INTO _rp_api_enrolment VALUES (?, ?, ?, ?, ?)", rows)


def _stage_desk(
    con: duckdb.DuckDBPyConnection, start: dt.datetime, end: dt.datetime, journal: Journal
) -> None:
    """The front desk's figures for the month, one row per figure (section, key, value)."""
    latest: dict[str, dict[str, Any]] = {}
    for fact in journal.between(_EPOCH, end, sorted(kinds.SERVICE_DESK)):
        r = _row(fact.payload)
        shape = ServiceRequest if fact.kind in kinds.SERVICE_REQUESTS else Grievance
        key = shape.key_of(r)
        if key is not None:
            latest.setdefault(key, {}).update(shape.typed(r))

    def within(at: Any) -> bool:
        return isinstance(at, dt.datetime) and start <= at < end

    requests = [r for r in latest.values() if within(r.get("registered_at"))]
    grievances = [r for r in latest.values() if within(r.get("filed_at"))]
    found = desk.figures(requests, grievances, (end - dt.timedelta(microseconds=1)).date())
    rows: list[tuple[str, str, float | None]] = [
        ("Permohonan", "jumlah", found.requests),
        *(("Permohonan per kebutuhan", k, v) for k, v in found.by_need.items()),
        *(("Permohonan per kecamatan", k, v) for k, v in found.by_kecamatan.items()),
        *(("Permohonan per status", k, v) for k, v in found.by_status.items()),
        ("Median hari", "sampai jawaban pertama", found.median_days_to_first_answer),
        ("Median hari", "sampai selesai", found.median_days_to_end),
        ("Selesai", "jumlah", found.ended),
        ("Selesai", "dalam SLA", found.ended_within_sla),
        ("Selesai", "bagian dalam SLA", found.share_ended_within_sla),
        ("Pengaduan", "jumlah", found.grievances),
        *(("Pengaduan per jenis", k, v) for k, v in found.grievances_by_kind.items()),
        ("Pengaduan", "eskalasi", found.grievances_escalated),
    ]
    con.executemany(
        "INSERT INTO _rp_api_desk VALUES (?, ?, ?, ?)",
        [(n, section, key, value) for n, (section, key, value) in enumerate(rows)],
    )


#: the longest merge chain followed (A merged into B, B later into C, ...)
_MAX_CHAIN: Final = 20


def _to_survivors(
    con: duckdb.DuckDBPyConnection, table: str, entities: tuple[str, ...] = ("household", "person")
) -> None:
    """Households and persons merged since the API wrote about them, replaced
    by their survivors (the registries' `survivor_id`, followed along chains),
    as the staged rows are."""
    for entity in entities:
        registry = f"{entity}_registry"
        if not con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [registry]
        ).fetchall()[0][0]:
            continue
        for _ in range(_MAX_CHAIN):
            moved = con.execute(
                f"UPDATE {table} t SET {entity}_id = r.survivor_id FROM {registry} r "
                f"WHERE r.{entity}_id = t.{entity}_id AND r.status = 'merged' "
                "AND r.survivor_id IS NOT NULL AND r.survivor_id <> r."
                f"{entity}_id"
            ).fetchall()
            if not moved or not moved[0][0]:
                break


__all__ = ["corrections_text", "stage"]
