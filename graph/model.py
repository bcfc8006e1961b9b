"""The one-data graph, declared once: what each loader table writes.

Every input table of the loader is one `Table` entry below: the node (or the
relationship) each of its rows is, keyed by which columns, the columns it
stores as properties, and the relationships its columns name (`Link`: from
the row's node to the node a column names; `Pair`: between two nodes the row
names). graph.statements generates all of the loader's Cypher from these
entries: the create path of a first load and the upsert path of every later
load and of the API's writes. Adding a relationship is one `Link` here.

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
    enrolments          (:Household)-[:ENROLLED_IN {since, until, active,
                          override_reason}]->(:Program),
                        (:Organization)-[:SERVES]->(:Household)
    assessments         (:Assessment {assessment_id})-[:ASSESSES]->(:Household),
                        -[:ABOUT]->(:Person), -[:FOUND]->(:Problem)
    referrals           (:Referral {referral_id})-[:CONCERNS]->(:Household),
                        -[:FROM]->(:Organization), -[:TO]->(:Organization),
                        -[:FOR_PROGRAM]->(:Program)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from domain.rows import HOUSEHOLD_PROPERTIES


@dataclass(frozen=True)
class Node:
    """A node kind: its label (and further labels), and the property that is
    its key (unique, see graph.constraints)."""

    label: str
    key: str
    also: tuple[str, ...] = ()

    @property
    def labels(self) -> str:
        return ":".join((self.label, *self.also))


@dataclass(frozen=True)
class End:
    """One end of a relationship: the node whose key is the value of `column`."""

    node: Node
    column: str


@dataclass(frozen=True)
class Link:
    """(the row's node)-[:rel]->(target {key: v}) for the value v of `column`
    (each value, when `many`: a list column); none for a null. A later row
    replaces the relationships of its node: the ones to other targets go.

    `required`: every row must name its target. `properties`: stored columns
    the relationship keeps too, under the same name."""

    column: str
    rel: str
    target: Node
    many: bool = False
    required: bool = False
    properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pair:
    """(start)-[:rel]->(end) between two nodes a row names, once per distinct
    pair, and not for a row whose column `unless` is true. Other rows may imply
    the same relationship, so a later row never removes it."""

    rel: str
    start: End
    end: End
    unless: str | None = None


Phase = Literal["reference", "household", "after"]


@dataclass(frozen=True)
class Table:
    """One loader table: each row is a `node` keyed by its key column, or a
    `relationship` keyed by its two ends' columns (then `properties` are the
    relationship's). `phase`: reference tables go first, table by table;
    household tables a whole household per transaction (graph.household_load);
    "after" ones, between households, last. `tokens_of`: the column
    `name_tokens`, when not given, is this column in lower case."""

    name: str
    properties: tuple[str, ...]
    node: Node | None = None
    relationship: Pair | None = None
    links: tuple[Link, ...] = ()
    pairs: tuple[Pair, ...] = ()
    phase: Phase = "reference"
    tokens_of: str | None = None

    def __post_init__(self) -> None:
        if (self.node is None) == (self.relationship is None):
            raise ValueError(f"table {self.name}: give a node or a relationship, not both")

    @property
    def keys(self) -> tuple[str, ...]:
        if self.node is not None:
            return (self.node.key,)
        assert self.relationship is not None
        return (self.relationship.start.column, self.relationship.end.column)

    @property
    def link_columns(self) -> tuple[str, ...]:
        """Columns that only name related nodes (not stored, not keys)."""
        named = [link.column for link in self.links]
        named += [c for p in self.pairs for c in (p.start.column, p.end.column)]
        out: list[str] = []
        for c in named:
            if c not in self.keys and c not in self.properties and c not in out:
                out.append(c)
        return tuple(out)

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.properties + self.link_columns

    @property
    def lists(self) -> tuple[str, ...]:
        """Columns whose values are lists (default [] when missing)."""
        return tuple(link.column for link in self.links if link.many)

    @property
    def required(self) -> tuple[str, ...]:
        """Link columns every row must set."""
        return tuple(link.column for link in self.links if link.required)


KECAMATAN: Final = Node("Kecamatan", "code", ("Area",))
KELURAHAN: Final = Node("Kelurahan", "code", ("Area",))
PROBLEM: Final = Node("Problem", "code")
FUNDER: Final = Node("Funder", "code")
ORGANIZATION: Final = Node("Organization", "id")
PROGRAM: Final = Node("Program", "code")
HOUSEHOLD: Final = Node("Household", "household_id")
PERSON: Final = Node("Person", "person_id")
SOURCE_RECORD: Final = Node("SourceRecord", "record_key")
SERVICE: Final = Node("Service", "service_id")
ASSESSMENT: Final = Node("Assessment", "assessment_id")
REFERRAL: Final = Node("Referral", "referral_id")


def _serves(unless: str | None = None) -> Pair:
    """(:Organization)-[:SERVES]->(:Household): a delivery or enrolment by
    the organization opens the household to it (see graph.repository VISIBLE)."""
    return Pair("SERVES", End(ORGANIZATION, "organization"), End(HOUSEHOLD, "household_id"), unless)


#: Every loader table, in load order (reference data first, so relationships
#: find their targets).
TABLES: Final[tuple[Table, ...]] = (
    Table("kecamatan", ("name", "population"), KECAMATAN),
    Table(
        "kelurahan",
        ("name", "kecamatan_code", "population"),
        KELURAHAN,
        links=(Link("kecamatan_code", "IN", KECAMATAN, required=True),),
    ),
    Table("problems", ("number", "name", "name_en", "special_category", "special_kind"), PROBLEM),
    Table("funders", ("name", "kind", "public"), FUNDER),
    Table("organizations", ("name", "type"), ORGANIZATION),
    Table(
        "programs",
        ("name", "benefit_kind", "need", "description"),
        PROGRAM,
        links=(
            Link("funder_type", "FUNDED_BY", FUNDER),
            Link("ppks", "ADDRESSES", PROBLEM, many=True),
        ),
    ),
    Table(
        "program_combinations",
        ("allowed", "reason"),
        relationship=Pair("COMBINES_WITH", End(PROGRAM, "program_a"), End(PROGRAM, "program_b")),
    ),
    Table(
        "households",
        HOUSEHOLD_PROPERTIES,
        HOUSEHOLD,
        phase="household",
        links=(Link("kelurahan_code", "LIVES_IN", KELURAHAN),),
    ),
    Table(
        "persons",
        (
            "full_name",
            "name_tokens",
            "nik",
            "no_kk",
            "birth_date",
            "birth_place",
            "sex",
            "relationship",
            "phone",
            "status",
        ),
        PERSON,
        phase="household",
        tokens_of="full_name",
        links=(
            Link("household_id", "MEMBER_OF", HOUSEHOLD),
            Link("ppks", "HAS_PROBLEM", PROBLEM, many=True),
        ),
    ),
    Table(
        "source_records",
        (
            "source",
            "organization",
            "source_record_id",
            "full_name",
            "nik",
            "no_kk",
            "birth_date",
            "address",
            "rt",
            "rw",
            "kelurahan",
            "match_probability",
            "loaded_at",
            "via_api",
        ),
        SOURCE_RECORD,
        phase="household",
        links=(
            Link("person_id", "IDENTIFIES", PERSON, properties=("match_probability",)),
            Link("organization", "SUBMITTED_BY", ORGANIZATION),
        ),
    ),
    Table(
        "match_evidence",
        ("match_probability", "match_weight", "evidence"),
        phase="after",
        relationship=Pair(
            "MATCHED", End(SOURCE_RECORD, "record_key_l"), End(SOURCE_RECORD, "record_key_r")
        ),
    ),
    Table(
        "services",
        (
            "service_date",
            "amount",
            "source",
            "record_key",
            "program",
            "funder",
            "organization",
            "link_pending",
        ),
        SERVICE,
        phase="household",
        links=(
            Link("household_id", "RECEIVED_BY", HOUSEHOLD),
            Link("person_id", "RECEIVED_BY", PERSON),
            Link("program", "UNDER", PROGRAM),
            Link("funder", "FUNDED_BY", FUNDER),
            Link("organization", "DELIVERED_BY", ORGANIZATION),
        ),
        # a delivery to a person the organization only submitted opens nothing
        pairs=(_serves(unless="link_pending"),),
    ),
    Table(
        "enrolments",
        ("since", "until", "active", "organization", "override_reason"),
        phase="household",
        relationship=Pair("ENROLLED_IN", End(HOUSEHOLD, "household_id"), End(PROGRAM, "program")),
        pairs=(_serves(),),
    ),
    Table(
        "assessments",
        (
            "assessed_on",
            "social_worker",
            "organization",
            "plan",
            "notes",
            "goals",
            "follow_up_on",
            "version",
        ),
        ASSESSMENT,
        phase="household",
        links=(
            Link("household_id", "ASSESSES", HOUSEHOLD, required=True),
            Link("person_id", "ABOUT", PERSON),
            Link("ppks", "FOUND", PROBLEM, many=True),
            Link("programs", "PLANS", PROGRAM, many=True),
            Link("revises", "REVISES", ASSESSMENT),
        ),
    ),
    Table(
        "referrals",
        (
            "status",
            "created_at",
            "updated_at",
            "note",
            "history",
            "from_org",
            "to_org",
            "program",
            "from_scoped",
            "onward_from",
            "onward_to",
            "onward_org",
        ),
        REFERRAL,
        phase="household",
        links=(
            Link("household_id", "CONCERNS", HOUSEHOLD, required=True),
            Link("from_org", "FROM", ORGANIZATION),
            Link("to_org", "TO", ORGANIZATION),
            Link("program", "FOR_PROGRAM", PROGRAM),
        ),
    ),
)

#: table name -> its declaration
BY_NAME: Final[dict[str, Table]] = {t.name: t for t in TABLES}

#: Every node kind the loader writes or links to (each key gets a uniqueness
#: constraint, graph.constraints), in order of first mention.
NODES: Final[tuple[Node, ...]] = tuple(
    dict.fromkeys(
        node
        for t in TABLES
        for node in (
            *((t.node,) if t.node else ()),
            *((t.relationship.start.node, t.relationship.end.node) if t.relationship else ()),
            *(link.target for link in t.links),
            *(end.node for p in t.pairs for end in (p.start, p.end)),
        )
    )
)


__all__ = ["BY_NAME", "NODES", "TABLES", "End", "Link", "Node", "Pair", "Phase", "Table"]
