"""Shared data for the authorization matrix: who is who, what they are related
to, and what each role should get. Expectations are derived from these sets
(not from schema.permissions), so the matrix checks the code against the spec.

    own household   H1 (Hermawan P1 + Euis P2 with PPKS16, assessment A1):
                    submitted by YAY-A, served by DINKES (added here)
    other household H4 (Siti Aminah P5): referred to YAY-B only; given PPKS16,
                    a phone and an assessment here so there is something to hide
"""

from __future__ import annotations

from typing import Any

from gqlkit import Principal
from neo4j import Driver

PRINCIPALS: dict[str, Principal] = {
    "dinsos_admin": Principal("DINSOS", "dinsos_admin", "admin-1"),
    "social_worker": Principal("DINSOS", "social_worker", "peksos-1"),
    "agency": Principal("DINKES", "agency", "key:dinkes"),
    "foundation": Principal("YAY-A", "foundation", "key:yaya"),
    "analyst": Principal("BAPPEDA", "analyst", "key:bappeda"),
    "auditor": Principal("INSPEKTORAT", "auditor", "key:inspektorat"),
}
ROLES = tuple(PRINCIPALS)

# --- the specification, as sets of roles ---------------------------------------
SEES_ALL = frozenset({"dinsos_admin", "social_worker"})
SCOPED = frozenset({"agency", "foundation"})
PERSONAL = SEES_ALL | SCOPED
AGGREGATES = PERSONAL | {"analyst"}
AUDIT_READERS = frozenset({"dinsos_admin", "auditor"})
#: budgets and the funding pool: analysts and Dinsos
BUDGET_READERS = SEES_ALL | {"analyst"}
WRITERS = PERSONAL
CASEWORK = SEES_ALL
SUPPRESSED = frozenset({"analyst"})
#: eligibility and named targeting findings: their conditions name disabilities
ELIGIBILITY = SEES_ALL
#: city-wide targeting counts and the what-if: not a relationship-scoped organization
CITY_AGGREGATES = SEES_ALL | {"analyst"}

# --- the households ----------------------------------------------------------
HOUSEHOLDS: dict[str, dict[str, str]] = {
    "own": {
        "hid": "H1",
        "pid": "P1",
        "name": "Hermawan",
        "kk": "3273010101010001",
        "nik": "3273011204800001",
        "phone": "081234567890",
    },
    "other": {
        "hid": "H4",
        "pid": "P5",
        "name": "Siti Aminah",
        "kk": "3273020101010004",
        "nik": "3273024303400005",
        "phone": "082198765432",
    },
}
SPECIAL = "PPKS16"

EXTRAS = (
    "MERGE (o:Organization {id: 'DINKES'}) WITH o "
    "MATCH (h:Household {household_id: 'H1'}) MERGE (o)-[:SERVES]->(h)",
    "MATCH (p:Person {person_id: 'P1'}) SET p.phone = '081234567890'",
    "MATCH (p:Person {person_id: 'P5'}) SET p.phone = '082198765432'",
    "MATCH (p:Person {person_id: 'P5'}), (pr:Problem {code: 'PPKS16'}) "
    "MERGE (p)-[:HAS_PROBLEM]->(pr)",
    "MATCH (h:Household {household_id: 'H4'}) "
    "CREATE (:Assessment {assessment_id: 'A2', plan: 'home visit', "
    "assessed_on: date('2026-09-02')})-[:ASSESSES]->(h)",
)


def add_relationships(driver: Driver, database: str) -> None:
    for statement in EXTRAS:
        driver.execute_query(statement, database_=database)


def related(role: str, which: str) -> bool:
    """Whether the role may see that household at all."""
    return role in SEES_ALL or (role in SCOPED and which == "own")


def error_code(result: Any) -> str | None:
    if not result.errors:
        return None
    return str((result.errors[0].extensions or {}).get("code"))
