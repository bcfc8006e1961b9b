"""Identity lifecycle in the graph: retire merged and withdrawn identities,
move what hangs on them to their survivor, and drop rows that are gone.

The loader only upserts; after a re-link the linkage output also says which
person and household ids stopped being current. This module makes the graph
agree with it, set-based, one UNWIND statement per batch:

- `retire(driver, "household" | "person", rows)` takes rows `{id, status,
  survivor_id}`. A merged id (status 'merged', a survivor) keeps its node,
  marked with its status and `survivor_id`, with one `MERGED_INTO` relationship
  to the survivor; everything attached to it moves to the survivor: services,
  assessments, referrals, change requests, enrolments, its remaining members
  (households; SERVES and referrals by scoped organizations carry no access,
  see `_HOUSEHOLD_MOVES`); its services, assessments,
  change requests and source records (persons). A merged person leaves its
  household (no MEMBER_OF), so it is never counted as a member. An id whose
  records were all withdrawn (status 'withdrawn' or 'deceased', no survivor)
  keeps its node and relationships, with the status.
- `drop(driver, table, keys)` removes loaded rows that are gone from the
  linkage output: SourceRecords of withdrawn records (with their match
  evidence), staged services of those records, match evidence and staged
  enrolments that no longer hold.

A node keeps its id for ever, so an old id still resolves: the repository
follows MERGED_INTO to the survivor (see graph.repository).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, LiteralString

from neo4j import Driver

from graph import statements
from graph.errors import GraphInputError
from graph.model import BY_NAME, TABLES
from graph.transactions import Step

Entity = Literal["person", "household"]

#: The statuses a retired id can take; 'merged' needs a survivor.
RETIRED_STATUSES: Final[frozenset[str]] = frozenset({"merged", "withdrawn", "deceased"})

_HOUSEHOLD_MOVES: Final[LiteralString] = (
    # facts recorded on the household, by the pipeline or through the API
    "CALL (h, s) { MATCH (h)<-[r:RECEIVED_BY]-(x:Service)"
    " MERGE (x)-[:RECEIVED_BY]->(s) DELETE r } "
    "CALL (h, s) { MATCH (h)<-[r:ASSESSES]-(x:Assessment)"
    " MERGE (x)-[:ASSESSES]->(s) DELETE r } "
    # a referral keeps its history on the survivor; one a relationship-scoped
    # organization made is marked `merged_from`, and VISIBLE then lets it open
    # nothing: it was made on a household that may have been open to that
    # organization only because it was made of its own records
    "CALL (h, s) { MATCH (h)<-[r:CONCERNS]-(x)"
    " MERGE (x)-[:CONCERNS]->(s) SET x.household_id = CASE WHEN x.household_id IS NULL"
    "  THEN NULL ELSE s.household_id END,"
    "  x.merged_from = CASE WHEN x:Referral AND coalesce(x.from_scoped, false)"
    "   THEN h.household_id ELSE x.merged_from END DELETE r } "
    # SERVES is not carried over as such: an organization that recorded a service
    # or enrolment through the API on a household open to it only through its own
    # submitted records would otherwise open the real household it is merged
    # into. It moves only for an organization whose own files (ingested by
    # Dinsos, not via the API) hold a record of a member; a staged delivery
    # re-derives its SERVES from the re-linked services on the next load.
    "CALL (h, s) { MATCH (h)<-[r:SERVES]-(o:Organization)"
    " WHERE EXISTS { MATCH (h)<-[:MEMBER_OF]-(:Person)<-[:IDENTIFIES]-(sr:SourceRecord)"
    "  -[:SUBMITTED_BY]->(o) WHERE NOT coalesce(sr.via_api, false) }"
    " MERGE (o)-[:SERVES]->(s) } "
    "CALL (h) { MATCH (h)<-[r:SERVES]-(:Organization) DELETE r } "
    "CALL (h, s) { MATCH (h)<-[r:MEMBER_OF]-(p:Person)"
    " MERGE (p)-[:MEMBER_OF]->(s) DELETE r } "
    # an enrolment joins the survivor's enrolment in the same program
    "CALL (h, s) { MATCH (h)-[r:ENROLLED_IN]->(pg:Program)"
    " MERGE (s)-[e:ENROLLED_IN]->(pg)"
    " ON CREATE SET e = properties(r), e.row_hash = NULL"
    " ON MATCH SET e.since = CASE WHEN r.since < e.since THEN r.since ELSE e.since END,"
    "  e.until = CASE WHEN e.until IS NULL OR r.until IS NULL THEN NULL"
    "   WHEN r.until > e.until THEN r.until ELSE e.until END,"
    "  e.active = coalesce(e.active, true) OR coalesce(r.active, true), e.row_hash = NULL"
    " DELETE r } "
)

_PERSON_MOVES: Final[LiteralString] = (
    "CALL (h, s) { MATCH (h)<-[r:RECEIVED_BY]-(x:Service)"
    " MERGE (x)-[:RECEIVED_BY]->(s) DELETE r } "
    "CALL (h, s) { MATCH (h)<-[r:ABOUT]-(x)"
    " MERGE (x)-[:ABOUT]->(s) SET x.person_id = CASE WHEN x.person_id IS NULL"
    "  THEN NULL ELSE s.person_id END DELETE r } "
    # records submitted through the API and not staged yet
    "CALL (h, s) { MATCH (h)<-[r:IDENTIFIES]-(x:SourceRecord)"
    " MERGE (x)-[i:IDENTIFIES]->(s) SET i.match_probability = r.match_probability"
    " DELETE r } "
    # a merged person is no member of any household: only its survivor is
    "CALL (h) { MATCH (h)-[r:MEMBER_OF]->() DELETE r } "
)


def _retire_statement(entity: Entity) -> LiteralString:
    label: LiteralString = "Household" if entity == "household" else "Person"
    key: LiteralString = "household_id" if entity == "household" else "person_id"
    moves = _HOUSEHOLD_MOVES if entity == "household" else _PERSON_MOVES
    return (
        "UNWIND $rows AS row MATCH (h:" + label + " {" + key + ": row.id}) "
        # row_hash NULL: should the id ever be current again, its upsert rewrites it
        "SET h.status = row.status, h.survivor_id = row.survivor_id, h.row_hash = NULL "
        # a merged node keeps its id, status and survivor, nothing personal
        # (names, NIK, KK, phone, birth date, address, name tokens): they are
        # the survivor's now
        "FOREACH (_ IN CASE WHEN row.survivor_id IS NULL THEN [] ELSE [1] END |"
        " SET h = {" + key + ": h." + key + ", status: row.status,"
        " survivor_id: row.survivor_id}) "
        "WITH h, row CALL (h) { MATCH (h)-[old:MERGED_INTO]->() DELETE old } "
        "WITH h, row WHERE row.survivor_id IS NOT NULL "
        # MATCH: a survivor that is gone (erased) is never made again
        "MATCH (s:" + label + " {" + key + ": row.survivor_id}) "
        "MERGE (h)-[:MERGED_INTO]->(s) "
        "WITH h, s " + moves + "RETURN count(*) AS merged"
    )


#: table -> statement deleting loaded rows that are gone, over `$rows` (their keys)
_DROP: Final[dict[str, str]] = {
    "source_records": statements.drop(BY_NAME["source_records"]),
    # only staged deliveries have a record_key; those recorded through the API stay
    "services": statements.drop(BY_NAME["services"], "n.record_key IS NOT NULL"),
    "match_evidence": statements.drop(BY_NAME["match_evidence"]),
    "enrolments": statements.drop(BY_NAME["enrolments"]),
}

#: The loader tables whose gone rows `drop` can remove.
DROPPABLE: Final[tuple[str, ...]] = tuple(_DROP)


#: loader table -> the households its rows (by key, `$keys`) hang on in the
#: graph now (as `key`, `hh`): where a row that moves or goes was
_HOUSEHOLDS_NOW: Final[dict[str, str]] = {
    t.name: q for t in TABLES if (q := statements.households_now(t)) is not None
}


def _clean_retired(entity: Entity, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if entity not in ("person", "household"):
        raise GraphInputError(f"retire: {entity!r} is not 'person' or 'household'.")
    clean = []
    for i, r in enumerate(rows):
        status, survivor = r.get("status"), r.get("survivor_id")
        if not r.get("id") or status not in RETIRED_STATUSES:
            raise GraphInputError(
                f"retire {entity} row {i}: give an id and a status of "
                f"{', '.join(sorted(RETIRED_STATUSES))} (got {r.get('id')!r}, {status!r})."
            )
        if (status == "merged") != bool(survivor) or survivor == r["id"]:
            raise GraphInputError(
                f"retire {entity} row {i} ({r['id']}): a merged id names its survivor, "
                "another one, and only a merged id does."
            )
        clean.append({"id": r["id"], "status": status, "survivor_id": survivor or None})
    return clean


def households_now(
    driver: Driver, table: str, keys: Sequence[Any], database: str = "neo4j"
) -> dict[Any, list[str]]:
    """key -> the households the graph holds that row of `table` in now (no
    entry for a key it does not hold, or a table without households)."""
    statement = _HOUSEHOLDS_NOW.get(table)
    if statement is None or not keys:
        return {}
    out: dict[Any, list[str]] = {}
    for start in range(0, len(keys), 20_000):
        for r in driver.execute_query(
            statement, keys=list(keys[start : start + 20_000]), database_=database
        ).records:
            out[r["key"]] = [str(h) for h in r["hh"] if h is not None]
    return out


def retire_step(
    driver: Driver, entity: Entity, rows: Sequence[Mapping[str, Any]], database: str = "neo4j"
) -> Step:
    """`retire` as a step of the load (graph.loader.load `steps`): each row
    runs in the transaction of the households it touches (a household and
    its survivor; a person's household and its survivor's), so a reader
    never sees a merge half done."""
    clean = _clean_retired(entity, rows)
    if entity == "household":
        households = [[r["id"], *([r["survivor_id"]] if r["survivor_id"] else [])] for r in clean]
    else:
        now = households_now(driver, "persons", [r["id"] for r in clean], database)
        survivors = households_now(
            driver, "persons", [r["survivor_id"] for r in clean if r["survivor_id"]], database
        )
        households = [now.get(r["id"], []) + survivors.get(r["survivor_id"], []) for r in clean]
    return Step(f"retire {entity}", _retire_statement(entity), clean, households, "merged")


def drop_step(driver: Driver, table: str, keys: Sequence[Any], database: str = "neo4j") -> Step:
    """`drop` as a step of the load, in the transaction of the household each
    gone row hangs on (match evidence: none, it joins two records)."""
    statement = _DROP.get(table)
    if statement is None:
        raise GraphInputError(f"drop: table {table!r} is not one of {', '.join(_DROP)}.")
    if table == "enrolments":
        households = [[k[0]] for k in keys]
    elif table == "match_evidence":
        households = [[] for _ in keys]
    else:
        now = households_now(driver, table, keys, database)
        households = [now.get(k, []) for k in keys]
    return Step(f"drop {table}", statement, list(keys), households)


def retire(
    driver: Driver,
    entity: Entity,
    rows: Sequence[Mapping[str, Any]],
    database: str = "neo4j",
    batch_size: int = 2_000,
) -> int:
    """Mark `rows` ({id, status, survivor_id}) retired; returns how many were
    merged into a survivor (their facts moved there)."""
    clean = _clean_retired(entity, rows)
    statement = _retire_statement(entity)
    merged = 0
    for start in range(0, len(clean), batch_size):
        records = driver.execute_query(
            statement, rows=clean[start : start + batch_size], database_=database
        ).records
        merged += int(records[0]["merged"]) if records else 0
    return merged


def drop(
    driver: Driver,
    table: str,
    keys: Sequence[Any],
    database: str = "neo4j",
    batch_size: int = 5_000,
) -> int:
    """Delete the loaded rows of `table` with these keys (a list [a, b] for a
    two-column key); returns how many nodes and relationships went."""
    statement = _DROP.get(table)
    if statement is None:
        raise GraphInputError(f"drop: table {table!r} is not one of {', '.join(_DROP)}.")
    gone = 0
    for start in range(0, len(keys), batch_size):
        counters = driver.execute_query(
            statement, rows=list(keys[start : start + batch_size]), database_=database
        ).summary.counters
        gone += counters.nodes_deleted + counters.relationships_deleted
    return gone


def load_token(driver: Driver, database: str = "neo4j") -> str | None:
    """The id of the graph's loaded state (set by `set_load_token` after a
    load); None for a graph that was never loaded or was wiped since."""
    records = driver.execute_query(
        "MATCH (m:LoadMark {name: 'last_load'}) RETURN m.graph_id AS id", database_=database
    ).records
    return str(records[0]["id"]) if records and records[0]["id"] else None


def set_load_token(driver: Driver, token: str, database: str = "neo4j") -> None:
    driver.execute_query(
        "MERGE (m:LoadMark {name: 'last_load'}) SET m.graph_id = $token",
        token=token,
        database_=database,
    )


__all__ = [
    "DROPPABLE",
    "RETIRED_STATUSES",
    "Entity",
    "drop",
    "drop_step",
    "households_now",
    "load_token",
    "retire",
    "retire_step",
    "set_load_token",
]
