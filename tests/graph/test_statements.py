"""The loader's Cypher is generated from graph.model: every declared node,
relationship, link and pair is written by both paths (create and upsert), and
a declaration added here is written by both without any other change."""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from neo4j import Driver
from test_loader import count

from graph import statements
from graph.loader import columns
from graph.model import HOUSEHOLD, ORGANIZATION, TABLES, End, Link, Node, Pair, Table

#: a table the real model does not have: a link, a list link with a
#: relationship property, and a pair with a condition
GADGET: Table = Table(
    "gadgets",
    ("name", "weight", "broken"),
    Node("Gadget", "gadget_id", ("Thing",)),
    phase="household",
    links=(
        Link("maker", "MADE_BY", ORGANIZATION, properties=("weight",)),
        Link("tags", "TAGGED", Node("Tag", "code"), many=True),
    ),
    pairs=(
        Pair("EQUIPS", End(ORGANIZATION, "maker"), End(HOUSEHOLD, "household_id"), unless="broken"),
    ),
)


def written(cypher: str) -> set[tuple[str, str]]:
    """(relationship type, label of the node it points to) of every
    relationship `cypher` creates or merges."""
    collected = dict(
        (name, label)
        for label, name in re.findall(
            r"MERGE \(t:(\w+) \{\w+: v\}\) RETURN collect\(t\) AS (\w+)_nodes", cypher
        )
    )
    out = {
        (rel, collected[name])
        for name, rel in re.findall(
            r"(\w+)_nodes\[j\]\] \| CREATE \(n\)-\[:(\w+)(?: \{[^}]*\})?\]->\(t\)", cypher
        )
    }
    out |= {
        (rel, label)
        for label, rel in re.findall(
            r"MERGE \(t:(\w+) \{\w+: v\}\) MERGE \(n\)-\[r:(\w+)\]->\(t\)", cypher
        )
    }
    out |= {
        (rel, label)
        for label, rel in re.findall(  # pairs
            r"MERGE \(y:(\w+) \{[^}]*\}\) (?:WITH x, y WHERE NOT EXISTS \{ [^}]* \} )?"
            r"(?:MERGE|CREATE) \(x\)-\[:(\w+)\]->\(y\)",
            cypher,
        )
    }
    if "end_nodes" in cypher:  # a relationship table's own, create path
        out |= {(rel, collected["end"]) for rel in re.findall(r"CREATE \(a\)-\[n:(\w+) ", cypher)}
    out |= {
        (rel, label)
        for label, rel in re.findall(  # and its upsert
            r"MERGE \(b:(\w+) \{[^}]*\}\) MERGE \(a\)-\[n:(\w+)\]->\(b\)", cypher
        )
    }
    return out


def declared(table: Table) -> set[tuple[str, str]]:
    out = {(link.rel, link.target.label) for link in table.links}
    if table.relationship is not None:
        out.add((table.relationship.rel, table.relationship.end.node.label))
    return out


@pytest.mark.parametrize("table", [*TABLES, GADGET], ids=lambda t: t.name)
def test_both_paths_write_every_declared_relationship(table: Table) -> None:
    present = (*table.columns, "row_hash")
    create = statements.create(table, present)
    upsert = statements.upsert(table, present)
    assert declared(table) <= written(create), create
    assert declared(table) <= written(upsert), upsert
    for pair in table.pairs:  # the create path merges pairs in a statement of their own
        assert (pair.rel, pair.end.node.label) in written(statements.pairs(pair))
        assert (pair.rel, pair.end.node.label) in written(upsert)
    if table.node is not None:
        assert f"CREATE (n:{table.node.labels} " in create
        assert f"MERGE (n:{table.node.label} {{{table.node.key}: " in upsert
        for label in table.node.also:
            assert f"n:{label}" in upsert


def test_every_relationship_is_declared_once() -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for table in TABLES:
        source = table.node.label if table.node else None
        for link in table.links:
            assert source is not None
            key = (source, link.rel, link.target.label)
            assert key not in seen, f"{key} declared by {seen.get(key)} and {table.name}"
            seen[key] = table.name


def run(driver: Driver, table: Table, rows: list[dict[str, object]], fast: bool) -> None:
    data = columns(table, pa.Table.from_pylist(rows))
    if fast:
        driver.execute_query(
            statements.create(table, data.column_names), statements.create_params(table, data)
        )
        for pair in table.pairs:
            both = statements.pair_columns(pair, data)
            driver.execute_query(statements.pairs(pair), {"c": both.to_pydict()})
    else:
        driver.execute_query(statements.upsert(table, data.column_names), {"c": data.to_pydict()})


def test_a_new_declaration_is_written_by_both_paths(empty_graph: Driver) -> None:
    rows: list[dict[str, object]] = [
        {
            "gadget_id": "G1",
            "name": "pump",
            "weight": 3.5,
            "maker": "YAY-A",
            "tags": ["water", "farm"],
            "household_id": "H1",
            "broken": False,
        },
        {
            "gadget_id": "G2",
            "name": "saw",
            "weight": 1.0,
            "maker": "YAY-B",
            "tags": [],
            "household_id": "H2",
            "broken": True,
        },
    ]
    run(empty_graph, GADGET, rows, fast=True)
    made = (
        "MATCH (g:Gadget:Thing)-[m:MADE_BY]->(o:Organization) "
        "RETURN count(*) + sum(CASE WHEN m.weight = g.weight THEN 100 ELSE 0 END)"
    )
    assert count(empty_graph, made) == 202
    assert (
        count(empty_graph, "MATCH (:Gadget {gadget_id: 'G1'})-[:TAGGED]->(t:Tag) RETURN count(t)")
        == 2
    )
    equips = "MATCH (o:Organization)-[:EQUIPS]->(h:Household) RETURN o.id + '>' + h.household_id"
    assert [r[0] for r in empty_graph.execute_query(equips).records] == ["YAY-A>H1"]

    # the upsert: G1 changes maker and loses a tag, G2 is mended
    rows[0] |= {"maker": "YAY-C", "tags": ["farm"], "weight": 4.0}
    rows[1] |= {"broken": False}
    run(empty_graph, GADGET, rows, fast=False)
    assert (
        count(
            empty_graph,
            "MATCH (:Gadget {gadget_id: 'G1'})-[m:MADE_BY]->(o) "
            "WHERE o.id = 'YAY-C' AND m.weight = 4.0 RETURN count(*)",
        )
        == 1
    )
    assert (
        count(empty_graph, "MATCH (:Gadget {gadget_id: 'G1'})-[:MADE_BY]->(o) RETURN count(o)") == 1
    )
    assert (
        count(empty_graph, "MATCH (:Gadget {gadget_id: 'G1'})-[:TAGGED]->(t) RETURN count(t)") == 1
    )
    # pairs are never removed by a later row (other rows may imply them)
    assert sorted(r[0] for r in empty_graph.execute_query(equips).records) == [
        "YAY-A>H1",
        "YAY-B>H2",
        "YAY-C>H1",
    ]


def test_the_null_guard_leaves_out_a_missing_target() -> None:
    upsert = statements.upsert(GADGET, ("gadget_id", "name", "row_hash"))
    assert "$c.maker" not in upsert and "$c.tags" not in upsert  # absent: null and []
    assert statements.each("$c.x[i]") == "CASE WHEN $c.x[i] IS NULL THEN [] ELSE [$c.x[i]] END"
