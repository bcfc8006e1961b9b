"""Batched, idempotent loading of the one-data graph.

The loader takes plain rows (mappings) or Arrow tables, one per *table* below,
and writes them with one UNWIND statement per batch. Each table has a contract:
the key columns it MERGEs on, the columns stored as properties, and the columns
that only name a related node. The caller (hub/) builds these tables from
staging and the identity map; graph/ never reads DuckDB itself.

Each batch travels as columns (`$c.name[i]`), not as one map per row, and the
input is shaped and hashed column-wise in Arrow: no per-row Python. A table
whose nodes (or relationship type) do not exist yet, with unique keys, takes
the create-only path (CREATE, no per-row clean-up of old relationships) with
two concurrent writers; otherwise the MERGE upsert below runs.

Incremental upserts: every row carries a content hash (`row_hash`) computed
here from its stored columns. A node or relationship whose hash is unchanged is
not touched, so re-loading the same data writes nothing, and an upsert of a
changed subset writes only that subset. `hub load --since` can also pass only
rows changed since `last_load_at()`.

    table               graph it writes
    kecamatan           (:Area:Kecamatan {code})
    kelurahan           (:Area:Kelurahan {code})-[:IN]->(:Kecamatan)
    problems            (:Problem {code})                       PPKS categories
    funders             (:Funder {code})
    organizations       (:Organization {id})
    programs            (:Program {code})-[:FUNDED_BY]->(:Funder),
                        (:Program)-[:ADDRESSES]->(:Problem)
    program_combinations (:Program)-[:COMBINES_WITH {allowed}]->(:Program)
    households          (:Household {household_id})-[:LIVES_IN]->(:Kelurahan)
    persons             (:Person {person_id})-[:MEMBER_OF]->(:Household),
                        (:Person)-[:HAS_PROBLEM]->(:Problem)
    source_records      (:SourceRecord {record_key})-[:IDENTIFIES]->(:Person),
                        (:SourceRecord)-[:SUBMITTED_BY]->(:Organization)
    match_evidence      (:SourceRecord)-[:MATCHED {probability, weight, evidence}]->(:SourceRecord)
    services            (:Service {service_id})-[:RECEIVED_BY]->(:Household / :Person),
                        -[:UNDER]->(:Program), -[:FUNDED_BY]->(:Funder),
                        -[:DELIVERED_BY]->(:Organization); (:Organization)-[:SERVES]->(:Household)
    enrolments          (:Household)-[:ENROLLED_IN {since, until, active}]->(:Program)
    assessments         (:Assessment {assessment_id})-[:ASSESSES]->(:Household),
                        (:Assessment)-[:FOUND]->(:Problem)
    referrals           (:Referral {referral_id})-[:CONCERNS]->(:Household),
                        -[:FROM]->(:Organization), -[:TO]->(:Organization),
                        -[:FOR_PROGRAM]->(:Program)
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, LiteralString, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc
from neo4j import Driver
from neo4j.exceptions import (
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from domain.rows import HOUSEHOLD_PROPERTIES
from graph.driver import refused
from graph.errors import GraphInputError, LoadInterrupted
from graph.transactions import Step

Row = Mapping[str, Any]
#: a pyarrow.Table or a sequence of mappings (pyarrow is untyped, hence Any)
Rows: TypeAlias = Any

DEFAULT_BATCH: Final[int] = 3_000
#: concurrent write transactions on the create-only path (2 cores: 2 writers)
DEFAULT_WRITERS: Final[int] = 2


@dataclass(frozen=True)
class TableSpec:
    """The contract of one input table.

    `upsert` is a statement body over one input `row` (keys and links flat,
    stored columns under `row.props`, plus `row.row_hash`); the loader puts the
    UNWIND in front. It MERGEs and replaces changed relationships. `create` is
    the fast path for a first load, used when nothing of `target` exists yet,
    so every row is new: a `NodeCreate` for node tables, or a body over `row`
    like `upsert` for relationship tables.
    """

    name: str
    keys: tuple[str, ...]
    properties: tuple[str, ...]
    links: tuple[str, ...]
    upsert: str
    create: str | NodeCreate
    #: the pattern whose emptiness allows `create`: a node or a relationship
    target: str
    #: columns whose values are lists (default [] when missing)
    lists: tuple[str, ...] = ()
    #: rows also mean (:Organization {id: organization})-[:SERVES]->(:Household)
    serves: bool = False
    #: link columns that must be set (the upsert MERGEs on them unguarded)
    required: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.properties + self.links

    @property
    def cypher(self) -> str:
        """The upsert over `$rows`, a list of `prepare`d rows."""
        return "UNWIND $rows AS row " + self.upsert


_CHANGED: Final[str] = (
    "WHERE n.row_hash IS NULL OR n.row_hash <> row.row_hash "
    "SET n += row.props, n.row_hash = row.row_hash"
)


@dataclass(frozen=True)
class Edge:
    """On the create path, `(n)-[:rel]->(:label {key: v})` for the value `v`
    (or each value of a list column) of `column`, when it is not null."""

    column: str
    rel: str
    label: str
    key: str
    #: a stored column the relationship also keeps, under the same name
    rel_property: str | None = None


@dataclass(frozen=True)
class NodeCreate:
    """The create path of a node table: one CREATE per row with its stored
    columns inline, then its edges.

    The targets of each edge are looked up once per batch, not once per row:
    the batch carries the sorted distinct target keys (`$v.<column>`), which
    one MERGE per key resolves to nodes (creating a missing target, as the
    upsert does), and per row the position of its key in that list
    (`$l.<column>`)."""

    label: str
    edges: tuple[Edge, ...] = ()


def _pair(rel: str, a: str, b: str) -> str:
    return (f"MERGE (a:{a}) MERGE (b:{b}) "
            f"CREATE (a)-[n:{rel} {{row_hash: row.row_hash}}]->(b) SET n += row.props")


_FUNDER: Final = ("Funder", "code")
_HOUSEHOLD: Final = ("Household", "household_id")
_ORGANIZATION: Final = ("Organization", "id")
_PERSON: Final = ("Person", "person_id")
_PROBLEM: Final = ("Problem", "code")
_PROGRAM: Final = ("Program", "code")

#: First-load statements: CREATE the new node (every row is new), and its
#: relationships with CREATE, since a new node has none yet.
_CREATE: Final[dict[str, str | NodeCreate]] = {
    "kecamatan": NodeCreate("Kecamatan:Area"),
    "kelurahan": NodeCreate("Kelurahan:Area", (
        Edge("kecamatan_code", "IN", "Kecamatan", "code"),)),
    "problems": NodeCreate("Problem"),
    "funders": NodeCreate("Funder"),
    "organizations": NodeCreate("Organization"),
    "programs": NodeCreate("Program", (
        Edge("funder_type", "FUNDED_BY", *_FUNDER),
        Edge("ppks", "ADDRESSES", *_PROBLEM))),
    "program_combinations": _pair("COMBINES_WITH", "Program {code: row.program_a}",
                                  "Program {code: row.program_b}"),
    "households": NodeCreate("Household", (
        Edge("kelurahan_code", "LIVES_IN", "Kelurahan", "code"),)),
    "persons": NodeCreate("Person", (
        Edge("household_id", "MEMBER_OF", *_HOUSEHOLD),
        Edge("ppks", "HAS_PROBLEM", *_PROBLEM))),
    "source_records": NodeCreate("SourceRecord", (
        Edge("person_id", "IDENTIFIES", *_PERSON, rel_property="match_probability"),
        Edge("organization", "SUBMITTED_BY", *_ORGANIZATION))),
    "match_evidence": _pair("MATCHED", "SourceRecord {record_key: row.record_key_l}",
                            "SourceRecord {record_key: row.record_key_r}"),
    # (:Organization)-[:SERVES]->(:Household) follows in one pass per table
    "services": NodeCreate("Service", (
        Edge("household_id", "RECEIVED_BY", *_HOUSEHOLD),
        Edge("person_id", "RECEIVED_BY", *_PERSON),
        Edge("program", "UNDER", *_PROGRAM),
        Edge("funder", "FUNDED_BY", *_FUNDER),
        Edge("organization", "DELIVERED_BY", *_ORGANIZATION))),
    "enrolments": _pair("ENROLLED_IN", "Household {household_id: row.household_id}",
                        "Program {code: row.program}"),
    "assessments": NodeCreate("Assessment", (
        Edge("household_id", "ASSESSES", *_HOUSEHOLD),
        Edge("person_id", "ABOUT", *_PERSON),
        Edge("ppks", "FOUND", *_PROBLEM))),
    "referrals": NodeCreate("Referral", (
        Edge("household_id", "CONCERNS", *_HOUSEHOLD),
        Edge("from_org", "FROM", *_ORGANIZATION),
        Edge("to_org", "TO", *_ORGANIZATION),
        Edge("program", "FOR_PROGRAM", *_PROGRAM))),
}

#: One statement per batch of (organization, household_id) pairs.
_SERVES: Final[str] = (
    "UNWIND range(0, size($c.organization) - 1) AS i "
    "MERGE (o:Organization {id: $c.organization[i]}) "
    "MERGE (h:Household {household_id: $c.household_id[i]}) MERGE (o)-[:SERVES]->(h)"
)


SPECS: Final[dict[str, TableSpec]] = {
    s.name: s
    for s in (
        TableSpec(
            "kecamatan", ("code",), ("name", "population"), (),
            "MERGE (n:Kecamatan {code: row.code}) "
            "WITH n, row " + _CHANGED + " SET n:Area",
            create=_CREATE["kecamatan"], target="(n:Kecamatan)",
        ),
        TableSpec(
            "kelurahan", ("code",), ("name", "kecamatan_code", "population"), (),
            "MERGE (n:Kelurahan {code: row.code}) "
            "WITH n, row " + _CHANGED + " SET n:Area "
            "MERGE (k:Kecamatan {code: row.props.kecamatan_code}) MERGE (n)-[:IN]->(k)",
            create=_CREATE["kelurahan"], target="(n:Kelurahan)",
            required=("kecamatan_code",),
        ),
        TableSpec(
            "problems", ("code",), ("number", "name", "name_en", "special_category",
                                    "special_kind"), (),
            "MERGE (n:Problem {code: row.code}) WITH n, row " + _CHANGED,
            create=_CREATE["problems"], target="(n:Problem)",
        ),
        TableSpec(
            "funders", ("code",), ("name", "kind", "public"), (),
            "MERGE (n:Funder {code: row.code}) WITH n, row " + _CHANGED,
            create=_CREATE["funders"], target="(n:Funder)",
        ),
        TableSpec(
            "organizations", ("id",), ("name", "type"), (),
            "MERGE (n:Organization {id: row.id}) WITH n, row " + _CHANGED,
            create=_CREATE["organizations"], target="(n:Organization)",
        ),
        TableSpec(
            "programs", ("code",), ("name", "benefit_kind", "need", "description"),
            ("funder_type", "ppks"),
            "MERGE (n:Program {code: row.code}) WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:ADDRESSES|FUNDED_BY]->() DELETE old } "
            "FOREACH (f IN CASE WHEN row.funder_type IS NULL THEN [] ELSE [row.funder_type] END |"
            " MERGE (fu:Funder {code: f}) MERGE (n)-[:FUNDED_BY]->(fu)) "
            "FOREACH (c IN row.ppks | MERGE (p:Problem {code: c}) MERGE (n)-[:ADDRESSES]->(p))",
            create=_CREATE["programs"], target="(n:Program)",
            lists=("ppks",),
        ),
        TableSpec(
            "program_combinations", ("program_a", "program_b"), ("allowed", "reason"), (),
            "MERGE (a:Program {code: row.program_a}) "
            "MERGE (b:Program {code: row.program_b}) MERGE (a)-[n:COMBINES_WITH]->(b) "
            "WITH n, row " + _CHANGED,
            create=_CREATE["program_combinations"], target="()-[n:COMBINES_WITH]->()",
        ),
        TableSpec(
            "households", ("household_id",),
            HOUSEHOLD_PROPERTIES,
            (),
            "MERGE (n:Household {household_id: row.household_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:LIVES_IN]->(k) "
            " WHERE k.code <> row.props.kelurahan_code DELETE old } "
            "FOREACH (c IN CASE WHEN row.props.kelurahan_code IS NULL THEN [] "
            " ELSE [row.props.kelurahan_code] END |"
            " MERGE (k:Kelurahan {code: c}) MERGE (n)-[:LIVES_IN]->(k))",
            create=_CREATE["households"], target="(n:Household)",
        ),
        TableSpec(
            "persons", ("person_id",),
            ("full_name", "name_tokens", "nik", "no_kk", "birth_date", "birth_place", "sex",
             "relationship", "phone", "status"),
            ("household_id", "ppks"),
            "MERGE (n:Person {person_id: row.person_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:MEMBER_OF]->(h) "
            " WHERE h.household_id <> row.household_id DELETE old } "
            "CALL (n, row) { MATCH (n)-[old:HAS_PROBLEM]->(p) "
            " WHERE NOT p.code IN row.ppks DELETE old } "
            "FOREACH (hid IN CASE WHEN row.household_id IS NULL THEN [] "
            " ELSE [row.household_id] END |"
            " MERGE (h:Household {household_id: hid}) MERGE (n)-[:MEMBER_OF]->(h)) "
            "FOREACH (c IN row.ppks | MERGE (p:Problem {code: c}) MERGE (n)-[:HAS_PROBLEM]->(p))",
            create=_CREATE["persons"], target="(n:Person)",
            lists=("ppks",),
        ),
        TableSpec(
            "source_records", ("record_key",),
            ("source", "organization", "source_record_id", "full_name", "nik", "no_kk",
             "birth_date", "address", "rt", "rw", "kelurahan", "match_probability",
             "loaded_at", "via_api"),
            ("person_id",),
            "MERGE (n:SourceRecord {record_key: row.record_key}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:IDENTIFIES|SUBMITTED_BY]->() DELETE old } "
            "FOREACH (pid IN CASE WHEN row.person_id IS NULL THEN [] ELSE [row.person_id] END |"
            " MERGE (p:Person {person_id: pid}) "
            " MERGE (n)-[i:IDENTIFIES]->(p) SET i.match_probability = row.props.match_probability) "
            "FOREACH (o IN CASE WHEN row.props.organization IS NULL THEN [] "
            " ELSE [row.props.organization] END |"
            " MERGE (org:Organization {id: o}) MERGE (n)-[:SUBMITTED_BY]->(org))",
            create=_CREATE["source_records"], target="(n:SourceRecord)",
        ),
        TableSpec(
            "match_evidence", ("record_key_l", "record_key_r"),
            ("match_probability", "match_weight", "evidence"), (),
            "MERGE (a:SourceRecord {record_key: row.record_key_l}) "
            "MERGE (b:SourceRecord {record_key: row.record_key_r}) "
            "MERGE (a)-[n:MATCHED]->(b) WITH n, row " + _CHANGED,
            create=_CREATE["match_evidence"], target="()-[n:MATCHED]->()",
        ),
        TableSpec(
            "services", ("service_id",),
            ("service_date", "amount", "source", "record_key", "program", "funder",
             "organization", "link_pending"),
            ("household_id", "person_id"),
            "MERGE (n:Service {service_id: row.service_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) {"
            " MATCH (n)-[old:RECEIVED_BY|UNDER|FUNDED_BY|DELIVERED_BY]->()"
            " DELETE old } "
            "FOREACH (hid IN CASE WHEN row.household_id IS NULL THEN [] "
            " ELSE [row.household_id] END |"
            " MERGE (h:Household {household_id: hid}) MERGE (n)-[:RECEIVED_BY]->(h)"
            # a delivery to a person the organization only submitted opens nothing
            " FOREACH (o IN CASE WHEN row.props.organization IS NULL"
            "  OR coalesce(row.props.link_pending, false) THEN [] "
            "  ELSE [row.props.organization] END |"
            "  MERGE (org:Organization {id: o}) MERGE (org)-[:SERVES]->(h))) "
            "FOREACH (pid IN CASE WHEN row.person_id IS NULL THEN [] ELSE [row.person_id] END |"
            " MERGE (p:Person {person_id: pid}) MERGE (n)-[:RECEIVED_BY]->(p)) "
            "FOREACH (c IN CASE WHEN row.props.program IS NULL THEN []"
            " ELSE [row.props.program] END |"
            " MERGE (pr:Program {code: c}) MERGE (n)-[:UNDER]->(pr)) "
            "FOREACH (f IN CASE WHEN row.props.funder IS NULL THEN [] ELSE [row.props.funder] END |"
            " MERGE (fu:Funder {code: f}) MERGE (n)-[:FUNDED_BY]->(fu)) "
            "FOREACH (o IN CASE WHEN row.props.organization IS NULL THEN [] "
            " ELSE [row.props.organization] END |"
            " MERGE (org:Organization {id: o}) MERGE (n)-[:DELIVERED_BY]->(org))",
            create=_CREATE["services"], target="(n:Service)",
            serves=True,
        ),
        TableSpec(
            "enrolments", ("household_id", "program"),
            ("since", "until", "active", "organization"), (),
            "MERGE (h:Household {household_id: row.household_id}) "
            "MERGE (p:Program {code: row.program}) MERGE (h)-[n:ENROLLED_IN]->(p) "
            "WITH h, n, row " + _CHANGED + " "
            "FOREACH (o IN CASE WHEN row.props.organization IS NULL THEN [] "
            " ELSE [row.props.organization] END |"
            " MERGE (org:Organization {id: o}) MERGE (org)-[:SERVES]->(h))",
            create=_CREATE["enrolments"], target="()-[n:ENROLLED_IN]->()",
            serves=True,
        ),
        TableSpec(
            "assessments", ("assessment_id",),
            ("assessed_on", "social_worker", "organization", "plan", "notes"),
            ("household_id", "person_id", "ppks"),
            "MERGE (n:Assessment {assessment_id: row.assessment_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:ASSESSES|FOUND|ABOUT]->() DELETE old } "
            "MERGE (h:Household {household_id: row.household_id}) MERGE (n)-[:ASSESSES]->(h) "
            "FOREACH (pid IN CASE WHEN row.person_id IS NULL THEN [] ELSE [row.person_id] END |"
            " MERGE (p:Person {person_id: pid}) MERGE (n)-[:ABOUT]->(p)) "
            "FOREACH (c IN row.ppks | MERGE (p:Problem {code: c}) MERGE (n)-[:FOUND]->(p))",
            create=_CREATE["assessments"], target="(n:Assessment)",
            lists=("ppks",), required=("household_id",),
        ),
        TableSpec(
            "referrals", ("referral_id",),
            ("status", "created_at", "updated_at", "note", "history", "from_org", "to_org",
             "program", "from_scoped"),
            ("household_id",),
            "MERGE (n:Referral {referral_id: row.referral_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:CONCERNS|FROM|TO|FOR_PROGRAM]->() "
            " DELETE old } "
            "MERGE (h:Household {household_id: row.household_id}) MERGE (n)-[:CONCERNS]->(h) "
            "FOREACH (o IN CASE WHEN row.props.from_org IS NULL THEN [] "
            " ELSE [row.props.from_org] END |"
            " MERGE (org:Organization {id: o}) MERGE (n)-[:FROM]->(org)) "
            "FOREACH (o IN CASE WHEN row.props.to_org IS NULL THEN [] ELSE [row.props.to_org] END |"
            " MERGE (org:Organization {id: o}) MERGE (n)-[:TO]->(org)) "
            "FOREACH (c IN CASE WHEN row.props.program IS NULL THEN []"
            " ELSE [row.props.program] END |"
            " MERGE (pr:Program {code: c}) MERGE (n)-[:FOR_PROGRAM]->(pr))",
            create=_CREATE["referrals"], target="(n:Referral)",
            required=("household_id",),
        ),
    )
}

#: Load order: reference data first, so relationships find their targets.
ORDER: Final[tuple[str, ...]] = tuple(SPECS)

#: Written after the households: pairs of records of any households.
_AFTER_HOUSEHOLDS: Final[tuple[str, ...]] = ("match_evidence",)


@dataclass
class TableReport:
    rows: int = 0
    nodes_created: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    seconds: float = 0.0


@dataclass
class LoadReport:
    tables: dict[str, TableReport] = field(default_factory=dict)
    #: set by callers that send only changed rows: rows built, rows sent
    rows_built: int = 0
    rows_sent: int = 0
    #: identities retired, of them merged into a survivor, and gone rows dropped
    #: (see graph.lifecycle)
    retired: int = 0
    merged: int = 0
    dropped: int = 0
    #: lifecycle steps run with the households (graph.lifecycle): name -> count
    steps: dict[str, int] = field(default_factory=dict)

    @property
    def entities_written(self) -> int:
        """Nodes plus relationships created."""
        return sum(t.nodes_created + t.relationships_created for t in self.tables.values())

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.tables.values())

    @property
    def changed(self) -> bool:
        return bool(self.retired or self.dropped) or any(
            t.nodes_created or t.relationships_created or t.relationships_deleted
            or t.properties_set
            for t in self.tables.values()
        )


def load(
    driver: Driver,
    tables: Mapping[str, Rows],
    database: str = "neo4j",
    batch_size: int = DEFAULT_BATCH,
    writers: int = DEFAULT_WRITERS,
    progress: Callable[[str], None] | None = None,
    server: str = "Neo4j",
    steps: Sequence[Step] = (),
    transaction_rows: int | None = None,
) -> LoadReport:
    """Upsert every given table, in dependency order (`progress` hears each
    phase's name before it starts; `server` names Neo4j in errors, e.g.
    "Neo4j at bolt://...").

    The reference tables go table by table. The household tables
    (graph.household_load.HOUSEHOLD_TABLES) and the lifecycle `steps`
    (graph.lifecycle) go a whole household per transaction, `writers`
    transactions at a time: a reader never sees half a household. Match
    evidence (between records, not of one household) follows.

    Used for the full load and for incremental upserts alike: unchanged rows
    write nothing. Unknown table names are an error, so typos do not pass
    silently. Constraints must exist first (`graph.constraints.ensure`).
    A table whose nodes (or relationships) do not exist yet takes the
    create-only path.

    Neo4j going away mid-load raises LoadInterrupted (which phase, how many
    were done); since every write is an upsert and each household's
    transaction is whole, running the load again repairs the graph.
    """
    from graph import household_load  # it builds on this module: imported here, not on top

    unknown = sorted(set(tables) - set(SPECS))
    if unknown:
        raise GraphInputError(
            f"unknown table(s) {', '.join(unknown)}: the loader takes {', '.join(ORDER)}."
        )
    report = LoadReport()
    names = [n for n in ORDER if n in tables]
    grouped = [n for n in names if n in household_load.HOUSEHOLD_TABLES]
    phases: list[tuple[str, list[str]]] = [
        (n, [n]) for n in names if n not in grouped and n not in _AFTER_HOUSEHOLDS]
    if grouped or steps:
        phases.append(("households", grouped))
    phases += [(n, [n]) for n in names if n in _AFTER_HOUSEHOLDS]
    for done, (phase, members) in enumerate(phases):
        if progress is not None:
            progress(f"{phase} ({done + 1} of {len(phases)} steps)")
        try:
            if phase == "households" and members is grouped:
                household_load.write(
                    driver, {n: tables[n] for n in grouped}, steps, database, writers,
                    transaction_rows or household_load.DEFAULT_TRANSACTION_ROWS, report,
                    report.steps)
            else:
                report.tables[phase] = load_table(driver, phase, tables[phase], database,
                                                  batch_size, writers)
        except (ServiceUnavailable, SessionExpired, IncompleteCommit, OSError) as exc:
            raise LoadInterrupted(server, phase, done, len(phases)) from exc
        except (Neo4jError, DriverError) as exc:
            raise refused(server, exc) from exc
    try:
        driver.execute_query(
            "MERGE (m:LoadMark {name: 'last_load'}) SET m.at = $at",
            at=datetime.now(UTC),
            database_=database,
        )
    except (ServiceUnavailable, SessionExpired, IncompleteCommit, OSError) as exc:
        raise LoadInterrupted(server, "the load mark", len(phases), len(phases)) from exc
    return report


def load_table(
    driver: Driver,
    name: str,
    rows: Rows,
    database: str = "neo4j",
    batch_size: int = DEFAULT_BATCH,
    writers: int = DEFAULT_WRITERS,
) -> TableReport:
    spec = SPECS[name]
    report = TableReport()
    started = time.perf_counter()
    table = columns(spec, rows)
    report.rows = table.num_rows
    if table.num_rows:
        fast = _all_new(spec, table) and _absent(driver, spec.target, database)
        if not fast:
            _run_all(driver, _unwind(spec, table) + spec.upsert,
                     (_params(spec, table, s, batch_size)
                      for s in range(0, table.num_rows, batch_size)), database, 1, report)
        elif isinstance(spec.create, NodeCreate):
            _run_all(driver, _create_statement(spec, spec.create, table),
                     (_create_params(spec, spec.create, table.slice(s, n))
                      for s, n in _slices(table.num_rows, batch_size, writers)),
                     database, writers, report)
        else:
            _run_all(driver, _unwind(spec, table) + spec.create,
                     (_params(spec, table, s, n)
                      for s, n in _slices(table.num_rows, batch_size, writers)),
                     database, writers, report)
        if spec.serves and fast:
            pairs = _serves_pairs(table)
            _run_all(driver, _SERVES, [
                {"c": {k: pairs[k].slice(s, batch_size).to_pylist() for k in pairs.column_names}}
                for s in range(0, pairs.num_rows, batch_size)], database, 1, report)
    report.seconds = time.perf_counter() - started
    return report


def upsert_statement(name: str, rows: Rows) -> tuple[LiteralString, dict[str, Any]]:
    """The upsert of a few rows as one statement and its parameters, for
    callers with their own (e.g. async) driver."""
    spec = SPECS.get(name)
    if spec is None:
        raise GraphInputError(f"unknown table {name!r}: the loader takes {', '.join(ORDER)}.")
    table = columns(spec, rows)
    return _unwind(spec, table) + spec.upsert, _params(spec, table, 0, max(table.num_rows, 1))


def last_load_at(driver: Driver, database: str = "neo4j") -> datetime | None:
    """When `load` last finished, for `--since` style incremental pulls."""
    records = driver.execute_query(
        "MATCH (m:LoadMark {name: 'last_load'}) RETURN m.at AS at", database_=database
    ).records
    if not records:
        return None
    at = records[0]["at"]
    return at.to_native() if hasattr(at, "to_native") else None


def columns(spec: TableSpec, rows: Rows) -> Any:
    """The input as an Arrow table in the form the statements take: the
    contract's columns that are present, lists defaulted to [], decimals as
    floats, `name_tokens` as one string, and a `row_hash` column (the input's
    own `row_hash` column when it has one, e.g. computed in DuckDB)."""
    if not isinstance(rows, pa.Table):
        rows = _from_rows(spec, list(rows))
    missing = [k for k in spec.keys if k not in rows.column_names]
    if missing:
        raise GraphInputError(
            f"table {spec.name} has no column(s) {', '.join(missing)}; "
            f"expected columns: {', '.join(spec.columns)}."
        )
    given = rows.column("row_hash") if "row_hash" in rows.column_names else None
    table: Any = rows.select([c for c in spec.columns if c in rows.column_names])
    table = table.combine_chunks()
    for key in spec.keys:
        _check_key(spec, key, table.column(key))
    for name in spec.required:
        if name not in table.column_names:
            raise GraphInputError(
                f"table {spec.name} has no column {name!r}; every row must name its "
                f"{name.removesuffix('_id').removesuffix('_code')}."
            )
        _check_key(spec, name, table.column(name), f"every {spec.name} row links to its "
                   f"{name.removesuffix('_id').removesuffix('_code')}, so it must be set.")
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        fixed = _fixed(spec, name, col, table)
        if fixed is not col:
            table = table.set_column(i, name, fixed)
    for name in spec.lists:
        if name not in table.column_names:
            table = table.append_column(name, _empty_lists(table.num_rows))
    if spec.name == "persons" and "name_tokens" not in table.column_names:
        full = table.column("full_name") if "full_name" in table.column_names else None
        tokens = pc.utf8_lower(full) if full is not None else pa.nulls(table.num_rows, pa.string())
        table = table.append_column("name_tokens", tokens)
    if given is not None and given.null_count == 0:  # the caller's content hash
        return table.append_column("row_hash", pc.cast(given, pa.string()).combine_chunks())
    return table.append_column("row_hash", pa.array(_hashes(spec, table), pa.string()))


def _from_rows(spec: TableSpec, rows: list[Row]) -> Any:
    wanted = [*spec.keys, *(c for c in spec.properties + spec.links if any(c in r for r in rows))]
    return pa.table({c: pa.array([_plain(r.get(c)) for r in rows]) for c in wanted})


def _check_key(spec: TableSpec, key: str, col: Any, why: str = "") -> None:
    """Refuse a null or empty value in `col`; `why` says why it must be set."""
    empty = pc.is_null(col)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        empty = pc.or_(empty, pc.equal(col, ""))
    bad = pc.indices_nonzero(pc.fill_null(empty, True))
    if len(bad):
        raise GraphInputError(
            f"table {spec.name}, row {bad[0].as_py()}: column {key!r} is empty; "
            + (why or f"it is the key ({', '.join(spec.keys)}) and must be set.")
        )


def _fixed(spec: TableSpec, name: str, col: Any, table: Any) -> Any:
    """One column as the statements want it (see `columns`)."""
    if pa.types.is_decimal(col.type):
        return pc.cast(col, pa.float64())
    if name in spec.lists:
        if pa.types.is_null(col.type):
            return _empty_lists(len(col))
        return pc.fill_null(col, pa.scalar([], col.type))
    if name == "name_tokens" and spec.name == "persons":
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), " ")
        elif not pa.types.is_string(col.type):
            col = pc.cast(col, pa.string())
        if "full_name" in table.column_names:
            blank = pc.fill_null(pc.equal(col, ""), True)
            col = pc.if_else(blank, pc.utf8_lower(pc.cast(table.column("full_name"),
                                                          pa.string())), col)
    return col


def _empty_lists(n: int) -> Any:
    return pa.array([[] for _ in range(n)], pa.list_(pa.string()))


def _hashes(spec: TableSpec, table: Any) -> list[str]:
    """A content hash per row over the stored columns and the links, computed
    column-wise (each value as text, null distinct from empty)."""
    parts = []
    for name in spec.properties + spec.links:
        if name not in table.column_names:
            parts.append(pa.nulls(table.num_rows, pa.string()))
            continue
        col = table.column(name)
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), "\x1f")
        parts.append(pc.cast(col, pa.string()))
    if not parts:
        return ["" for _ in range(table.num_rows)]
    joined = pc.binary_join_element_wise(*parts, "\x1e", null_handling="replace",
                                         null_replacement="\x00")
    blake = hashlib.blake2b
    return [blake(text.encode(), digest_size=10).hexdigest() for text in joined.to_pylist()]


def _all_new(spec: TableSpec, table: Any) -> bool:
    """Keys are unique and lists hold no repeats, so CREATE makes exactly
    what MERGE would."""
    if len(spec.keys) == 1:
        if pc.count_distinct(table.column(spec.keys[0])).as_py() != table.num_rows:
            return False
    elif table.group_by(list(spec.keys)).aggregate([]).num_rows != table.num_rows:
        return False
    for name in spec.lists:
        col = table.column(name)
        values = pc.list_flatten(col)
        if len(values):
            pairs = pa.table({"row": pc.list_parent_indices(col), "value": values})
            if pairs.group_by(["row", "value"]).aggregate([]).num_rows != len(values):
                return False
    return True


def _absent(driver: Driver, target: str, database: str) -> bool:
    records = driver.execute_query(
        "MATCH " + target + " RETURN count(n) AS c", database_=database).records
    return int(records[0]["c"]) == 0


def _unwind(spec: TableSpec, table: Any) -> LiteralString:
    """UNWIND over the column lists in `$c`, rebuilding each `row` map."""
    present = set(table.column_names)

    def value(name: str) -> str:
        if name in present:
            return f"$c.{name}[i]"
        return "[]" if name in spec.lists else "null"

    flat = [f"{k}: {value(k)}" for k in spec.keys + spec.links]
    props = ", ".join(f"{p}: {value(p)}" for p in spec.properties)
    row = ", ".join([*flat, f"props: {{{props}}}", "row_hash: $c.row_hash[i]"])
    return f"UNWIND range(0, size($c.row_hash) - 1) AS i WITH {{{row}}} AS row "


def _params(spec: TableSpec, table: Any, start: int, size: int) -> dict[str, Any]:
    chunk = table.slice(start, size)
    return {"c": {name: chunk.column(name).to_pylist() for name in chunk.column_names}}


def _slices(rows: int, batch_size: int, writers: int) -> list[tuple[int, int]]:
    """(start, length) of batches of at most `batch_size` rows, lengths within
    one of each other, their number a multiple of `writers` (when there are
    rows enough) so that no writer idles at the end."""
    count = -(-rows // max(batch_size, 1))
    if writers > 1 and count > 1:
        count = min(-(-count // writers) * writers, rows)
    bounds = [i * rows // count for i in range(count + 1)] if count else [0]
    return list(zip(bounds, (b - a for a, b in itertools.pairwise(bounds)), strict=False))


def _create_statement(spec: TableSpec, create: NodeCreate, table: Any) -> str:
    """The create path of a node table over `$c` (stored columns), `$v` and
    `$l` (edge targets, see `NodeCreate`); null columns are left out."""
    present = set(table.column_names)
    edges = [e for e in create.edges if e.column in present]
    head = "".join(
        f"CALL () {{ UNWIND $v.{e.column} AS v MERGE (t:{e.label} {{{e.key}: v}}) "
        f"RETURN collect(t) AS {e.column}_nodes }} "
        for e in edges)
    stored = [f"{k}: $c.{k}[i]" for k in (*spec.keys, "row_hash", *spec.properties)
              if k in present]
    out = [head, "UNWIND range(0, size($c.row_hash) - 1) AS i ",
           f"CREATE (n:{create.label} {{{', '.join(stored)}}}) "]
    for e in edges:
        rel = e.rel
        if e.rel_property is not None and e.rel_property in present:
            rel += f" {{{e.rel_property}: $c.{e.rel_property}[i]}}"
        if e.column in spec.lists:
            targets = f"[j IN $l.{e.column}[i] | {e.column}_nodes[j]]"
        else:
            targets = (f"CASE WHEN $l.{e.column}[i] IS NULL THEN [] "
                       f"ELSE [{e.column}_nodes[$l.{e.column}[i]]] END")
        out.append(f"FOREACH (t IN {targets} | CREATE (n)-[:{rel}]->(t)) ")
    return "".join(out)


def _create_params(spec: TableSpec, create: NodeCreate, chunk: Any) -> dict[str, Any]:
    edge_only = {e.column for e in create.edges} - set(spec.keys + spec.properties)
    stored = {name: chunk.column(name).to_pylist() for name in chunk.column_names
              if name not in edge_only}
    targets: dict[str, Any] = {}
    positions: dict[str, Any] = {}
    for e in create.edges:
        if e.column not in chunk.column_names:
            continue
        col = chunk.column(e.column).combine_chunks()
        values = pc.list_flatten(col) if e.column in spec.lists else col
        keys = pc.unique(values).drop_null()
        keys = keys.take(pc.array_sort_indices(keys))
        if pa.types.is_null(values.type):
            where = pa.nulls(len(values), pa.int32())
        else:
            where = pc.index_in(values, value_set=keys)
        if e.column in spec.lists:
            offsets = pc.subtract(col.offsets, col.offsets[0])
            where = pa.ListArray.from_arrays(offsets, where)
        targets[e.column] = keys.to_pylist()
        positions[e.column] = where.to_pylist()
    return {"c": stored, "v": targets, "l": positions}


def _serves_pairs(table: Any) -> Any:
    if not {"organization", "household_id"} <= set(table.column_names):
        return pa.table({"organization": pa.array([], pa.string()),
                         "household_id": pa.array([], pa.string())})
    pairs = table.select(["organization", "household_id"]).filter(
        pc.and_(pc.is_valid(table.column("organization")),
                pc.is_valid(table.column("household_id"))))
    return pairs.group_by(["organization", "household_id"]).aggregate([])


def _run_all(driver: Driver, statement: str, batches: Iterable[dict[str, Any]], database: str,
             writers: int, report: TableReport) -> None:
    """Run `statement` once per batch. With several writers the batches'
    parameters are built while earlier batches run (at most two per writer
    wait), so Python's shaping overlaps the server's writing."""
    def run(params: dict[str, Any]) -> Any:
        return driver.execute_query(statement, params, database_=database).summary.counters

    counters = []
    if writers > 1:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            waiting: deque[Future[Any]] = deque()
            try:
                for params in batches:
                    waiting.append(pool.submit(run, params))
                    if len(waiting) >= 2 * writers:
                        counters.append(waiting.popleft().result())
                counters.extend(f.result() for f in waiting)
            except BaseException:
                # the batches not started yet would each retry a dead server in turn
                for f in waiting:
                    f.cancel()
                raise
    else:
        counters = [run(b) for b in batches]
    for c in counters:
        report.nodes_created += c.nodes_created
        report.relationships_created += c.relationships_created
        report.relationships_deleted += c.relationships_deleted
        report.properties_set += c.properties_set


def _plain(value: Any) -> Any:
    """Values Arrow takes: Decimal becomes float, tuples lists."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_WRITERS",
    "ORDER",
    "SPECS",
    "Edge",
    "LoadReport",
    "NodeCreate",
    "TableReport",
    "TableSpec",
    "columns",
    "last_load_at",
    "load",
    "load_table",
    "upsert_statement",
]
