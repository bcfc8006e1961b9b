"""The front desk's reads and writes (layanan satu pintu): residents' requests
(:ServiceRequest), complaints (:Grievance) and the targeting findings
complaints reported (:ReportedFinding, REPORTED_IN its complaint), each linked
to its household (CONCERNS) when it has one. `GraphRepository` takes these methods as a base
class; the rules they follow are `domain.service_desk`'s.

A relationship-scoped caller (an agency, a foundation) sees a request only
when a live referral to it concerns the request's household (`REFERRED`),
and never a complaint nor its reported finding. Special-category PPKS among a request's needs are
left out for a scope without special categories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final, LiteralString

from domain.rows import Grievance, ReportedFinding, ServiceRequest
from domain.service_desk import PENDING_VERIFICATION, STEP_AT, STEP_SLA_DAYS
from domain.shapes import Page, Row, Scope
from domain.thresholds import OFFICE_TIMEZONE

#: a live referral to the caller's organization concerns the household `h`
REFERRED: Final = (
    "($org IS NULL OR (h IS NOT NULL AND EXISTS { "
    "MATCH (h)<-[:CONCERNS]-(r:Referral)-[:TO]->(:Organization {id: $org}) "
    "WHERE NOT coalesce(r.status, 'OPEN') IN ['DECLINED', 'REFERRED_ONWARD', 'CANCELLED'] "
    "AND r.merged_from IS NULL }))"
)
#: a request as read: every property but the contact check, the needs as the scope sees them
REQUEST: Final = (
    "s {.*, nik_check: null, nik_salt: null, "
    "needs: [n IN coalesce(s.needs, []) WHERE $special OR NOT EXISTS { "
    "MATCH (:Problem {code: n, special_category: true}) }]}"
)
#: the request `s` is overdue: past its step's SLA (`$due`: status -> the day
#: before which reaching it makes it overdue; `$at`: status -> its time property)
#: (the office's day of it: `$zone`, domain.thresholds.OFFICE_TIMEZONE)
OVERDUE: Final = (
    "(s.status IN keys($due) AND date(datetime({datetime: s[$at[s.status]], timezone: $zone}))"
    " < date($due[s.status]))"
)


def overdue_cutoffs(today: date) -> dict[str, str]:
    """Per open status, the day a request must have reached it on or after not to be
    overdue today (`domain.service_desk.request_overdue`)."""
    return {
        status: date.fromordinal(today.toordinal() - days).isoformat()
        for status, days in STEP_SLA_DAYS.items()
    }


class ServiceDeskStatements:
    """Mixed into `GraphRepository`, which supplies `_run`, `_read` and `_aligned`."""

    if TYPE_CHECKING:

        async def _run(
            self, query: LiteralString, params: Mapping[str, Any], write: bool = False
        ) -> list[Row]: ...
        async def _read(self, query: LiteralString, scope: Scope, **params: Any) -> list[Row]: ...
        async def _aligned(
            self, query: LiteralString, ids: Sequence[str], scope: Scope, field: str = "items"
        ) -> list[Any]: ...

    # --- requests ---------------------------------------------------------------
    async def register_service_request(self, row: ServiceRequest) -> Row:
        rows = await self._run(
            "MERGE (s:ServiceRequest {service_request_id: $row.service_request_id}) "
            "SET s += $row WITH s "
            "OPTIONAL MATCH (h:Household {household_id: $row.household_id}) "
            "FOREACH (x IN CASE WHEN h IS NULL THEN [] ELSE [h] END |"
            " MERGE (s)-[:CONCERNS]->(x)) "
            "RETURN s {.*} AS row",
            {"row": row.as_dict()},
            write=True,
        )
        out: Row = rows[0]["row"]
        return out

    async def unknown_needs(self, codes: Sequence[str]) -> list[str]:
        """The codes that are neither a PPKS nor a program's need in the catalogue."""
        rows = await self._run(
            "UNWIND $codes AS c WITH c WHERE NOT EXISTS { MATCH (:Problem {code: c}) } "
            "AND NOT EXISTS { MATCH (pg:Program) WHERE pg.need = c } RETURN collect(c) AS bad",
            {"codes": list(codes)},
        )
        return list(rows[0]["bad"]) if rows else []

    async def service_requests_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        return await self._aligned(
            "UNWIND $ids AS id OPTIONAL MATCH (a:ServiceRequest {service_request_id: id}) "
            "OPTIONAL MATCH (b:ServiceRequest {number: id}) "
            "WITH id, coalesce(a, b) AS s WHERE s IS NOT NULL "
            "OPTIONAL MATCH (s)-[:CONCERNS]->(h:Household) WITH id, s, h WHERE "
            + REFERRED
            + " RETURN id, "
            + REQUEST
            + " AS items",
            ids,
            scope,
        )

    async def service_requests(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str] = (),
        assigned_to: str | None = None,
        kelurahan_code: str | None = None,
        household: str | None = None,
        overdue: bool | None = None,
        today: date,
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        """Requests newest first, by status, worker, kelurahan, household and
        whether they are overdue on `today`."""
        rows = await self._read(
            "MATCH (s:ServiceRequest) "
            "WHERE (size($statuses) = 0 OR s.status IN $statuses) "
            " AND ($worker IS NULL OR s.assigned_to = $worker) "
            " AND ($kel IS NULL OR s.kelurahan_code = $kel) "
            " AND ($household IS NULL OR s.household_id = $household) "
            " AND ($overdue IS NULL OR " + OVERDUE + " = $overdue) "
            "OPTIONAL MATCH (s)-[:CONCERNS]->(h:Household) WITH s, h WHERE "
            + REFERRED
            + " WITH s ORDER BY coalesce(s.registered_at, s.received_at) DESC, "
            "s.service_request_id "
            "WITH collect(" + REQUEST + ") AS found "
            "RETURN found[$offset..$offset + $limit] AS rows, size(found) AS total",
            scope,
            statuses=list(statuses),
            worker=assigned_to,
            kel=kelurahan_code,
            household=household,
            overdue=overdue,
            due=overdue_cutoffs(today),
            at=dict(STEP_AT),
            zone=OFFICE_TIMEZONE,
            offset=offset,
            limit=limit,
        )
        return {"rows": rows[0]["rows"], "total": rows[0]["total"]} if rows else _EMPTY

    async def move_service_request(self, expected: str, row: ServiceRequest) -> Row | None:
        """Set `row` (the request as it now stands) if it is still `expected`
        (else None: another move took it first). The contact and NIK check are
        kept as they are."""
        changed = {
            k: v for k, v in row.as_dict().items() if k not in ("phone", "nik_check", "nik_salt")
        }
        rows = await self._run(
            "MATCH (s:ServiceRequest {service_request_id: $id}) WHERE s.status = $expected "
            "SET s += $row RETURN s {.*} AS row",
            {"id": row.service_request_id, "expected": expected, "row": changed},
            write=True,
        )
        return rows[0]["row"] if rows else None

    async def verify_service_request(self, row: ServiceRequest) -> Row | None:
        """Link a request still PENDING_VERIFICATION to the household the front
        desk verified (`row` as it now stands, with its NIK check and no
        applicant's text any more); None when another hand verified it first."""
        rows = await self._run(
            "MATCH (s:ServiceRequest {service_request_id: $row.service_request_id}) "
            "WHERE s.status = $pending SET s += $row WITH s "
            "MATCH (h:Household {household_id: $row.household_id}) "
            "MERGE (s)-[:CONCERNS]->(h) RETURN s {.*} AS row",
            {"row": row.as_dict(), "pending": PENDING_VERIFICATION},
            write=True,
        )
        return rows[0]["row"] if rows else None

    async def open_service_requests(self, household_id: str) -> list[Row]:
        """The household's requests not ended (a merged id's survivor's too), whole."""
        rows = await self._run(
            "MATCH (h0:Household {household_id: $hid}) "
            "OPTIONAL MATCH (h0)-[:MERGED_INTO]->(hs:Household) "
            "WITH coalesce(hs, h0) AS h "
            "MATCH (s:ServiceRequest)-[:CONCERNS]->(h) WHERE s.status <> 'ENDED' "
            "RETURN s {.*} AS row ORDER BY s.registered_at",
            {"hid": household_id},
        )
        return [r["row"] for r in rows]

    async def open_requests_by_worker(self, workers: Sequence[str]) -> dict[str, int]:
        """How many open requests each worker holds (a worker with none: 0)."""
        rows = await self._run(
            "UNWIND $workers AS w "
            "RETURN w AS worker, COUNT { MATCH (s:ServiceRequest) "
            " WHERE s.assigned_to = w AND s.status <> 'ENDED' } AS open",
            {"workers": list(workers)},
        )
        return {r["worker"]: int(r["open"]) for r in rows}

    async def service_request_for_status(self, number: str) -> Row | None:
        """A request by its public number, for the resident's status check
        (unscoped: the caller checks the NIK digits before showing anything)."""
        rows = await self._run(
            "OPTIONAL MATCH (s:ServiceRequest {number: $number}) "
            "RETURN CASE WHEN s IS NULL THEN null ELSE s {.service_request_id, .household_id,"
            " .status, .outcome, .outcome_reason, .received_at, .registered_at, .assigned_at,"
            " .assessed_at, .in_service_at, .ended_at, .nik_check, .nik_salt} END AS row",
            {"number": number},
        )
        return rows[0]["row"] if rows else None

    # --- complaints -------------------------------------------------------------
    async def file_grievance(self, row: Grievance) -> Row:
        rows = await self._run(
            "MERGE (g:Grievance {grievance_id: $row.grievance_id}) "
            "SET g += $row WITH g "
            "OPTIONAL MATCH (h:Household {household_id: $row.household_id}) "
            "FOREACH (x IN CASE WHEN h IS NULL THEN [] ELSE [h] END |"
            " MERGE (g)-[:CONCERNS]->(x)) "
            "RETURN g {.*} AS row",
            {"row": row.as_dict()},
            write=True,
        )
        out: Row = rows[0]["row"]
        return out

    async def grievances_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        return await self._aligned(
            "UNWIND $ids AS id OPTIONAL MATCH (a:Grievance {grievance_id: id}) "
            "OPTIONAL MATCH (b:Grievance {number: id}) "
            "WITH id, coalesce(a, b) AS g WHERE g IS NOT NULL AND $org IS NULL "
            "RETURN id, g {.*} AS items",
            ids,
            scope,
        )

    async def grievances(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str] = (),
        kinds: Sequence[str] = (),
        hidden_kinds: Sequence[str] = (),
        household: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        """Complaints newest first, by status, kind and household; never those of
        `hidden_kinds` (the kinds the caller may not read)."""
        rows = await self._read(
            "MATCH (g:Grievance) WHERE $org IS NULL "
            " AND (size($statuses) = 0 OR g.status IN $statuses) "
            " AND (size($kinds) = 0 OR g.kind IN $kinds) AND NOT g.kind IN $hidden "
            " AND ($household IS NULL OR g.household_id = $household) "
            "WITH g ORDER BY g.filed_at DESC, g.grievance_id "
            "WITH collect(g {.*}) AS found "
            "RETURN found[$offset..$offset + $limit] AS rows, size(found) AS total",
            scope,
            statuses=list(statuses),
            kinds=list(kinds),
            hidden=list(hidden_kinds),
            household=household,
            offset=offset,
            limit=limit,
        )
        return {"rows": rows[0]["rows"], "total": rows[0]["total"]} if rows else _EMPTY

    async def move_grievance(self, expected: str, row: Grievance) -> Row | None:
        changed = {k: v for k, v in row.as_dict().items() if k != "phone"}
        rows = await self._run(
            "MATCH (g:Grievance {grievance_id: $id}) WHERE g.status = $expected "
            "SET g += $row RETURN g {.*} AS row",
            {"id": row.grievance_id, "expected": expected, "row": changed},
            write=True,
        )
        return rows[0]["row"] if rows else None

    # --- a complaint's targeting finding -------------------------------------------
    async def record_reported_finding(self, row: ReportedFinding) -> Row:
        rows = await self._run(
            "MERGE (f:ReportedFinding {reported_finding_id: $row.reported_finding_id}) "
            "SET f += $row WITH f "
            "OPTIONAL MATCH (h:Household {household_id: $row.household_id}) "
            "FOREACH (x IN CASE WHEN h IS NULL THEN [] ELSE [h] END |"
            " MERGE (f)-[:CONCERNS]->(x)) "
            "WITH f OPTIONAL MATCH (g:Grievance {grievance_id: $row.grievance_id}) "
            "FOREACH (x IN CASE WHEN g IS NULL THEN [] ELSE [g] END |"
            " MERGE (f)-[:REPORTED_IN]->(x)) "
            "RETURN f {.*} AS row",
            {"row": row.as_dict()},
            write=True,
        )
        out: Row = rows[0]["row"]
        return out

    async def reported_findings_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        return await self._aligned(
            "UNWIND $ids AS id MATCH (f:ReportedFinding {reported_finding_id: id}) "
            "WHERE $org IS NULL RETURN id, f {.*} AS items",
            ids,
            scope,
        )

    async def reported_findings(
        self,
        scope: Scope,
        *,
        household: str | None = None,
        hidden_kinds: Sequence[str] = (),
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        """Complaints' targeting findings newest first (of `household` only, when
        given); never those of complaints of `hidden_kinds`."""
        rows = await self._read(
            "MATCH (f:ReportedFinding) WHERE $org IS NULL "
            " AND ($household IS NULL OR f.household_id = $household) "
            " AND NOT coalesce(f.grievance_kind, '') IN $hidden "
            "WITH f ORDER BY f.reported_at DESC, f.reported_finding_id "
            "WITH collect(f {.*}) AS found "
            "RETURN found[$offset..$offset + $limit] AS rows, size(found) AS total",
            scope,
            household=household,
            hidden=list(hidden_kinds),
            offset=offset,
            limit=limit,
        )
        return {"rows": rows[0]["rows"], "total": rows[0]["total"]} if rows else _EMPTY

    # --- figures ----------------------------------------------------------------
    async def service_desk_facts(self, start: datetime, end: datetime) -> Row:
        """The requests registered and the complaints filed in [start, end):
        what `domain.service_desk.figures` counts (no personal data)."""
        rows = await self._run(
            "CALL () { MATCH (s:ServiceRequest) "
            " WHERE s.registered_at >= $start AND s.registered_at < $end "
            " RETURN collect(s {.needs, .kecamatan_code, .status, .registered_at,"
            " .assigned_at, .assessed_at, .in_service_at, .ended_at}) AS requests } "
            "CALL () { MATCH (g:Grievance) WHERE g.filed_at >= $start AND g.filed_at < $end "
            " RETURN collect(g {.kind, .status, .filed_at}) AS grievances } "
            "RETURN requests, grievances",
            {"start": start, "end": end},
        )
        out: Row = rows[0]
        return out


_EMPTY: Final[Page] = {"rows": [], "total": 0}

__all__ = ["ServiceDeskStatements", "overdue_cutoffs"]
