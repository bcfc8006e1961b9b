"""Constraints and indexes, created idempotently before any load.

Community edition has uniqueness constraints only; there is one for every
property the loader MERGEs on (a uniqueness constraint also gives the index
that makes MERGE fast). The other indexes serve the look-ups of the API:
by NIK/KK, by kelurahan/RT/RW, by decile, and fuzzy name search.
"""

from __future__ import annotations

from typing import Final

from neo4j import Driver

from graph.model import NODES

#: (label, property) pairs MERGEd on: every key of the loader's nodes
#: (graph.model), and the change requests the API files.
UNIQUE_KEYS: Final[tuple[tuple[str, str], ...]] = (
    *((node.label, node.key) for node in NODES),
    ("ChangeRequest", "request_id"),
    # the front desk's requests and complaints, by id and by public number
    ("ServiceRequest", "service_request_id"),
    ("ServiceRequest", "number"),
    ("Grievance", "grievance_id"),
    ("Grievance", "number"),
    # a complaint's targeting finding (actOnGrievance TARGETING_FINDING)
    ("ReportedFinding", "reported_finding_id"),
)

#: (name, label, properties) range indexes for the API's look-ups.
RANGE_INDEXES: Final[tuple[tuple[str, str, tuple[str, ...]], ...]] = (
    ("person_nik", "Person", ("nik",)),
    ("person_no_kk", "Person", ("no_kk",)),
    ("household_no_kk", "Household", ("no_kk",)),
    ("household_area", "Household", ("kelurahan_code", "rt", "rw")),
    ("household_decile", "Household", ("welfare_decile",)),
    ("service_date", "Service", ("service_date",)),
    ("source_record_org", "SourceRecord", ("organization",)),
    ("referral_status", "Referral", ("status",)),
    ("service_request_status", "ServiceRequest", ("status",)),
)

#: Full-text index over the name as written and its standardised tokens.
NAME_INDEX: Final[str] = "person_names"


def statements() -> list[str]:
    out = [
        f"CREATE CONSTRAINT {label.lower()}_{prop} IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
        for label, prop in UNIQUE_KEYS
    ]
    for name, label, props in RANGE_INDEXES:
        cols = ", ".join(f"n.{p}" for p in props)
        out.append(f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{label}) ON ({cols})")
    out.append(
        f"CREATE FULLTEXT INDEX {NAME_INDEX} IF NOT EXISTS FOR (n:Person) "
        "ON EACH [n.full_name, n.name_tokens]"
    )
    return out


def ensure(driver: Driver, database: str = "neo4j") -> int:
    """Create every constraint and index that is missing, and wait until they
    are online. Returns how many statements ran (all of them are no-ops when
    everything exists)."""
    stmts = statements()
    for stmt in stmts:
        driver.execute_query(stmt, database_=database)
    driver.execute_query("CALL db.awaitIndexes(300)", database_=database)
    return len(stmts)


__all__ = ["NAME_INDEX", "RANGE_INDEXES", "UNIQUE_KEYS", "ensure", "statements"]
