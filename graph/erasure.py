"""Erasing people from the graph: their source records, their own services,
assessments and change requests, the person, and a household left without
members with what hangs on it (services, assessments, referrals, change
requests); the front desk's requests and complaints about them or the
household, the targeting findings those complaints reported, and web-form
requests named by id (`desk_items` finds those a person typed). Idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from neo4j import Driver

from domain.service_desk import PENDING_VERIFICATION

_RECORDS = """
UNWIND $keys AS k
MATCH (r:SourceRecord {record_key: k}) DETACH DELETE r
RETURN count(*) AS n"""

_SERVICES_OF_RECORDS = """
MATCH (s:Service) WHERE s.record_key IN $keys
DETACH DELETE s RETURN count(*) AS n"""

# a complaint's targeting finding about a household holds conditions and services
# derived from each member (its `findings`): it goes when one member does
_FINDINGS_OF_PERSONS = """
MATCH (p:Person)-[:MEMBER_OF]->(h:Household) WHERE p.person_id IN $persons
MATCH (f:ReportedFinding {household_id: h.household_id})
WITH DISTINCT f DETACH DELETE f RETURN count(*) AS n"""

_PERSONS = """
UNWIND $persons AS pid
MATCH (p:Person {person_id: pid})
CALL (p) { OPTIONAL MATCH (x)-[:RECEIVED_BY|ABOUT]->(p)
           WHERE x:Service OR x:Assessment OR x:Referral OR x:ChangeRequest
           DETACH DELETE x }
DETACH DELETE p
RETURN count(*) AS n"""

_CHANGE_REQUESTS = """
MATCH (c:ChangeRequest) WHERE c.person_id IN $persons OR c.household_id IN $households
DETACH DELETE c RETURN count(*) AS n"""

_SERVICE_DESK = """
MATCH (x) WHERE (x:ServiceRequest OR x:Grievance OR x:ReportedFinding)
  AND (x.person_id IN $persons OR x.household_id IN $households)
DETACH DELETE x RETURN count(*) AS n"""

_WEB_FORM_REQUESTS = """
MATCH (s:ServiceRequest) WHERE s.service_request_id IN $service_requests
DETACH DELETE s RETURN count(*) AS n"""

_DESK_ITEMS = """
MATCH (s:ServiceRequest)
WHERE s.person_id IN $persons OR s.household_id IN $households
   OR (s.status = $pending AND s.applicant IS NOT NULL)
RETURN s.service_request_id AS id, s.number AS number, s.phone AS phone,
       CASE WHEN s.status = $pending THEN s.applicant END AS applicant
UNION ALL
MATCH (g:Grievance) WHERE g.person_id IN $persons OR g.household_id IN $households
RETURN g.grievance_id AS id, g.number AS number, g.phone AS phone, null AS applicant"""

_STALE_WEB_FORMS = """
MATCH (s:ServiceRequest) WHERE s.status = $pending AND s.received_at < $before
RETURN s.service_request_id AS id, s.number AS number, s.phone AS phone"""

_HOUSEHOLDS = """
UNWIND $households AS hid
MATCH (h:Household {household_id: hid}) WHERE NOT EXISTS { (:Person)-[:MEMBER_OF]->(h) }
CALL (h) { OPTIONAL MATCH (x)-[:RECEIVED_BY|ASSESSES|CONCERNS]->(h)
           WHERE x:Service OR x:Assessment OR x:Referral OR x:ChangeRequest
           DETACH DELETE x }
DETACH DELETE h
RETURN count(*) AS n"""


def erase(
    driver: Driver,
    database: str,
    *,
    record_keys: Sequence[str],
    persons: Sequence[str],
    households: Sequence[str],
    service_requests: Sequence[str] = (),
) -> dict[str, int]:
    """Delete these records, people and (memberless) households, the reported
    targeting findings of these people's households, and these service requests
    (web-form ones whose applicant is erased); counts deleted."""
    params: dict[str, Any] = {
        "keys": list(record_keys),
        "persons": list(persons),
        "households": list(households),
        "service_requests": list(service_requests),
    }
    counts: dict[str, int] = {}
    for name, cypher in (
        ("records", _RECORDS),
        ("services", _SERVICES_OF_RECORDS),
        ("reported_findings", _FINDINGS_OF_PERSONS),
        ("persons", _PERSONS),
        ("households", _HOUSEHOLDS),
        ("change_requests", _CHANGE_REQUESTS),
        ("service_desk", _SERVICE_DESK),
        ("web_form_requests", _WEB_FORM_REQUESTS),
    ):
        records, _, _ = driver.execute_query(cypher, params, database_=database)
        counts[name] = int(records[0]["n"]) if records else 0
    return counts


def desk_items(
    driver: Driver, database: str, *, persons: Sequence[str], households: Sequence[str]
) -> list[dict[str, Any]]:
    """The front desk's requests and complaints about these people or
    households (id, public number, contact phone), and every web-form request
    still PENDING_VERIFICATION with what its applicant typed (`applicant`, JSON):
    the caller picks those a person typed, whom no id names yet."""
    records, _, _ = driver.execute_query(
        _DESK_ITEMS,
        {"persons": list(persons), "households": list(households), "pending": PENDING_VERIFICATION},
        database_=database,
    )
    return [dict(r) for r in records]


def stale_web_forms(driver: Driver, database: str, *, before: datetime) -> list[dict[str, Any]]:
    """Web-form requests still PENDING_VERIFICATION received before `before`
    (id, public number, contact phone): nobody checked who typed them in time."""
    records, _, _ = driver.execute_query(
        _STALE_WEB_FORMS,
        {"pending": PENDING_VERIFICATION, "before": before},
        database_=database,
    )
    return [dict(r) for r in records]


__all__ = ["desk_items", "erase", "stale_web_forms"]
