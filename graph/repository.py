"""Async reads and writes the API needs, one batched Cypher statement per call.

Every read takes a `Scope`. A relationship-scoped caller (an agency or a
foundation) names its organization, and the statement itself keeps only the
households opened to that organization (see `VISIBLE`): it serves them
(SERVES), a live referral TO it concerns them, a person in them is `opened`
to it (an active consent receipt or a Dinsos link confirmation, which the
scope carries as person ids), Dinsos ingested its records about a member from
its files, or every record of every member is its own. Submitting a record
through the API about a known person does not open the household: the
submitter sees only that person, as it sent them (`persons`, `source_records`).
Special-category problems and assessments are filtered in Cypher
too when `special_category` is false. The API layer masks on top of this; the
graph never hands out what the scope does not allow.

Batched reads take a list of ids and return a list aligned with it (None or []
where nothing is visible), which is what a DataLoader wants.

The class satisfies `schema.services.Repository` structurally; graph/ does not
import schema/.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final, LiteralString

from neo4j import AsyncDriver, RoutingControl

from domain.rows import (
    HOUSEHOLD_FIELDS,
    ChangeRequest,
    GraphRow,
    ReferralMove,
    WrittenRow,
    rt_rw,
)
from domain.shapes import Page, Row, Scope
from domain.targeting import DUPLICATION_PAIR, DUPLICATION_RULE_EXPR
from graph.driver import guarded
from graph.errors import GraphInputError
from graph.loader import upsert_statement
from graph.service_desk import ServiceDeskStatements

#: A referral that no longer stands (declined, passed on to another
#: organization or cancelled) opens nothing.
CLOSED_REFERRAL: Final = "['DECLINED', 'REFERRED_ONWARD', 'CANCELLED']"

#: Records the caller's organization submitted itself.
OWN_RECORD: Final = "EXISTS { MATCH (sr)-[:SUBMITTED_BY]->(:Organization {id: $org}) }"

#: Whether household `h` is open to the caller. Its records open it when Dinsos
#: ingested them from the organization's own files (a data-sharing agreement);
#: a record it submitted through the API (`via_api`) opens it only when the
#: household holds nothing else, being made of the organization's own records:
#: submitting a known person's NIK, name and birth date must not be a way to
#: look up their household. A referral a scoped organization made on a
#: household later merged into another (`merged_from`, see graph.lifecycle)
#: opens nothing. `GRANTED` is every basis but the last rule (`OWN_SUBMISSIONS`).
GRANTED: Final = (
    """(
  $org IS NULL
  OR EXISTS { MATCH (:Organization {id: $org})-[:SERVES]->(h) }
  OR EXISTS { MATCH (h)<-[:CONCERNS]-(r:Referral)-[:TO]->(:Organization {id: $org})
              WHERE NOT coalesce(r.status, 'OPEN') IN """
    + CLOSED_REFERRAL
    + """
                AND r.merged_from IS NULL }
  OR (size($opened) > 0
      AND EXISTS { MATCH (h)<-[:MEMBER_OF]-(x:Person) WHERE x.person_id IN $opened })
  OR EXISTS { MATCH (h)<-[:MEMBER_OF]-(:Person)<-[:IDENTIFIES]-(sr:SourceRecord)
                    -[:SUBMITTED_BY]->(:Organization {id: $org})
              WHERE NOT coalesce(sr.via_api, false) }
)"""
)
OWN_SUBMISSIONS: Final = """(
  EXISTS { MATCH (h)<-[:MEMBER_OF]-(:Person)<-[:IDENTIFIES]-(:SourceRecord)
                 -[:SUBMITTED_BY]->(:Organization {id: $org}) }
  AND NOT EXISTS { MATCH (h)<-[:MEMBER_OF]-(:Person)<-[:IDENTIFIES]-(o:SourceRecord)
                   WHERE NOT EXISTS { (o)-[:SUBMITTED_BY]->(:Organization {id: $org}) } }
)"""
VISIBLE: Final = "(" + GRANTED + " OR " + OWN_SUBMISSIONS + ")"

#: Every household `VISIBLE` may hold for `$org`, found from the organization's
#: side (what it serves, what is referred to it, what holds a record it
#: submitted, its opened people), as `h`: a superset of the visible ones, so a
#: scoped list starts here and keeps those VISIBLE holds for, instead of testing
#: VISIBLE on every household of the city. A new basis in GRANTED needs its way
#: in here too (a test in tests/graph/test_repository.py holds the two together).
VISIBLE_CANDIDATES: Final = """CALL () {
  MATCH (:Organization {id: $org})-[:SERVES]->(hh:Household) RETURN hh
  UNION
  MATCH (:Organization {id: $org})<-[:TO]-(:Referral)-[:CONCERNS]->(hh:Household) RETURN hh
  UNION
  MATCH (:Organization {id: $org})<-[:SUBMITTED_BY]-(:SourceRecord)-[:IDENTIFIES]->(:Person)
        -[:MEMBER_OF]->(hh:Household) RETURN hh
  UNION
  UNWIND $opened AS opened
  MATCH (:Person {person_id: opened})-[:MEMBER_OF]->(hh:Household) RETURN hh
} WITH DISTINCT hh AS h """


#: the columns of `city_targeting_facts`, in the order its statement lists them
_CITY_FACTS: Final = (
    "household_id",
    "kelurahan_code",
    "kecamatan_code",
    "decile",
    "births",
    "problems",
    "served",
    "enrolled",
)


def _visible(scope: Scope) -> LiteralString:
    """`VISIBLE`, left out for a caller who sees every household (no
    organization): Neo4j evaluates its subqueries even then, seconds over a city."""
    return "true" if scope["organization"] is None else VISIBLE


def _households_of(scope: Scope) -> LiteralString:
    """Where a list of the households `scope` may see starts, as `h`: every
    household for a caller who sees all, else `VISIBLE_CANDIDATES` (the list
    still keeps only those `VISIBLE` holds for)."""
    return "MATCH (h:Household) " if scope["organization"] is None else VISIBLE_CANDIDATES


#: After `UNWIND $ids AS id MATCH (p:Person ...)`: keep `p` only when the caller may
#: see the household it belongs to (a scoped caller never sees a person without one).
PERSON_VISIBLE: Final = (
    " OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household) WITH id, p, h, resolved_from "
    "WHERE ($org IS NULL) OR (h IS NOT NULL AND " + VISIBLE + ") "
)

#: After `... WITH id, p, resolved_from` (RESOLVE_PERSON): keep `p` when the caller may
#: see its household (`whole`) or submitted a record about it (`own`, its newest).
PERSON_SEEN: Final = (
    " OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household) WITH id, p, h, resolved_from, "
    " ($org IS NULL OR (h IS NOT NULL AND " + VISIBLE + ")) AS whole "
    "WITH id, p, h, resolved_from, whole, CASE WHEN whole THEN null ELSE head(COLLECT { "
    " MATCH (sr:SourceRecord)-[:IDENTIFIES]->(p) WHERE "
    + OWN_RECORD
    + " RETURN sr ORDER BY sr.loaded_at DESC, sr.record_key }) END AS own "
    "WHERE whole OR own IS NOT NULL "
)

SHOWN_PROBLEM: Final = "($special OR NOT coalesce(pr.special_category, false))"

#: Household `h` / person `p` is current (not merged into another, not withdrawn;
#: a person also neither deceased nor moved away): only those are counted.
ACTIVE_H: Final = "coalesce(h.status, 'active') = 'active'"
ACTIVE_P: Final = "coalesce(p.status, 'active') = 'active'"

#: `UNWIND $ids AS id` to `id, h, resolved_from`: a merged (retired) id
#: resolves to the household it was merged into; `resolved_from` is then the
#: id asked for, else null. Partners keep our ids: an old one keeps answering.
RESOLVE_HOUSEHOLD: Final = (
    "UNWIND $ids AS id MATCH (h0:Household {household_id: id}) "
    "OPTIONAL MATCH (h0)-[:MERGED_INTO]->(s:Household) "
    "WITH id, coalesce(s, h0) AS h, CASE WHEN s IS NULL THEN NULL ELSE id END AS resolved_from "
)
RESOLVE_PERSON: Final = (
    "UNWIND $ids AS id MATCH (p0:Person {person_id: id}) "
    "OPTIONAL MATCH (p0)-[:MERGED_INTO]->(s:Person) "
    "WITH id, coalesce(s, p0) AS p, CASE WHEN s IS NULL THEN NULL ELSE id END AS resolved_from "
)

#: A household as the API reads it: its fields (`domain.rows.Household`), the
#: household it was merged into, and the names of its kelurahan and kecamatan.
HOUSEHOLD_PROJECTION: Final = (
    " " + ", ".join("." + name for name in HOUSEHOLD_FIELDS) + ", .survivor_id,"
    " kelurahan: head([(h)-[:LIVES_IN]->(k) | k.name]),"
    " kecamatan: head([(h)-[:LIVES_IN]->()-[:IN]->(kc) | kc.name]) "
)
HOUSEHOLD: Final = "h {" + HOUSEHOLD_PROJECTION + "}"
#: ... and, after RESOLVE_HOUSEHOLD, the merged id it was asked by
HOUSEHOLD_RESOLVED: Final = "h {" + HOUSEHOLD_PROJECTION + ", resolved_from: resolved_from}"

PERSON_FIELDS: Final = """
  .person_id, .full_name, .nik, .no_kk, .birth_date, .birth_place, .sex,
  .relationship, .phone, .status, .survivor_id,
  household_id: head([(p)-[:MEMBER_OF]->(x) | x.household_id])
