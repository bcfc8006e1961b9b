"""What the graph holds about one person, for a subject access report: the
person, their household and its members (ids and names only), their problems,
the services, assessments and referrals recorded for them or their household,
and the links between their source records (match evidence)."""

from __future__ import annotations

from typing import Any

from neo4j import Driver, RoutingControl

_PERSON = """
MATCH (p:Person {person_id: $pid})
OPTIONAL MATCH (p)-[:MEMBER_OF]->(h:Household)
RETURN properties(p) AS person, properties(h) AS household,
  [(p)-[:HAS_PROBLEM]->(x:Problem) | x.code] AS problems,
  [(m:Person)-[:MEMBER_OF]->(h) WHERE m <> p |
     {person_id: m.person_id, full_name: m.full_name, relationship: m.relationship}] AS members,
  [(s:Service)-[:RECEIVED_BY]->(t) WHERE t = p OR t = h | properties(s)] AS services,
  [(a:Assessment)-[:ABOUT|ASSESSES]->(t) WHERE t = p OR t = h | properties(a)] AS assessments,
  [(r:Referral)-[:CONCERNS]->(h) | r
     {.*, from_org: head([(r)-[:FROM]->(o) | o.id]), to_org: head([(r)-[:TO]->(o) | o.id])}]
     AS referrals,
  [(sr:SourceRecord)-[:IDENTIFIES]->(p) | sr.record_key] AS record_keys
"""

_MATCHES = """
UNWIND $keys AS k
MATCH (a:SourceRecord {record_key: k})-[m:MATCHED]-(b:SourceRecord)
WHERE b.record_key IN $keys AND a.record_key < b.record_key
RETURN DISTINCT a.record_key AS record_key, b.record_key AS linked_to,
       m.probability AS probability, m.weight AS weight, m.evidence AS evidence
ORDER BY record_key, linked_to
"""


def _clean(value: Any) -> Any:
    """Graph values as JSON: dates as ISO text, internal content hashes left out."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in sorted(value.items()) if k != "row_hash"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value


def subject_graph(driver: Driver, database: str, person_id: str) -> dict[str, Any] | None:
    """The graph's part of a subject access report; None when the person is not there."""
    records, _, _ = driver.execute_query(
        _PERSON, {"pid": person_id}, database_=database, routing_=RoutingControl.READ
    )
    if not records:
        return None
    found = _clean(records[0].data())
    matches, _, _ = driver.execute_query(
        _MATCHES,
        {"keys": found["record_keys"]},
        database_=database,
        routing_=RoutingControl.READ,
    )
    found["matches"] = [_clean(r.data()) for r in matches]
    return dict(found)


__all__ = ["subject_graph"]
