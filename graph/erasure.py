"""Erasing people from the graph: their source records, their own services,
assessments and change requests, the person, and a household left without
members with what hangs on it (services, assessments, referrals, change
requests); the front desk's requests and complaints about them or the
household, and the targeting findings those complaints reported. Idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neo4j import Driver

_RECORDS = """
UNWIND $keys AS k
MATCH (r:SourceRecord {record_key: k}) DETACH DELETE r
RETURN count(*) AS n"""

_SERVICES_OF_RECORDS = """
MATCH (s:Service) WHERE s.record_key IN $keys
DETACH DELETE s RETURN count(*) AS n"""

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
) -> dict[str, int]:
    """Delete these records, people and (memberless) households; counts deleted."""
    params: dict[str, Any] = {
        "keys": list(record_keys),
        "persons": list(persons),
        "households": list(households),
    }
    counts: dict[str, int] = {}
    for name, cypher in (
        ("records", _RECORDS),
        ("services", _SERVICES_OF_RECORDS),
        ("persons", _PERSONS),
        ("households", _HOUSEHOLDS),
        ("change_requests", _CHANGE_REQUESTS),
        ("service_desk", _SERVICE_DESK),
    ):
        records, _, _ = driver.execute_query(cypher, params, database_=database)
        counts[name] = int(records[0]["n"]) if records else 0
    return counts


__all__ = ["erase"]
