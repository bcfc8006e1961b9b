"""The loader's Cypher, generated from the declarations in graph.model.

Each table has two paths, both over one batch of rows sent as columns
(`$c.<column>[i]`, see graph.loader.columns):

- `upsert`: MERGE the row's node (or relationship); when its content hash
  (`row_hash`) differs from the stored one, set its properties and replace
  its links (the relationships to targets the row no longer names go, the
  ones it names are merged) and merge its pairs. A row whose hash is
  unchanged writes nothing.
- `create`: the fast path of a first load, when nothing of the table exists
  yet and its keys are unique: CREATE each node (or relationship) with its
  properties and its links in the same statement. The targets of each link
  are resolved once per batch, not once per row: the batch carries the
  sorted distinct target keys (`$v.<link>`), which one MERGE per key resolves
  to nodes (creating a missing target, as the upsert does), and per row the
  positions of its keys in that list (`$l.<link>`). A table's pairs follow
  as `pairs` statements over the batch's distinct pairs (`pair_columns`).

Only the columns a batch has are written; a missing one is null (a missing
list column, []). A batch's columns are named by `present`: the names, or
`shape(schema)`, which also says which columns travel as text that the
statement parses (dates and local date-times, see `wire`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from graph.model import HOUSEHOLD, PERSON, TABLES, End, Link, Pair, Table

_ROWS = "UNWIND range(0, size($c.row_hash) - 1) AS i "
_CHANGED = "WHERE n.row_hash IS NULL OR n.row_hash <> $c.row_hash[i] "


#: The Cypher function that makes a column's text its value, by Arrow type:
#: packing a date or a datetime is Python per value in the driver (~40 µs a
#: local datetime, the bulk of a load's Python time); the server parses the
#: ISO text in about 1 µs. Other types travel as they are.
_PARSED: Final[tuple[tuple[Any, str], ...]] = (
    (pa.types.is_date, "date"),
    (lambda t: pa.types.is_timestamp(t) and t.tz is None, "localdatetime"),
)


def parsed_by(type_: Any) -> str | None:
    """The Cypher function a column of Arrow type `type_` is parsed by, or None."""
    return next((fn for test, fn in _PARSED if test(type_)), None)


def shape(schema: Any) -> dict[str, str | None]:
    """A batch's columns (of an Arrow `schema`), each with the Cypher function
    that parses its text (`parsed_by`): the `present` of `create` and `upsert`."""
    return {f.name: parsed_by(f.type) for f in schema}


def wire(col: Any) -> list[Any]:
    """An Arrow column as the statement's parameter (see `shape`): dates as
    ISO dates, local timestamps as ISO local date-times, others as they are."""
    parse = parsed_by(col.type)
    if parse == "date":
        col = pc.cast(col, pa.string())
    elif parse == "localdatetime":
        col = pc.strftime(col, "%Y-%m-%dT%H:%M:%S")  # %S has the fraction, at the unit's precision
    return list(col.to_pylist())


def each(value: str, unless: str | None = None) -> str:
    """The null guard: `value` as a list of one, or [] when it is null (or
    `unless` holds), for FOREACH and IN."""
    skip = f"{value} IS NULL" + (f" OR coalesce({unless}, false)" if unless else "")
    return f"CASE WHEN {skip} THEN [] ELSE [{value}] END"


def value(table: Table, present: Collection[str], column: str) -> str:
    """Row i's value of `column` (null, or [] for a list, when absent),
    parsed when `present` says so (see `shape`)."""
    if column not in present:
        return "[]" if column in table.lists else "null"
    parse = present.get(column) if isinstance(present, Mapping) else None
    return f"{parse}($c.{column}[i])" if parse else f"$c.{column}[i]"


def _targets(table: Table, present: Collection[str], link: Link) -> str:
    given = value(table, present, link.column)
    return given if link.many else each(given)


def _merge(end: End, var: str, key: str) -> str:
    return f"MERGE ({var}:{end.node.label} {{{end.node.key}: {key}}}) "


def _stored(table: Table, present: Collection[str], names: Collection[str]) -> str:
    return ", ".join(f"{p}: {value(table, present, p)}" for p in names if p in present)


def _pair_merge(table: Table, present: Collection[str], pair: Pair) -> str:
    """Merge `pair` for row i, unless an end is null or its `unless` holds."""
    unless = value(table, present, pair.unless) if pair.unless else None
    return (
        f"FOREACH (a IN {each(value(table, present, pair.start.column), unless)} | "
        f"FOREACH (b IN {each(value(table, present, pair.end.column))} | "
        + _merge(pair.start, "x", "a")
        + _merge(pair.end, "y", "b")
        + f"MERGE (x)-[:{pair.rel}]->(y))) "
    )


def upsert(table: Table, present: Collection[str]) -> str:
    """The upsert of a batch with columns `present` (see the module's doc)."""
    props = ", ".join(f"{p}: {value(table, present, p)}" for p in table.properties)
    if table.node is not None:
        node = table.node
        out = [_ROWS, f"MERGE (n:{node.label} {{{node.key}: $c.{node.key}[i]}}) "]
    else:
        rel = table.relationship
        assert rel is not None
        out = [
            _ROWS,
            _merge(rel.start, "a", f"$c.{rel.start.column}[i]"),
            _merge(rel.end, "b", f"$c.{rel.end.column}[i]"),
            f"MERGE (a)-[n:{rel.rel}]->(b) ",
        ]
    labels = "".join(f", n:{label}" for label in (table.node.also if table.node else ()))
    out.append(f"WITH n, i {_CHANGED}SET n += {{{props}}}, n.row_hash = $c.row_hash[i]{labels} ")
    for link in table.links:
        targets = _targets(table, present, link)
        label, key = link.target.label, link.target.key
        kept = "".join(f" SET r.{p} = {value(table, present, p)}" for p in link.properties)
        out.append(
            f"WITH n, i CALL (n, i) {{ MATCH (n)-[old:{link.rel}]->(t:{label}) "
            f"WHERE NOT t.{key} IN {targets} DELETE old }} "
            f"FOREACH (v IN {targets} | MERGE (t:{label} {{{key}: v}}) "
            f"MERGE (n)-[r:{link.rel}]->(t){kept}) "
        )
    out += [_pair_merge(table, present, pair) for pair in table.pairs]
    return "".join(out)


def _ends(table: Table, present: Collection[str]) -> list[tuple[str, End, Link | None]]:
    """(parameter name, end, link) of every end the create path resolves: a
    relationship table's two ends, then each link the batch has a column for."""
    out: list[tuple[str, End, Link | None]] = []
    if table.relationship is not None:
        out += [("start", table.relationship.start, None), ("end", table.relationship.end, None)]
    out += [
        (f"link{k}", End(link.target, link.column), link)
        for k, link in enumerate(table.links)
        if link.column in present
    ]
    return out


def create(table: Table, present: Collection[str]) -> str:
    """The create path of a batch with columns `present` (see the module's
    doc); its parameters are `create_params`."""
    ends = _ends(table, present)
    out = [
        f"CALL () {{ UNWIND $v.{name} AS v {_merge(end, 't', 'v')}"
        f"RETURN collect(t) AS {name}_nodes }} "
        for name, end, _ in ends
    ]
    out.append(_ROWS)
    if table.node is not None:
        stored = _stored(table, present, (*table.keys, "row_hash", *table.properties))
        out.append(f"CREATE (n:{table.node.labels} {{{stored}}}) ")
    else:
        assert table.relationship is not None
        stored = _stored(table, present, ("row_hash", *table.properties))
        out.append(
            f"WITH start_nodes[$l.start[i]] AS a, end_nodes[$l.end[i]] AS b, i "
            f"CREATE (a)-[n:{table.relationship.rel} {{{stored}}}]->(b) "
        )
    for name, _, link in ends:
        if link is None:
            continue
        positions = f"$l.{name}[i]" if link.many else each(f"$l.{name}[i]")
        kept = _stored(table, present, link.properties)
        rel = link.rel + (f" {{{kept}}}" if kept else "")
        out.append(
            f"FOREACH (t IN [j IN {positions} | {name}_nodes[j]] | CREATE (n)-[:{rel}]->(t)) "
        )
    return "".join(out)


def create_params(table: Table, chunk: Any) -> dict[str, Any]:
    """The parameters of `create` for `chunk`, an Arrow table of rows."""
    present = set(chunk.column_names)
    named_only = set(table.link_columns)
    if table.relationship is not None:
        named_only |= set(table.keys)
    stored = {n: wire(chunk.column(n)) for n in chunk.column_names if n not in named_only}
    targets: dict[str, Any] = {}
    positions: dict[str, Any] = {}
    for name, end, link in _ends(table, present):
        many = link is not None and link.many
        col = chunk.column(end.column).combine_chunks()
        values = pc.list_flatten(col) if many else col
        keys = pc.unique(values).drop_null()
        keys = keys.take(pc.array_sort_indices(keys))
        if pa.types.is_null(values.type):
            where = pa.nulls(len(values), pa.int32())
        else:
            where = pc.index_in(values, value_set=keys)
        if many:
            offsets = pc.subtract(col.offsets, col.offsets[0])
            where = pa.ListArray.from_arrays(offsets, where)
        targets[name] = keys.to_pylist()
        positions[name] = where.to_pylist()
    return {"c": stored, "v": targets, "l": positions}


def pairs(pair: Pair) -> str:
    """Merge each of a batch of distinct pairs (`pair_columns`).

    A pair with a household at one end is created where it is missing, not
    MERGEd: MERGE locks both ends to create, and two writers doing so on one
    organization (dense: thousands of relationships) deadlocked several
    times in every full load. No other transaction writes such a pair
    meanwhile: a household's rows are all in one transaction
    (graph.household_load), and outside the household phase pairs run one
    batch at a time."""
    if HOUSEHOLD not in (pair.start.node, pair.end.node):
        made = f"MERGE (x)-[:{pair.rel}]->(y)"
    else:
        made = (
            f"WITH x, y WHERE NOT EXISTS {{ (x)-[:{pair.rel}]->(y) }} CREATE (x)-[:{pair.rel}]->(y)"
        )
    return (
        "UNWIND range(0, size($c.start) - 1) AS i "
        + _merge(pair.start, "x", "$c.start[i]")
        + _merge(pair.end, "y", "$c.end[i]")
        + made
    )


def pair_columns(pair: Pair, chunk: Any) -> Any:
    """The distinct (start, end) pairs `chunk` implies, as an Arrow table."""
    names = set(chunk.column_names)
    if not {pair.start.column, pair.end.column} <= names:
        return pa.table({"start": pa.array([], pa.string()), "end": pa.array([], pa.string())})
    keep = pc.and_(
        pc.is_valid(chunk.column(pair.start.column)), pc.is_valid(chunk.column(pair.end.column))
    )
    if pair.unless is not None and pair.unless in names:
        keep = pc.and_(
            keep, pc.invert(pc.fill_null(pc.cast(chunk.column(pair.unless), pa.bool_()), False))
        )
    both = pa.table(
        {"start": chunk.column(pair.start.column), "end": chunk.column(pair.end.column)}
    ).filter(keep)
    return both.group_by(["start", "end"]).aggregate([])


def drop(table: Table, where: str = "") -> str:
    """Delete the rows of `table` whose keys are `$rows` (a list [a, b] for a
    relationship's), with what hangs on a node; `where` narrows it (over `n`)."""
    if table.node is not None:
        found = f"MATCH (n:{table.node.label} {{{table.node.key}: k}}) "
    else:
        rel = table.relationship
        assert rel is not None
        found = (
            f"MATCH (:{rel.start.node.label} {{{rel.start.node.key}: k[0]}})-[n:{rel.rel}]->"
            f"(:{rel.end.node.label} {{{rel.end.node.key}: k[1]}}) "
        )
    gone = "DETACH DELETE n" if table.node is not None else "DELETE n"
    return f"UNWIND $rows AS k {found}" + (f"WHERE {where} " if where else "") + gone


def households_now(table: Table) -> str | None:
    """Where the graph holds the rows of `table` whose keys are `$keys` now
    (`key`, `hh`: the households its household link points to, or its
    person's); None for a table whose rows hang on no household that way."""
    if table.node is None:
        return None
    found = f"UNWIND $keys AS k MATCH (:{table.node.label} {{{table.node.key}: k}})"
    home = _home(table)
    if home is None:
        return None
    return f"{found}{home}(h:{HOUSEHOLD.label}) RETURN k AS key, collect(h.{HOUSEHOLD.key}) AS hh"


def _home(table: Table) -> str | None:
    """The path from a row's node to its household: its own link, or its
    person's."""
    for link in table.links:
        if link.target == HOUSEHOLD:
            return f"-[:{link.rel}]->"
    for link in table.links:
        if link.target == PERSON:
            person = next(t for t in TABLES if t.node == PERSON)
            rest = _home(person)
            return None if rest is None else f"-[:{link.rel}]->(:{PERSON.label}){rest}"
    return None


def target(table: Table) -> str:
    """A query whose count is 0 when nothing of `table` exists yet."""
    if table.node is not None:
        pattern = f"(n:{table.node.label})"
    else:
        assert table.relationship is not None
        pattern = f"()-[n:{table.relationship.rel}]->()"
    return f"MATCH {pattern} WITH n LIMIT 1 RETURN count(n) AS c"


__all__ = [
    "create",
    "create_params",
    "drop",
    "each",
    "households_now",
    "pair_columns",
    "pairs",
    "parsed_by",
    "shape",
    "target",
    "upsert",
    "value",
    "wire",
]
