"""Batched, idempotent loading of the one-data graph.

The loader takes plain rows (mappings) or Arrow tables, one per *table* below,
and writes them with one UNWIND statement per batch. Each table has a contract:
the key columns it MERGEs on, the columns stored as properties, and the columns
that only name a related node. The caller (hub/) builds these tables from
staging and the identity map; graph/ never reads DuckDB itself.

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
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final, TypeAlias

import pyarrow as pa
from neo4j import Driver

from graph.errors import GraphInputError

Row = Mapping[str, Any]
#: a pyarrow.Table or a sequence of mappings (pyarrow is untyped, hence Any)
Rows: TypeAlias = Any

DEFAULT_BATCH: Final[int] = 5_000


@dataclass(frozen=True)
class TableSpec:
    """The contract of one input table."""

    name: str
    keys: tuple[str, ...]
    properties: tuple[str, ...]
    links: tuple[str, ...]
    cypher: str
    #: columns whose values are lists (default [] when missing)
    lists: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.properties + self.links


_CHANGED: Final[str] = (
    "WHERE n.row_hash IS NULL OR n.row_hash <> row.row_hash "
    "SET n += row.props, n.row_hash = row.row_hash"
)

SPECS: Final[dict[str, TableSpec]] = {
    s.name: s
    for s in (
        TableSpec(
            "kecamatan", ("code",), ("name", "population"), (),
            "UNWIND $rows AS row MERGE (n:Kecamatan {code: row.code}) "
            "WITH n, row " + _CHANGED + " SET n:Area",
        ),
        TableSpec(
            "kelurahan", ("code",), ("name", "kecamatan_code", "population"), (),
            "UNWIND $rows AS row MERGE (n:Kelurahan {code: row.code}) "
            "WITH n, row " + _CHANGED + " SET n:Area "
            "MERGE (k:Kecamatan {code: row.props.kecamatan_code}) MERGE (n)-[:IN]->(k)",
        ),
        TableSpec(
            "problems", ("code",), ("number", "name", "name_en", "special_category",
                                    "special_kind"), (),
            "UNWIND $rows AS row MERGE (n:Problem {code: row.code}) WITH n, row " + _CHANGED,
        ),
        TableSpec(
            "funders", ("code",), ("name", "kind", "public"), (),
            "UNWIND $rows AS row MERGE (n:Funder {code: row.code}) WITH n, row " + _CHANGED,
        ),
        TableSpec(
            "organizations", ("id",), ("name", "type"), (),
            "UNWIND $rows AS row MERGE (n:Organization {id: row.id}) WITH n, row " + _CHANGED,
        ),
        TableSpec(
            "programs", ("code",), ("name", "benefit_kind", "need", "description"),
            ("funder_type", "ppks"),
            "UNWIND $rows AS row MERGE (n:Program {code: row.code}) WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:ADDRESSES|FUNDED_BY]->() DELETE old } "
            "FOREACH (f IN CASE WHEN row.funder_type IS NULL THEN [] ELSE [row.funder_type] END |"
            " MERGE (fu:Funder {code: f}) MERGE (n)-[:FUNDED_BY]->(fu)) "
            "FOREACH (c IN row.ppks | MERGE (p:Problem {code: c}) MERGE (n)-[:ADDRESSES]->(p))",
            lists=("ppks",),
        ),
        TableSpec(
            "program_combinations", ("program_a", "program_b"), ("allowed", "reason"), (),
            "UNWIND $rows AS row MERGE (a:Program {code: row.program_a}) "
            "MERGE (b:Program {code: row.program_b}) MERGE (a)-[n:COMBINES_WITH]->(b) "
            "WITH n, row " + _CHANGED,
        ),
        TableSpec(
            "households", ("household_id",),
            ("no_kk", "address", "street", "house_number", "rt", "rw", "kelurahan_code",
             "kecamatan_code", "welfare_decile", "status"),
            (),
            "UNWIND $rows AS row MERGE (n:Household {household_id: row.household_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:LIVES_IN]->(k) "
            " WHERE k.code <> row.props.kelurahan_code DELETE old } "
            "FOREACH (c IN CASE WHEN row.props.kelurahan_code IS NULL THEN [] "
            " ELSE [row.props.kelurahan_code] END |"
            " MERGE (k:Kelurahan {code: c}) MERGE (n)-[:LIVES_IN]->(k))",
        ),
        TableSpec(
            "persons", ("person_id",),
            ("full_name", "name_tokens", "nik", "no_kk", "birth_date", "birth_place", "sex",
             "relationship", "phone", "status"),
            ("household_id", "ppks"),
            "UNWIND $rows AS row MERGE (n:Person {person_id: row.person_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:MEMBER_OF]->(h) "
            " WHERE h.household_id <> row.household_id DELETE old } "
            "CALL (n, row) { MATCH (n)-[old:HAS_PROBLEM]->(p) "
            " WHERE NOT p.code IN row.ppks DELETE old } "
            "FOREACH (hid IN CASE WHEN row.household_id IS NULL THEN [] "
            " ELSE [row.household_id] END |"
            " MERGE (h:Household {household_id: hid}) MERGE (n)-[:MEMBER_OF]->(h)) "
            "FOREACH (c IN row.ppks | MERGE (p:Problem {code: c}) MERGE (n)-[:HAS_PROBLEM]->(p))",
            lists=("ppks",),
        ),
        TableSpec(
            "source_records", ("record_key",),
            ("source", "organization", "source_record_id", "full_name", "nik", "no_kk",
             "birth_date", "address", "rt", "rw", "kelurahan", "match_probability",
             "loaded_at"),
            ("person_id",),
            "UNWIND $rows AS row MERGE (n:SourceRecord {record_key: row.record_key}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:IDENTIFIES|SUBMITTED_BY]->() DELETE old } "
            "FOREACH (pid IN CASE WHEN row.person_id IS NULL THEN [] ELSE [row.person_id] END |"
            " MERGE (p:Person {person_id: pid}) "
            " MERGE (n)-[i:IDENTIFIES]->(p) SET i.match_probability = row.props.match_probability) "
            "FOREACH (o IN CASE WHEN row.props.organization IS NULL THEN [] "
            " ELSE [row.props.organization] END |"
            " MERGE (org:Organization {id: o}) MERGE (n)-[:SUBMITTED_BY]->(org))",
        ),
        TableSpec(
            "match_evidence", ("record_key_l", "record_key_r"),
            ("match_probability", "match_weight", "evidence"), (),
            "UNWIND $rows AS row MERGE (a:SourceRecord {record_key: row.record_key_l}) "
            "MERGE (b:SourceRecord {record_key: row.record_key_r}) "
            "MERGE (a)-[n:MATCHED]->(b) WITH n, row " + _CHANGED,
        ),
        TableSpec(
            "services", ("service_id",),
            ("service_date", "amount", "source", "record_key", "program", "funder",
             "organization"),
            ("household_id", "person_id"),
            "UNWIND $rows AS row MERGE (n:Service {service_id: row.service_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) {"
            " MATCH (n)-[old:RECEIVED_BY|UNDER|FUNDED_BY|DELIVERED_BY]->()"
            " DELETE old } "
            "FOREACH (hid IN CASE WHEN row.household_id IS NULL THEN [] "
            " ELSE [row.household_id] END |"
            " MERGE (h:Household {household_id: hid}) MERGE (n)-[:RECEIVED_BY]->(h)"
            " FOREACH (o IN CASE WHEN row.props.organization IS NULL THEN [] "
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
        ),
        TableSpec(
            "enrolments", ("household_id", "program"),
            ("since", "until", "active", "organization"), (),
            "UNWIND $rows AS row MERGE (h:Household {household_id: row.household_id}) "
            "MERGE (p:Program {code: row.program}) MERGE (h)-[n:ENROLLED_IN]->(p) "
            "WITH h, n, row " + _CHANGED + " "
            "FOREACH (o IN CASE WHEN row.props.organization IS NULL THEN [] "
            " ELSE [row.props.organization] END |"
            " MERGE (org:Organization {id: o}) MERGE (org)-[:SERVES]->(h))",
        ),
        TableSpec(
            "assessments", ("assessment_id",),
            ("assessed_on", "social_worker", "organization", "plan", "notes"),
            ("household_id", "person_id", "ppks"),
            "UNWIND $rows AS row MERGE (n:Assessment {assessment_id: row.assessment_id}) "
            "WITH n, row " + _CHANGED + " "
            "WITH n, row CALL (n, row) { MATCH (n)-[old:ASSESSES|FOUND|ABOUT]->() DELETE old } "
            "MERGE (h:Household {household_id: row.household_id}) MERGE (n)-[:ASSESSES]->(h) "
            "FOREACH (pid IN CASE WHEN row.person_id IS NULL THEN [] ELSE [row.person_id] END |"
            " MERGE (p:Person {person_id: pid}) MERGE (n)-[:ABOUT]->(p)) "
            "FOREACH (c IN row.ppks | MERGE (p:Problem {code: c}) MERGE (n)-[:FOUND]->(p))",
            lists=("ppks",),
        ),
        TableSpec(
            "referrals", ("referral_id",),
            ("status", "created_at", "updated_at", "note", "history", "from_org", "to_org",
             "program"),
            ("household_id",),
            "UNWIND $rows AS row MERGE (n:Referral {referral_id: row.referral_id}) "
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
        ),
    )
}

#: Load order: reference data first, so relationships find their targets.
ORDER: Final[tuple[str, ...]] = tuple(SPECS)


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

    @property
    def entities_written(self) -> int:
        """Nodes plus relationships created."""
        return sum(t.nodes_created + t.relationships_created for t in self.tables.values())

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.tables.values())

    @property
    def changed(self) -> bool:
        return any(
            t.nodes_created or t.relationships_created or t.relationships_deleted
            or t.properties_set
            for t in self.tables.values()
        )


def load(
    driver: Driver,
    tables: Mapping[str, Rows],
    database: str = "neo4j",
    batch_size: int = DEFAULT_BATCH,
) -> LoadReport:
    """Upsert every given table, in dependency order.

    Used for the full load and for incremental upserts alike: unchanged rows
    write nothing. Unknown table names are an error, so typos do not pass
    silently. Constraints must exist first (`graph.constraints.ensure`).
    """
    unknown = sorted(set(tables) - set(SPECS))
    if unknown:
        raise GraphInputError(
            f"unknown table(s) {', '.join(unknown)}: the loader takes {', '.join(ORDER)}."
        )
    report = LoadReport()
    for name in ORDER:
        if name in tables:
            report.tables[name] = load_table(driver, name, tables[name], database, batch_size)
    driver.execute_query(
        "MERGE (m:LoadMark {name: 'last_load'}) SET m.at = $at",
        at=datetime.now(UTC),
        database_=database,
    )
    return report


def load_table(
    driver: Driver,
    name: str,
    rows: Rows,
    database: str = "neo4j",
    batch_size: int = DEFAULT_BATCH,
) -> TableReport:
    spec = SPECS[name]
    report = TableReport()
    started = time.perf_counter()
    for batch in _batches(spec, rows, batch_size):
        summary = driver.execute_query(spec.cypher, rows=batch, database_=database).summary
        c = summary.counters
        report.rows += len(batch)
        report.nodes_created += c.nodes_created
        report.relationships_created += c.relationships_created
        report.relationships_deleted += c.relationships_deleted
        report.properties_set += c.properties_set
    report.seconds = time.perf_counter() - started
    return report


def last_load_at(driver: Driver, database: str = "neo4j") -> datetime | None:
    """When `load` last finished, for `--since` style incremental pulls."""
    records = driver.execute_query(
        "MATCH (m:LoadMark {name: 'last_load'}) RETURN m.at AS at", database_=database
    ).records
    if not records:
        return None
    at = records[0]["at"]
    return at.to_native() if hasattr(at, "to_native") else None


def prepare(spec: TableSpec, raw: Row, index: int = 0) -> dict[str, Any]:
    """One input row as the statement parameter: keys and links flat, stored
    properties under `props`, plus the content hash."""
    for key in spec.keys:
        if raw.get(key) in (None, ""):
            raise GraphInputError(
                f"table {spec.name}, row {index}: column {key!r} is empty; "
                f"it is the key ({', '.join(spec.keys)}) and must be set."
            )
    props = {c: _plain(raw.get(c)) for c in spec.properties}
    if spec.name == "persons" and not props.get("name_tokens"):
        props["name_tokens"] = (props.get("full_name") or "").lower()
    elif isinstance(props.get("name_tokens"), list):
        props["name_tokens"] = " ".join(str(t) for t in props["name_tokens"])
    out: dict[str, Any] = {k: _plain(raw[k]) for k in spec.keys}
    for link in spec.links:
        value = _plain(raw.get(link))
        out[link] = [] if value is None and link in spec.lists else value
    if "ppks" in spec.lists and out.get("ppks") is None:
        out["ppks"] = []
    if spec.name == "programs" and out.get("ppks") is None:
        out["ppks"] = []
    out["props"] = props
    digest = hashlib.blake2b(digest_size=10)
    digest.update(repr(sorted(props.items())).encode())
    digest.update(repr([out[link] for link in spec.links]).encode())
    out["row_hash"] = digest.hexdigest()
    return out


def _batches(spec: TableSpec, rows: Rows, size: int) -> Iterator[list[dict[str, Any]]]:
    if isinstance(rows, pa.Table):
        missing = [k for k in spec.keys if k not in rows.column_names]
        if missing:
            raise GraphInputError(
                f"table {spec.name} has no column(s) {', '.join(missing)}; "
                f"expected columns: {', '.join(spec.columns)}."
            )
        wanted = [c for c in spec.columns if c in rows.column_names]
        table: Any = rows.select(wanted)
        for start in range(0, table.num_rows, size):
            chunk = table.slice(start, size).to_pylist()
            yield [prepare(spec, r, start + i) for i, r in enumerate(chunk)]
        return
    yield from _chunked(spec, rows, size)


def _chunked(spec: TableSpec, rows: Iterable[Row], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for i, r in enumerate(rows):
        batch.append(prepare(spec, r, i))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _plain(value: Any) -> Any:
    """Values the Bolt driver can send: Decimal becomes float, tuples lists."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, tuple):
        return list(value)
    return value


__all__ = [
    "DEFAULT_BATCH",
    "ORDER",
    "SPECS",
    "LoadReport",
    "TableReport",
    "TableSpec",
    "last_load_at",
    "load",
    "load_table",
    "prepare",
]