"""

REFERRAL_FIELDS: Final = """
  .referral_id, .status, .created_at, .updated_at, .note, .history, .from_org, .to_org,
  .program, .onward_from, .onward_to, .onward_org"""


def _assessment(a: LiteralString) -> LiteralString:
    """The fields of assessment `a` and its plan (the problems found and the
    programs planned are links); `revises`: the version it replaced."""
    return (
        " .assessment_id, .assessed_on, .social_worker, .organization, .plan, .notes,"
        " .goals, .follow_up_on, version: coalesce(" + a + ".version, 1),"
        " person_id: head([(" + a + ")-[:ABOUT]->(p) | p.person_id]),"
        " ppks: [(" + a + ")-[:FOUND]->(pr) | pr.code],"
        " programs: [(" + a + ")-[:PLANS]->(pg) | pg.code],"
        " revises: head([(" + a + ")-[:REVISES]->(o) | o.assessment_id]) "
    )


#: The code of program `pg`'s funder.
PROGRAM_FUNDER: Final = "head([(pg)-[:FUNDED_BY]->(f) | f.code])"

#: Whether service `s` is funded by an organization's own money (its funder is an
#: Organization's id) rather than by a kind of budget (APBN, FOUNDATION, ZAKAT).
FUNDER_IS_ORGANIZATION: Final = "EXISTS { MATCH (:Organization {id: s.funder}) }"

PROBLEM: Final = "pr {.code, .number, .name, .name_en, .special_category, .special_kind}"

HOUSEHOLD_SORT: Final[dict[str, str]] = {
    "HOUSEHOLD_ID": "h.household_id",
    "DECILE": "h.welfare_decile",
    "KELURAHAN": "h.kelurahan_code",
}


#: What a household's eligibility reads of its members (`domain.eligibility.household_facts`):
#: each member's birth date, status and the PPKS codes the scope shows (eligibility
#: passes a scope that shows every one), after a MATCH of household `h`.
MEMBER_FACTS: Final = (
    "COLLECT { MATCH (p:Person)-[:MEMBER_OF]->(h) RETURN p {.birth_date, .status,"
    " ppks: COLLECT { MATCH (p)-[:HAS_PROBLEM]->(pr:Problem) WHERE "
    + SHOWN_PROBLEM
    + " RETURN pr.code }} }"
)

#: An active household's eligibility facts (`eligibility_facts`' row), after a MATCH of `h`.
ELIGIBILITY_FACTS: Final = (
    "{household_id: h.household_id, decile: h.welfare_decile, members: " + MEMBER_FACTS + "}"
)

#: The parts of a household's 360° view, each a subquery on `h` (a visible
#: household) giving one list; `household_parts` asks for any of them at once.
#: `eligibility` (its facts as `eligibility_facts` reads them, [] when not active)
#: is there for `Loaders`, which fetches it with the 360° view for callers who see
#: eligibility (they see every PPKS, as eligibility reads them).
HOUSEHOLD_PARTS: Final[dict[str, LiteralString]] = {
    "members": "CALL (h) { MATCH (p:Person)-[:MEMBER_OF]->(h) "
    " WITH p ORDER BY p.relationship <> 'KEPALA', p.person_id "
    " RETURN collect(p {" + PERSON_FIELDS + ", problems: COLLECT { "
    "  MATCH (p)-[:HAS_PROBLEM]->(pr:Problem) WHERE "
    + SHOWN_PROBLEM
    + "  WITH pr ORDER BY pr.code RETURN "
    + PROBLEM
    + " }}) AS members }",
    "household_problems": "CALL (h) { "
    " MATCH (h)<-[:MEMBER_OF]-(p:Person)-[:HAS_PROBLEM]->(pr:Problem) WHERE "
    + SHOWN_PROBLEM
    + " AND "
    + ACTIVE_P
    + " WITH DISTINCT pr ORDER BY pr.code "
    " RETURN collect(" + PROBLEM + ") AS household_problems }",
    "current_programs": "CALL (h) { MATCH (h)-[e:ENROLLED_IN]->(pg:Program) "
    " WHERE coalesce(e.active, true) WITH e, pg ORDER BY pg.code "
    " RETURN collect(pg {.code, .name, .benefit_kind, .need, since: e.since, "
    " until: e.until, active: coalesce(e.active, true), organization: e.organization,"
    " status: coalesce(e.status, 'ACTIVE'), alert_id: e.alert_id,"
    " funder: " + PROGRAM_FUNDER + "}) AS current_programs }",
    "service_history": "CALL (h) { MATCH (s:Service)-[:RECEIVED_BY]->(h) "
    " WITH s ORDER BY s.service_date DESC, s.service_id "
    " RETURN collect(s {.service_id, .service_date, .amount, .program, .funder,"
    " .organization, .source, .record_key, funder_is_organization: "
    + FUNDER_IS_ORGANIZATION
    + ", person_id: head([(s)-[:RECEIVED_BY]->(p:Person) | p.person_id])}) AS service_history }",
    "assessments": "CALL (h) { OPTIONAL MATCH (a:Assessment)-[:ASSESSES]->(h) WHERE $special "
    " AND NOT EXISTS { MATCH (:Assessment)-[:REVISES]->(a) } "
    " WITH a ORDER BY a.assessed_on DESC "
    " RETURN collect(a {" + _assessment("a") + ", household_id: h.household_id,"
    " history: COLLECT { MATCH (a)-[:REVISES*1..]->(old:Assessment) "
    "  WITH old ORDER BY coalesce(old.version, 1) DESC "
    "  RETURN old {" + _assessment("old") + ", household_id: h.household_id} }"
    " }) AS assessments }",
    "referrals": "CALL (h) { MATCH (r:Referral)-[:CONCERNS]->(h) "
    " WHERE $org IS NULL OR r.from_org = $org OR r.to_org = $org "
    " WITH r ORDER BY r.created_at DESC "
    " RETURN collect(r {" + REFERRAL_FIELDS + ", household_id: h.household_id}) AS referrals }",
    "eligibility": "CALL (h) { RETURN CASE WHEN "
    + ACTIVE_H
    + " THEN ["
    + ELIGIBILITY_FACTS
    + "] ELSE [] END AS eligibility }",
}


#: whether the graph holds an API-written row, by entity (see `missing`)
_PRESENT: Final[dict[str, LiteralString]] = {
    "services": "UNWIND $keys AS k RETURN k.i AS i, "
    "EXISTS { MATCH (:Service {service_id: k.service_id}) } AS found",
    "assessments": "UNWIND $keys AS k RETURN k.i AS i, "
    "EXISTS { MATCH (:Assessment {assessment_id: k.assessment_id}) } AS found",
    "referrals": "UNWIND $keys AS k RETURN k.i AS i, "
    "EXISTS { MATCH (:Referral {referral_id: k.referral_id}) } AS found",
    "enrolments": "UNWIND $keys AS k RETURN k.i AS i, EXISTS { MATCH (:Household "
    "{household_id: k.household_id})-[:ENROLLED_IN]->(:Program {code: k.program}) "
    "} AS found",
    "change_requests": "UNWIND $keys AS k RETURN k.i AS i, "
    "EXISTS { MATCH (:ChangeRequest {request_id: k.request_id}) } AS found",
    "service_requests": "UNWIND $keys AS k RETURN k.i AS i, EXISTS { MATCH "
    "(:ServiceRequest {service_request_id: k.service_request_id}) } AS found",
    "grievances": "UNWIND $keys AS k RETURN k.i AS i, "
    "EXISTS { MATCH (:Grievance {grievance_id: k.grievance_id}) } AS found",
    "reported_findings": "UNWIND $keys AS k RETURN k.i AS i, EXISTS { MATCH "
    "(:ReportedFinding {reported_finding_id: k.reported_finding_id}) } AS found",
}


class GraphRepository(ServiceDeskStatements):
    #: where a list of the households a scope may see starts (`_households_of`;
    #: bench/bench_scoped_list.py swaps in every household as its baseline)
    households_from = staticmethod(_households_of)

    def __init__(self, driver: AsyncDriver, database: str = "neo4j", uri: str = "") -> None:
        self._driver = driver
        self._database = database
        self._uri = uri

    # --- plumbing ------------------------------------------------------------
    async def _run(
        self,
        query: LiteralString,
        params: Mapping[str, Any],
        write: bool = False,
        plain: bool = False,
    ) -> list[Row]:
        """`plain`: the statement returns no temporal or graph values, so the
        rows need no conversion (a whole city's rows go faster without)."""

        async def call() -> list[Row]:
            # Managed transactions, retried by the driver (for at most the
            # driver's max_transaction_retry_time) on a leader switch or a lost
            # server. Writes go to the cluster's leader, reads to its readers;
            # both use the driver's one bookmark manager (execute_query's
            # default), so a read after a write of this server waits, on
            # whichever reader it lands, until that reader holds the write.
            result = await self._driver.execute_query(
                query,
                dict(params),
                database_=self._database,
                routing_=RoutingControl.WRITE if write else RoutingControl.READ,
            )
            if plain:
                return [dict(r) for r in result.records]
            return [_native(dict(r)) for r in result.records]

        return await guarded(self._uri or "Neo4j", call)

    async def _read(
        self, query: LiteralString, scope: Scope, plain: bool = False, **params: Any
    ) -> list[Row]:
        return await self._run(
            query,
            {
                "org": scope["organization"],
                "special": scope["special_category"],
                "opened": list(scope.get("opened") or []),
                **params,
            },
            plain=plain,
        )

    async def _aligned(
        self, query: LiteralString, ids: Sequence[str], scope: Scope, field: str = "items"
    ) -> list[Any]:
        rows = await self._read(query, scope, ids=list(ids))
        by_id = {r["id"]: r[field] for r in rows}
        return [by_id.get(i) for i in ids]

    # --- look-ups by id ---------------------------------------------------------
    async def households(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        return await self._aligned(
            RESOLVE_HOUSEHOLD
            + "WHERE "
            + VISIBLE
            + " RETURN id, "
            + HOUSEHOLD_RESOLVED
            + " AS items",
            ids,
            scope,
        )

    async def granted(self, household_ids: Sequence[str], scope: Scope) -> list[bool]:
        """Whether each household is open to the caller on a basis other than
        being made only of records it submitted through the API (`GRANTED`):
        what the caller records there may open it (SERVES)."""
        found = await self._aligned(
            "UNWIND $ids AS id MATCH (h:Household {household_id: id}) "
            "RETURN id, " + GRANTED + " AS items",
            household_ids,
            scope,
        )
        return [bool(f) for f in found]

    async def persons(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        """A person whose household the caller may see, whole; a person the
        caller only submitted a record about, as its newest such record has
        them (name, NIK, KK, birth date: what it sent), marked `submitted_only`,
        without `household_id` (which would tell which submitted people live
        together); `linked_household_id` has it for the API's own checks."""
        return await self._aligned(
            RESOLVE_PERSON
            + PERSON_SEEN
            + "RETURN id, CASE WHEN whole THEN p {"
            + PERSON_FIELDS
            + ", resolved_from: resolved_from} ELSE "
            " {person_id: p.person_id, full_name: own.full_name, nik: own.nik,"
            "  no_kk: own.no_kk, birth_date: own.birth_date, household_id: null,"
            "  linked_household_id: h.household_id, status: p.status,"
            "  submitted_only: true} END AS items",
            ids,
            scope,
        )

    async def person_problems(self, person_ids: Sequence[str], scope: Scope) -> list[list[Row]]:
        return _lists(
            await self._aligned(
                "UNWIND $ids AS id MATCH (p:Person {person_id: id}) "
                "WITH id, p, null AS resolved_from "
                + PERSON_VISIBLE
                + "CALL (p) { MATCH (p)-[:HAS_PROBLEM]->(pr:Problem) WHERE "
                + SHOWN_PROBLEM
                + " RETURN pr ORDER BY pr.code } RETURN id, collect("
                + PROBLEM
                + ") AS items",
                person_ids,
                scope,
            )
        )

    async def household_parts(
        self, household_ids: Sequence[str], parts: Sequence[str], scope: Scope
    ) -> list[dict[str, Any] | None]:
        """Parts of the 360° view (see HOUSEHOLD_PARTS, and `household` for
        the household itself as `households` gives it) for several households
        in one statement: the API's only way to them. Members carry their
        `problems` too (as `person_problems` gives them), so a DataLoader can
        be primed with them."""
        unknown = [p for p in parts if p not in HOUSEHOLD_PARTS and p != "household"]
        if unknown or not parts:
            raise GraphInputError(
                f"household parts: {unknown or 'none'} asked; choose from "
                f"household, {', '.join(HOUSEHOLD_PARTS)}."
            )
        wanted = [p for p in HOUSEHOLD_PARTS if p in parts]
        query: LiteralString = RESOLVE_HOUSEHOLD + "WHERE " + _visible(scope) + " "
        for part in wanted:
            query += HOUSEHOLD_PARTS[part] + " "
        fields = [f"{p}: {p}" for p in wanted]
        if "household" in parts:
            fields.append("household: " + HOUSEHOLD_RESOLVED)
        query += "RETURN id, {" + ", ".join(fields) + "} AS items"
        return await self._aligned(query, household_ids, scope)

    async def referrals_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        """Referrals by id; a scoped caller sees only those from or to it."""
        return await self._aligned(
            "UNWIND $ids AS id MATCH (r:Referral {referral_id: id})-[:CONCERNS]->(h:Household) "
            "WHERE $org IS NULL OR r.from_org = $org OR r.to_org = $org "
            "RETURN id, r {" + REFERRAL_FIELDS + ", household_id: h.household_id} AS items",
            ids,
            scope,
        )

    async def referrals(
        self,
        scope: Scope,
        *,
        organization: str | None,
        statuses: Sequence[str],
        waiting: Sequence[str],
        moved_before: date | None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        """Referrals newest first, from or to `organization` (any when None), in
        `statuses` (any when empty); with `moved_before`, only those in a
        `waiting` status last moved before that day. A scoped caller sees only those
        from or to it."""
        rows = await self._read(
            "MATCH (r:Referral)-[:CONCERNS]->(h:Household) "
            "WHERE ($org IS NULL OR r.from_org = $org OR r.to_org = $org) "
            " AND ($organization IS NULL OR r.from_org = $organization "
            "      OR r.to_org = $organization) "
            " AND (size($statuses) = 0 OR coalesce(r.status, 'OPEN') IN $statuses) "
            " AND ($before IS NULL OR (coalesce(r.status, 'OPEN') IN $waiting "
            "      AND date(coalesce(r.updated_at, r.created_at)) < $before)) "
            "WITH r, h ORDER BY r.created_at DESC, r.referral_id "
            "WITH collect(r {" + REFERRAL_FIELDS + ", household_id: h.household_id}) AS found "
            "RETURN found[$offset..$offset + $limit] AS rows, size(found) AS total",
            scope,
            organization=organization,
            statuses=list(statuses),
            waiting=list(waiting),
            before=moved_before,
            offset=offset,
            limit=limit,
        )
        return _page(rows)

    async def follow_ups(
        self,
        scope: Scope,
        *,
        social_worker: str,
        due: date | None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        """The current version of each assessment `social_worker` signed whose
        follow-up falls on or before `due` (every one when `due` is None: the
        worker's households), soonest first, on households the caller may see;
        none for a caller without special-category access (assessments are
        special-category data)."""
        rows = await self._read(
            "MATCH (a:Assessment {social_worker: $worker})-[:ASSESSES]->(h:Household) "
            "WHERE $special AND ($due IS NULL OR a.follow_up_on <= $due) "
            " AND NOT EXISTS { MATCH (:Assessment)-[:REVISES]->(a) } AND "
            + VISIBLE
            + " WITH a, h ORDER BY a.follow_up_on, a.assessment_id "
            "WITH collect({a: a, h: h}) AS found "
            "CALL (found) { UNWIND found[$offset..$offset + $limit] AS hit "
            "  WITH hit.a AS a, hit.h AS h "
            "  RETURN collect(a {"
            + _assessment("a")
            + ", household_id: h.household_id}) AS rows } "
            "RETURN rows, size(found) AS total",
            scope,
            worker=social_worker,
            due=due,
            offset=offset,
            limit=limit,
        )
        return _page(rows)

    async def service_directory(self, ppks: str | None, kelurahan_code: str | None) -> list[Row]:
        """Organizations and the programs they have delivered or enrolled
        households in, narrowed to programs addressing problem `ppks` and to
        deliveries in kelurahan `kelurahan_code`: where a household can be
        referred. Names no household."""
        rows = await self._run(
            "MATCH (o:Organization)<-[:DELIVERED_BY]-(s:Service)-[:UNDER]->(pg:Program) "
            "WHERE ($ppks IS NULL OR EXISTS { MATCH (pg)-[:ADDRESSES]->(:Problem {code: $ppks}) }) "
            " AND ($kel IS NULL OR EXISTS { MATCH (s)-[:RECEIVED_BY]->(:Household)"
            "      -[:LIVES_IN]->(:Kelurahan {code: $kel}) }) "
            "WITH o, collect(DISTINCT pg {.code, .name}) AS programs "
            "RETURN o {.id, .name, .type, programs: programs} AS row ORDER BY o.name, o.id",
            {"ppks": ppks, "kel": kelurahan_code},
        )
        return [r["row"] for r in rows]

    async def source_records(self, person_ids: Sequence[str], scope: Scope) -> list[list[Row]]:
        """Every record of a person whose household the caller may see, with
        the match evidence; of a person it only submitted, its own records
        and no evidence (which would name the other records)."""
        return _lists(
            await self._aligned(
                "UNWIND $ids AS id MATCH (p:Person {person_id: id}) "
                "WITH id, p, null AS resolved_from "
                + PERSON_SEEN
                + "CALL (p, whole) { MATCH (sr:SourceRecord)-[i:IDENTIFIES]->(p) "
                " WHERE whole OR " + OWN_RECORD + " RETURN sr, i ORDER BY sr.record_key } "
                "RETURN id, collect(sr {.record_key, .source, .organization, .source_record_id,"
                " .full_name, .nik, .no_kk, .birth_date, .address, person_id: id,"
                " match_probability: i.match_probability,"
                " evidence: CASE WHEN whole THEN [(sr)-[m:MATCHED]-(o:SourceRecord) |"
                "  {other_record_key: o.record_key,"
                "  other_organization: o.organization,"
                "  match_probability: m.match_probability, match_weight: m.match_weight,"
                "  evidence: m.evidence}] ELSE [] END}) AS items",
                person_ids,
                scope,
            )
        )

    # --- look-up lists ------------------------------------------------------------
    async def search_persons(
        self,
        text: str,
        scope: Scope,
        *,
        kelurahan: str | None = None,
        rt: str | None = None,
        rw: str | None = None,
        offset: int = 0,
        limit: int = 20,
        statuses: Sequence[str] = ("active",),
    ) -> Page:
        query = lucene_query(text)
        if not query:
            raise GraphInputError("name: give at least one letter or digit to search for.")
        rows = await self._read(
            "CALL db.index.fulltext.queryNodes('person_names', $q) YIELD node AS p, score "
            "WHERE coalesce(p.status, 'active') IN $statuses "
            "MATCH (p)-[:MEMBER_OF]->(h:Household) "
            "WHERE ($kel IS NULL OR h.kelurahan_code = $kel OR "
            "  EXISTS { MATCH (h)-[:LIVES_IN]->(k) WHERE toLower(k.name) = toLower($kel) }) "
            "  AND ($rt IS NULL OR h.rt = $rt) AND ($rw IS NULL OR h.rw = $rw) AND "
            + VISIBLE
            + " WITH p, score ORDER BY score DESC, p.person_id "
            # every match counts; only the page's persons are read out
            "WITH collect({p: p, score: score}) AS found "
            "CALL (found) { UNWIND found[$offset..$offset + $limit] AS hit "
            "  WITH hit.p AS p, hit.score AS score "
            "  RETURN collect(p {" + PERSON_FIELDS + ", score: score}) AS rows } "
            "RETURN rows, size(found) AS total",
            scope,
            q=query,
            kel=kelurahan,
            rt=rt_rw(rt),
            rw=rt_rw(rw),
            offset=offset,
            limit=limit,
            statuses=list(statuses),
        )
        return _page(rows)

    async def find_households(
        self,
        scope: Scope,
        *,
        filters: Mapping[str, Any],
        sort: str = "HOUSEHOLD_ID",
        descending: bool = False,
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        order = HOUSEHOLD_SORT.get(sort)
        if order is None:
            raise GraphInputError(f"sort: {sort!r} is not one of {', '.join(HOUSEHOLD_SORT)}.")
        direction: LiteralString = " DESC" if descending else ""
        # a NIK or KK names a few households: start from the person index, not every
        # one; a scoped caller's from what is open to it, not the whole city
        head: LiteralString = self.households_from(scope)
        if filters.get("nik"):
            head = "MATCH (:Person {nik: $nik})-[:MEMBER_OF]->(hh:Household) WITH DISTINCT hh AS h "
        elif filters.get("no_kk"):
            head = (
                "CALL { MATCH (hh:Household {no_kk: $no_kk}) RETURN hh UNION "
                "MATCH (:Person {no_kk: $no_kk})-[:MEMBER_OF]->(hh:Household) RETURN hh } "
                "WITH DISTINCT hh AS h "
            )
        elif filters.get("kelurahan") or filters.get("kelurahan_code"):
            # one kelurahan's households, through its node (151 of them), not a scan
            head = (
                "MATCH (k:Kelurahan) WHERE k.code IN [$kel, $kel_any] "
                "  OR toLower(k.name) = toLower($kel_any) "
                "MATCH (hh:Household)-[:LIVES_IN]->(k) WITH DISTINCT hh AS h "
            )
        rows = await self._read(
            head + "WHERE coalesce(h.status, 'active') IN $statuses "
            " AND ($kel IS NULL OR h.kelurahan_code = $kel) "
            " AND ($kel_any IS NULL OR h.kelurahan_code = $kel_any OR "
            "   EXISTS { MATCH (h)-[:LIVES_IN]->(k) WHERE toLower(k.name) = toLower($kel_any) }) "
            " AND ($kec IS NULL OR h.kecamatan_code = $kec) "
            " AND ($address IS NULL OR toLower(h.address) CONTAINS $address) "
            " AND ($rt IS NULL OR h.rt = $rt) AND ($rw IS NULL OR h.rw = $rw) "
            " AND ($decile IS NULL OR h.welfare_decile = $decile) "
            " AND ($max_decile IS NULL OR h.welfare_decile <= $max_decile) "
            " AND ($no_kk IS NULL OR h.no_kk = $no_kk OR "
            "   EXISTS { MATCH (h)<-[:MEMBER_OF]-(x:Person) WHERE x.no_kk = $no_kk }) "
            " AND ($nik IS NULL OR EXISTS { MATCH (h)<-[:MEMBER_OF]-(x:Person {nik: $nik}) }) "
            " AND ($ppks IS NULL OR EXISTS { MATCH (h)<-[:MEMBER_OF]-(p:Person)"
            "   -[:HAS_PROBLEM]->(pr:Problem {code: $ppks}) WHERE "
            + SHOWN_PROBLEM
            + " AND "
            + ACTIVE_P
            + " }) "
            " AND "
            + _visible(scope)
            + " WITH h ORDER BY "
            + order
            + direction
            + ", h.household_id "
            # the matches' nodes are counted and sliced; only the page's are read out
            "WITH collect(h) AS found "
            "RETURN [h IN found[$offset..$offset + $limit] | " + HOUSEHOLD + "] AS rows,"
            " size(found) AS total",
            scope,
            kel=filters.get("kelurahan_code"),
            kel_any=filters.get("kelurahan"),
            kec=filters.get("kecamatan_code"),
            address=(filters.get("address") or "").lower() or None,
            rt=rt_rw(filters.get("rt")),
            rw=rt_rw(filters.get("rw")),
            decile=filters.get("decile"),
            max_decile=filters.get("max_decile"),
            no_kk=filters.get("no_kk"),
            nik=filters.get("nik"),
            ppks=filters.get("ppks"),
            statuses=list(filters.get("statuses") or ["active"]),
            offset=offset,
            limit=limit,
        )
        return _page(rows)

    # --- analysis -------------------------------------------------------------------
    async def duplicated_aid(
        self,
        scope: Scope,
        *,
        start: date,
        end: date,
        offset: int = 0,
        limit: int = 20,
        household_id: str | None = None,
    ) -> Page:
        """Households whose services in [start, end] overlap, by three rules
        (`domain.targeting.DUPLICATION_RULES`, judged by its
        `DUPLICATION_RULE_EXPR`, which the monthly report's SQL shares), one
        finding per household and rule and program pair (or program), with its
        services and reason:

        - same_program: one program from more than one funder or organization
          (a food parcel from three foundations in one month);
        - not_allowed: two programs the combination table says must not go
          together, whatever their needs (PKH with the city's elderly cash);
        - same_need: two programs for one need from different funders, unless
          the table allows the pair.

        `household_id`: only that household's findings (still within the scope)."""
        if end < start:
            raise GraphInputError("to: the end of the period is before its start.")
        rows = await self._read(
            "MATCH (h:Household" + (" {household_id: $household_id}" if household_id else "") + ")"
            "<-[:RECEIVED_BY]-(s1:Service)-[:UNDER]->(p1:Program), "
            " (h)<-[:RECEIVED_BY]-(s2:Service)-[:UNDER]->(p2:Program) "
            "WHERE s1.service_date >= $start AND s1.service_date <= $end "
            " AND s2.service_date >= $start AND s2.service_date <= $end "
            " AND " + DUPLICATION_PAIR + " AND " + ACTIVE_H + " AND " + VISIBLE + " "
            "OPTIONAL MATCH (p1)-[c:COMBINES_WITH]-(p2) WHERE p1 <> p2 "
            "WITH h, s1, s2, p1, p2, c, " + DUPLICATION_RULE_EXPR + " AS rule "
            "WHERE rule IS NOT NULL "
            "WITH h, rule, p1, p2, c, collect(s1) + collect(s2) AS ss "
            "UNWIND ss AS s WITH h, rule, p1, p2, c, s ORDER BY s.service_date, s.service_id "
            "WITH h, rule, p1, p2, c, collect(DISTINCT s) AS services "
            "ORDER BY h.household_id, rule, p1.code, p2.code "
            "WITH collect({household_id: h.household_id, rule: rule,"
            " need: CASE WHEN p1.need = p2.need THEN p1.need"
            "  ELSE p1.need + ' / ' + p2.need END,"
            " programs: CASE WHEN p1 = p2 THEN [p1.code] ELSE [p1.code, p2.code] END,"
            " reason: c.reason,"
            " services: [s IN services | s {"
            "  .service_id, .service_date, .amount, .program, .funder, .organization, .source,"
            "  funder_is_organization: " + FUNDER_IS_ORGANIZATION + "}]}) AS found "
            "RETURN found[$offset..$offset + $limit] AS rows, size(found) AS total",
            scope,
            start=start,
            end=end,
            offset=offset,
            limit=limit,
            household_id=household_id,
        )
        page = _page(rows)
        for r in page["rows"]:
            r["funders"] = sorted({s["funder"] for s in r["services"] if s["funder"]})
        return page

    async def mark_enrolments(self, marks: Sequence[Mapping[str, Any]]) -> int:
        """The decile alerts' marks on enrolments (`domain.decile_alerts.
        ENROLMENT_MARKS`), one per enrolment (`schema.decile_alerts.
        enrolment_marks`), each `{household_id, program, alert_id, mark, on,
        alerts}`: `PAUSED` sets the enrolment's `status` and `alert_id`; None
        lifts a pause by one of `alerts` only; `STOPPED` ends it
        (`active` false, `until` `on` unless it ended before). How many
        enrolments were marked; a mark whose enrolment is not in the graph is
        left (the next load's replay marks it)."""
        rows = await self._run(
            "UNWIND $marks AS m "
            "MATCH (:Household {household_id: m.household_id})-[e:ENROLLED_IN]->"
            "(:Program {code: m.program}) "
            "WHERE m.mark IS NOT NULL OR e.alert_id IN m.alerts "
            "SET e.status = m.mark, e.alert_id = CASE WHEN m.mark IS NULL THEN null "
            " ELSE m.alert_id END, "
            " e.active = CASE WHEN m.mark = 'STOPPED' THEN false ELSE e.active END, "
            " e.until = CASE WHEN m.mark = 'STOPPED' AND (e.until IS NULL OR e.until > m.on) "
            "  THEN m.on ELSE e.until END "
            "RETURN count(e) AS marked",
            {"marks": [dict(m) for m in marks]},
            write=True,
        )
        return int(rows[0]["marked"]) if rows else 0

    async def problems(self, scope: Scope) -> list[Row]:
        """The PPKS catalogue in its order; special-category PPKS only for a
        scope that may see them (others cannot search by them either)."""
        return await self._read(
            "MATCH (pr:Problem) WHERE $special OR NOT coalesce(pr.special_category, false) "
            "WITH pr ORDER BY pr.number, pr.code "
            "RETURN pr.code AS code, pr.number AS number, pr.name AS name, "
            "pr.name_en AS name_en, pr.special_category AS special_category, "
            "pr.special_kind AS special_kind",
            scope,
        )

    async def targeting_facts(
        self, scope: Scope, *, start: date, end: date, ids: Sequence[str] | None = None
    ) -> list[Row]:
        """What eligibility and the targeting findings read, for every active
        household the caller may see (or those of `ids`), in one statement:
        its area and decile, its members (birth date, status, PPKS codes), its
        services in [start, end] and the programs it is actively enrolled in.
        `domain.eligibility.household_facts` turns a row into facts."""
        if end < start:
            raise GraphInputError("to: the end of the period is before its start.")
        head: LiteralString = (
            "MATCH (h:Household) WHERE "
            if ids is None
            else "UNWIND $ids AS id MATCH (h:Household {household_id: id}) WHERE "
        )
        return await self._read(
            head + ACTIVE_H + " AND " + VISIBLE + " "
            "RETURN h.household_id AS household_id, h.kelurahan_code AS kelurahan_code,"
            " h.kecamatan_code AS kecamatan_code, h.welfare_decile AS decile, "
            + MEMBER_FACTS
            + " AS members,"
            " COLLECT { MATCH (s:Service)-[:RECEIVED_BY]->(h) "
            "  WHERE s.service_date >= $start AND s.service_date <= $end "
            "  WITH s ORDER BY s.service_date, s.service_id "
            "  RETURN s {.service_id, .service_date, .amount, .program, .funder, .organization,"
            "  .source, funder_is_organization: " + FUNDER_IS_ORGANIZATION + "} } AS services,"
            " COLLECT { MATCH (h)-[e:ENROLLED_IN]->(pg:Program) WHERE coalesce(e.active, true) "
            "  RETURN pg.code } AS enrolled "
            "ORDER BY household_id",
            scope,
            start=start,
            end=end,
            ids=list(ids or []),
        )

    async def eligibility_facts(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        """What a household's eligibility reads, for each of `ids` (None when it
        is not an active household the caller may see), in one statement:
        household_id, decile and members ([{birth_date, status, ppks}]). Nothing
        of it depends on the day eligibility is judged (ages are counted then)."""
        return await self._aligned(
            "UNWIND $ids AS id MATCH (h:Household {household_id: id}) WHERE "
            + ACTIVE_H
            + " AND "
            + _visible(scope)
            + " RETURN id, "
            + ELIGIBILITY_FACTS
            + " AS items",
            ids,
            scope,
        )

    async def city_targeting_facts(self, scope: Scope, *, start: date, end: date) -> list[Row]:
        """`targeting_facts` of every active household the caller may see, cut to
        what the whole city's findings read, in one statement: household_id,
        kelurahan_code, kecamatan_code, decile, births (the ISO birth date of each
        active member, null when not recorded), problems (the PPKS codes of each
        active member with one), served (the programs of its services in [start,
        end]) and enrolled. Scalars and lists in one record, so 100k households
        cross the wire and the driver in about 2 s of client CPU (a record per
        household took 9 s); a page's evidence is `targeting_facts`'."""
        if end < start:
            raise GraphInputError("to: the end of the period is before its start.")
        rows = await self._read(
            "MATCH (h:Household) WHERE " + ACTIVE_H + " AND " + _visible(scope) + " "
            "RETURN collect([h.household_id, h.kelurahan_code, h.kecamatan_code,"
            " h.welfare_decile,"
            " COLLECT { MATCH (p:Person)-[:MEMBER_OF]->(h) WHERE " + ACTIVE_P + " "
            "  RETURN toString(p.birth_date) },"
            " COLLECT { MATCH (p:Person)-[:MEMBER_OF]->(h) WHERE " + ACTIVE_P + " "
            "  WITH COLLECT { MATCH (p)-[:HAS_PROBLEM]->(pr:Problem) WHERE " + SHOWN_PROBLEM + ""
            "   RETURN pr.code } AS codes WHERE size(codes) > 0 RETURN codes },"
            " COLLECT { MATCH (s:Service)-[:RECEIVED_BY]->(h) "
            "  WHERE s.service_date >= $start AND s.service_date <= $end "
            "  RETURN DISTINCT s.program },"
            " COLLECT { MATCH (h)-[e:ENROLLED_IN]->(pg:Program) WHERE coalesce(e.active, true) "
            "  RETURN pg.code }]) AS rows",
            scope,
            start=start,
            end=end,
            plain=True,
        )
        # one record of lists: the driver's cost per record is most of a city's read
        return [dict(zip(_CITY_FACTS, r, strict=True)) for r in rows[0]["rows"]]

    async def programs_paid(
        self, scope: Scope, programs: Sequence[str], *, start: date, end: date
    ) -> dict[str, dict[str, float]]:
        """What each of `programs` paid each active household the caller may see
        in [start, end], by program then household id (in id order): the sum of
        its services' amounts (a missing amount counts 0, in service order), for
        households with at least one amount. One statement."""
        if end < start:
            raise GraphInputError("to: the end of the period is before its start.")
        rows = await self._read(
            "MATCH (s:Service)-[:RECEIVED_BY]->(h:Household) "
            "WHERE s.service_date >= $start AND s.service_date <= $end"
            " AND s.program IN $programs AND " + ACTIVE_H + " AND " + _visible(scope) + " "
            "WITH h, s ORDER BY s.service_date, s.service_id "
            "WITH s.program AS program, h, collect(s.amount) AS amounts "
            "WHERE any(a IN amounts WHERE a IS NOT NULL) "
            "RETURN program, h.household_id AS household_id, amounts "
            "ORDER BY program, household_id",
            scope,
            start=start,
            end=end,
            programs=list(programs),
            plain=True,
        )
        paid: dict[str, dict[str, float]] = {p: {} for p in programs}
        for r in rows:
            paid[r["program"]][r["household_id"]] = sum(a or 0.0 for a in r["amounts"])
        return paid

    async def graph_stamp(self) -> tuple[int, ...]:
        """What changes whenever the graph is changed other than through the
        journal: the newest load generation (its number, whether published) and
        the numbers of persons, households and services (an erasure lowers
        them). Read from Neo4j's count store: one cheap round trip."""
        rows = await self._run(
            "CALL () { OPTIONAL MATCH (g:LoadGeneration) RETURN g ORDER BY g.number DESC LIMIT 1 } "
            "RETURN coalesce(g.number, 0) AS number,"
            " CASE WHEN g.status = 'published' THEN 1 ELSE 0 END AS published,"
            " COUNT { (:Person) } AS persons, COUNT { (:Household) } AS households,"
            " COUNT { (:Service) } AS services",
            {},
        )
        r = rows[0]
        return (r["number"], r["published"], r["persons"], r["households"], r["services"])

    async def programs(self, scope: Scope) -> list[Row]:
        """Each program: funder, problems addressed, households reached
        (enrolled or served), households in need, and the share covered."""
        rows = await self._read(
            "MATCH (pg:Program) "
            "CALL (pg) { OPTIONAL MATCH (h:Household) WHERE "
            "  (EXISTS { MATCH (h)-[e:ENROLLED_IN]->(pg) WHERE coalesce(e.active, true) } "
            "   OR EXISTS { MATCH (h)<-[:RECEIVED_BY]-(:Service)-[:UNDER]->(pg) }) "
            "  AND " + ACTIVE_H + " AND " + VISIBLE + " RETURN count(h) AS reached } "
            "CALL (pg) { OPTIONAL MATCH (h:Household)<-[:MEMBER_OF]-(p:Person)-[:HAS_PROBLEM]->"
            "  (:Problem)<-[:ADDRESSES]-(pg) WHERE "
            + ACTIVE_H
            + " AND "
            + ACTIVE_P
            + " AND "
            + VISIBLE
            + "  RETURN count(DISTINCT h) AS in_need } "
            "RETURN pg {.code, .name, .benefit_kind, .need, .description,"
            " funder: " + PROGRAM_FUNDER + ","
            " ppks: [(pg)-[:ADDRESSES]->(pr) | pr.code],"
            " households_reached: reached, households_in_need: in_need} AS row "
            "ORDER BY row.code",
            scope,
        )
        return [r["row"] for r in rows]

    async def program_funders(self, codes: Sequence[str]) -> dict[str, str | None]:
        """Program code -> the code of its funder, for the programs that exist."""
        rows = await self._run(
            "UNWIND $codes AS code MATCH (pg:Program {code: code}) "
            "RETURN code, " + PROGRAM_FUNDER + " AS funder",
            {"codes": list(codes)},
        )
        return {r["code"]: r["funder"] for r in rows}

    async def funders(self, scope: Scope) -> list[Row]:
        """Each funder: its programs, households it reached, and the amount."""
        rows = await self._read(
            "MATCH (f:Funder) "
            "CALL (f) { OPTIONAL MATCH (h:Household)<-[:RECEIVED_BY]-(s:Service)-[:FUNDED_BY]->(f) "
            "  WHERE " + ACTIVE_H + " AND " + VISIBLE + " RETURN count(DISTINCT h) AS reached, "
            "  sum(coalesce(s.amount, 0.0)) AS amount, count(s) AS services } "
            "RETURN f {.code, .kind, .public,"
            # an organization funding its own deliveries is named as the organization
            " name: coalesce(f.name, head(COLLECT {"
            "  MATCH (o:Organization {id: f.code}) RETURN o.name })),"
            " programs: [(pg:Program)-[:FUNDED_BY]->(f) | pg.code],"
            " is_organization: EXISTS { MATCH (:Organization {id: f.code}) },"
            " households_reached: reached, amount: amount, services: services} AS row "
            "ORDER BY row.code",
            scope,
        )
        return [r["row"] for r in rows]

    async def visible_households(self, scope: Scope) -> list[str]:
        """The ids of the active households `scope` may see, for figures computed
        elsewhere (the poverty figures are the reports' and are narrowed to
        these for a scoped caller)."""
        rows = await self._read(
            self.households_from(scope) + "WHERE " + ACTIVE_H + " AND " + VISIBLE + " "
            "RETURN h.household_id AS id ORDER BY id",
            scope,
        )
        return [str(r["id"]) for r in rows]

    # --- writes -------------------------------------------------------------------
    async def write(self, rows: Sequence[WrittenRow]) -> None:
        """Upsert typed rows (`domain.rows`), e.g. a submitted record's
        household, person, record and evidence, a service delivery, an
        assessment, a referral or an enrolment: the rows of each entity as one
        statement (the loader's upsert of its table), entities in the order
        they first come."""
        tables: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            tables.setdefault(row.ENTITY, []).append(row.as_dict())
        for table, batch in tables.items():
            query, params = upsert_statement(table, batch)
            await self._run(query, params, write=True)

    async def advance_referral(
        self, move: ReferralMove, scope: Scope, from_status: str
    ) -> Row | None:
        """Move a referral from or to the caller's organization (any, unscoped)
        out of `from_status`; None when it is not (or no longer) in it."""
        rows = await self._run(
            "MATCH (r:Referral {referral_id: $id})-[:CONCERNS]->(h:Household) "
            "WHERE ($org IS NULL OR r.to_org = $org OR r.from_org = $org) "
            " AND coalesce(r.status, 'OPEN') = $from "
            "SET r.status = $status, r.updated_at = $at, r.note = coalesce($note, r.note), "
            " r.history = coalesce(r.history, []) + [$status], r.row_hash = null, "
            " r.onward_to = coalesce($onward_to, r.onward_to), "
            " r.onward_org = coalesce($onward_org, r.onward_org) "
            "RETURN r {" + REFERRAL_FIELDS + ", household_id: h.household_id} AS row",
            {
                "id": move.referral_id,
                "from": from_status,
                "status": move.status,
                "note": move.note,
                "at": move.updated_at,
                "onward_to": move.onward_to,
                "onward_org": move.onward_org,
                "org": scope["organization"],
            },
            write=True,
        )
        return rows[0]["row"] if rows else None

    async def missing(self, rows: Sequence[GraphRow]) -> list[bool]:
        """For each row of one journaled entity (`_PRESENT`), whether the graph
        lacks it (by its keys), so a replay fills only what is missing."""
        if not rows:
            return []
        query = _PRESENT[rows[0].ENTITY]
        keys = [{**{k: getattr(row, k) for k in row.KEYS}, "i": n} for n, row in enumerate(rows)]
        found = {r["i"] for r in await self._run(query, {"keys": keys}) if r["found"]}
        return [n not in found for n in range(len(rows))]

    async def file_change_request(self, row: ChangeRequest) -> Row:
        rows = await self._run(
            "MERGE (c:ChangeRequest {request_id: $row.request_id}) "
            "SET c += $row WITH c "
            "OPTIONAL MATCH (h:Household {household_id: $row.household_id}) "
            "FOREACH (x IN CASE WHEN h IS NULL THEN [] ELSE [h] END |"
            " MERGE (c)-[:CONCERNS]->(x)) "
            "WITH c OPTIONAL MATCH (p:Person {person_id: $row.person_id}) "
            "FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END |"
            " MERGE (c)-[:ABOUT]->(x)) "
            "RETURN c {.*} AS row",
            {"row": row.as_dict()},
            write=True,
        )
        out: Row = rows[0]["row"]
        return out

    # --- change requests ------------------------------------------------------------
    async def change_requests(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str],
        kinds: Sequence[str],
        household: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page:
        """Change requests newest first (about `household` only, when given); a
        scoped caller sees those it filed."""
        rows = await self._read(
            "MATCH (c:ChangeRequest) WHERE ($org IS NULL OR c.organization = $org) "
            " AND (size($statuses) = 0 OR c.status IN $statuses) "
            " AND (size($kinds) = 0 OR c.kind IN $kinds) "
            " AND ($household IS NULL OR c.household_id = $household) "
            "WITH c ORDER BY c.filed_at DESC, c.request_id "
            "WITH collect(c {.*}) AS found "
            "RETURN found[$offset..$offset + $limit] AS rows, size(found) AS total",
            scope,
            statuses=list(statuses),
            kinds=list(kinds),
            household=household,
            offset=offset,
            limit=limit,
        )
        return _page(rows)

    async def change_requests_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        return await self._aligned(
            "UNWIND $ids AS id MATCH (c:ChangeRequest {request_id: id}) "
            "WHERE $org IS NULL OR c.organization = $org RETURN id, c {.*} AS items",
            ids,
            scope,
        )

    async def move_change_request(self, expected: str, row: ChangeRequest) -> Row | None:
        """Set `row` (the request as it now stands) on the request if it is
        still `expected` (else None: another step took it first)."""
        rows = await self._run(
            "MATCH (c:ChangeRequest {request_id: $id}) WHERE c.status = $expected "
            "SET c += $row RETURN c {.*} AS row",
            {"id": row.request_id, "expected": expected, "row": row.as_dict()},
            write=True,
        )
        return rows[0]["row"] if rows else None

    async def apply_change_request(self, row: ChangeRequest) -> Row | None:
        """What an applied request does to the data (its person and household
        ids resolved to their survivors), noted on the request as `effect`:
        a perbaikan sets its corrections (if it names any) on the person and
        household and adds the request to their `corrections`; a penonaktifan marks the person,
        or every member of the household and the household, withdrawn
        (`status_reason` names the request); an usulan marks the household
        (the person's, when only a person is named) `proposed_by` the request.
        Safe to repeat: `hub load` applies every applied request again after
        the sources' rows were written."""
        fixes = json.loads(row.changes) if row.changes else {}
        rows = await self._run(
            "MATCH (c:ChangeRequest {request_id: $id}) "
            "OPTIONAL MATCH (p0:Person {person_id: $pid}) "
            "OPTIONAL MATCH (p0)-[:MERGED_INTO]->(ps:Person) "
            "WITH c, coalesce(ps, p0) AS p "
            "OPTIONAL MATCH (h0:Household {household_id: $hid}) "
            "OPTIONAL MATCH (h0)-[:MERGED_INTO]->(hs:Household) "
            "WITH c, p, coalesce(hs, h0) AS h0 "
            "OPTIONAL MATCH (p)-[:MEMBER_OF]->(ph:Household) "
            "WITH c, p, coalesce(h0, ph) AS h "
            "CALL (c, p, h) { "
            " WITH c, p, h WHERE c.kind = 'perbaikan' "
            " FOREACH (x IN CASE WHEN p IS NULL THEN [] ELSE [p] END |"
            "  SET x += $person, x.corrections = [r IN coalesce(x.corrections, []) "
            "   WHERE r <> c.request_id] + c.request_id) "
            " FOREACH (x IN CASE WHEN h IS NULL OR (p IS NOT NULL AND size(keys($household)) = 0)"
            "  THEN [] ELSE [h] END |"
            "  SET x += $household, x.corrections = [r IN coalesce(x.corrections, []) "
            "   WHERE r <> c.request_id] + c.request_id) "
            " WITH keys($person) + keys($household) AS fields "
            " RETURN CASE WHEN size(fields) = 0 THEN 'noted for correction (no field given)' "
            "  ELSE 'corrected ' + reduce(t = '', k IN fields |"
            "  t + CASE WHEN t = '' THEN '' ELSE ', ' END + k) END AS effect "
            " UNION "
            " WITH c, p, h WHERE c.kind = 'penonaktifan' "
            " CALL (p, h, c) { WITH p, h, c WHERE p IS NOT NULL "
            "  SET p.status = 'withdrawn', p.status_reason = 'change request ' + c.request_id "
            "  RETURN 'person ' + p.person_id + ' withdrawn' AS effect "
            "  UNION WITH p, h, c WHERE p IS NULL AND h IS NOT NULL "
            "  SET h.status = 'withdrawn', h.status_reason = 'change request ' + c.request_id "
            "  WITH h, c CALL (h, c) { MATCH (m:Person)-[:MEMBER_OF]->(h) "
            "   WHERE coalesce(m.status, 'active') = 'active' "
            "   SET m.status = 'withdrawn', m.status_reason = 'change request ' + c.request_id } "
            "  RETURN 'household ' + h.household_id + ' and its members withdrawn' AS effect } "
            " RETURN effect "
            " UNION "
            " WITH c, p, h WHERE c.kind = 'usulan' "
            " FOREACH (x IN CASE WHEN h IS NULL THEN [] ELSE [h] END |"
            "  SET x.proposed_by = c.request_id) "
            " RETURN CASE WHEN h IS NULL THEN 'proposed (no household in the data yet)' "
            "  ELSE 'household ' + h.household_id + ' proposed' END AS effect } "
            "SET c.effect = effect RETURN c {.*} AS row",
            {
                "id": row.request_id,
                "pid": row.person_id,
                "hid": row.household_id,
                "person": fixes.get("person") or {},
                "household": fixes.get("household") or {},
            },
            write=True,
        )
        return rows[0]["row"] if rows else None


def lucene_query(text: str) -> str:
    """Fuzzy full-text query from name text or standardised tokens: each token
    must match, with edit distance 1 (2 for long tokens) or as a prefix."""
    clean = "".join(ch if ch.isalnum() else " " for ch in text.lower())
    tokens = [t for t in clean.split() if t and t not in ("and", "or", "not")]
    parts = []
    for t in tokens:
        fuzz = "~2" if len(t) >= 7 else "~1" if len(t) >= 4 else ""
        parts.append(f"({t}{fuzz} OR {t}*)")
    return " AND ".join(parts)


def _page(rows: list[Row]) -> Page:
    if not rows:
        return {"rows": [], "total": 0}
    return {"rows": rows[0]["rows"], "total": rows[0]["total"]}


def _lists(items: list[Any]) -> list[list[Row]]:
    return [x if x is not None else [] for x in items]


def _native(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _native(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_native(v) for v in value]
    to_native = getattr(value, "to_native", None)
    if to_native is not None:
        return to_native()
    return value


__all__ = ["HOUSEHOLD_PARTS", "GraphRepository", "Page", "Scope", "lucene_query"]
