"""Batched, idempotent loading of the one-data graph.

The loader takes plain rows (mappings) or Arrow tables, one per table of
graph.model (which declares, once, what each table writes: its node or
relationship, key, properties and links), and writes them with the Cypher
graph.statements generates from those declarations. The caller (hub/) builds
these tables from staging and the identity map; graph/ never reads DuckDB.

Each batch travels as columns (`$c.name[i]`), not as one map per row, and the
input is shaped and hashed column-wise in Arrow: no per-row Python. A table
whose nodes (or relationship type) do not exist yet, with unique keys, takes
the create path (CREATE, the links in the same statement) with two
concurrent writers; otherwise the upsert path runs.

Every transaction of a load may run twice: the driver runs a transaction
function again after a failure it deems passing (a leader switch in a
cluster, a deadlock), and a re-run `hub load` sends again what a stopped one
sent. The upsert path, the pairs and the lifecycle steps are safe to run
twice (MERGE, and MATCH-guarded moves and deletes); the create path is not
(its CREATE meets the uniqueness constraint, or makes a relationship twice),
so a create-path batch that runs again runs as its upsert (`Writes.again`).

Incremental upserts: every row carries a content hash (`row_hash`) computed
here from its stored columns (or given by the caller). A node or
relationship whose hash is unchanged is not touched, so re-loading the same
data writes nothing, and an upsert of a changed subset writes only that
subset.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Final, LiteralString, TypeAlias, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from neo4j import Driver, ManagedTransaction, RoutingControl
from neo4j.exceptions import (
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from graph import statements
from graph.driver import refused
from graph.errors import GraphInputError, LoadInterrupted
from graph.model import BY_NAME, TABLES, Table
from graph.transactions import Step

Row = Mapping[str, Any]
#: a loader table's rows: an Arrow table (pyarrow is untyped: Any to mypy) or mappings
Rows: TypeAlias = "pa.Table | Sequence[Row]"

DEFAULT_BATCH: Final[int] = 3_000
#: concurrent write transactions on the create-only path (2 cores: 2 writers)
DEFAULT_WRITERS: Final[int] = 2

T = TypeVar("T")
R = TypeVar("R")

#: table name -> its declaration (graph.model)
SPECS: Final[dict[str, Table]] = BY_NAME

#: Load order: reference data first, so relationships find their targets.
ORDER: Final[tuple[str, ...]] = tuple(t.name for t in TABLES)


@dataclass(frozen=True)
class Statement:
    """A Cypher statement and its parameters."""

    text: str
    params: dict[str, Any]


@dataclass(frozen=True)
class Attempts:
    """A statement of a load's transaction, and (`again`, made when needed)
    the one to run instead when the transaction runs again; None: the same."""

    first: Statement
    again: Callable[[], Statement] | None = None

    def statement(self, attempt: int) -> Statement:
        return self.first if attempt == 1 or self.again is None else self.again()


def write_transaction(
    driver: Driver, database: str, work: Callable[[ManagedTransaction], T], **session: Any
) -> T:
    """Run `work` as a managed write transaction (retried by the driver), in a
    session that shares the driver's bookmarks with `execute_query`: a read
    routed to a cluster's reader after the load waits for its writes."""
    with driver.session(
        database=database, bookmark_manager=driver.execute_query_bookmark_manager, **session
    ) as s:
        return s.execute_write(work)


@dataclass(frozen=True)
class Writes:
    """One table's rows, shaped (`columns`), and how they are written: by the
    create path (`fast`, nothing of the table exists yet and every row is
    new) or the upsert path; `statement` is the one for `data`'s columns."""

    table: Table
    data: Any  # a pyarrow.Table
    fast: bool
    statement: str

    @cached_property
    def upsert(self) -> str:
        """The upsert path's statement for `data`'s columns."""
        return self.statement if not self.fast else statements.upsert(self.table, self.shape)

    @property
    def shape(self) -> dict[str, str | None]:
        return statements.shape(self.data.schema)

    def again(self, chunk: Any) -> Statement:
        """What `chunk`'s transaction runs when it runs again (it may have
        committed already): the upsert, which writes nothing twice."""
        return Statement(
            self.upsert,
            {"c": {name: statements.wire(chunk.column(name)) for name in chunk.column_names}},
        )

    def first(self, chunk: Any) -> Attempts:
        """`chunk`'s statement, and the one a repeated run takes instead."""
        return Attempts(
            Statement(self.statement, self.params(chunk)),
            (lambda: self.again(chunk)) if self.fast else None,
        )

    def params(self, chunk: Any) -> dict[str, Any]:
        """The statement's parameters for `chunk`, some of `data`'s rows."""
        if self.fast:
            return statements.create_params(self.table, chunk)
        return {"c": {name: statements.wire(chunk.column(name)) for name in chunk.column_names}}

    def pair_batches(self, chunk: Any, size: int) -> list[tuple[str, dict[str, Any]]]:
        """On the create path, the statements merging the pairs `chunk`
        implies (the upsert merges them itself), in batches of `size`."""
        if not self.fast:
            return []
        out: list[tuple[str, dict[str, Any]]] = []
        for pair in self.table.pairs:
            both = statements.pair_columns(pair, chunk)
            out += [
                (
                    statements.pairs(pair),
                    {
                        "c": {
                            k: both.column(k).slice(s, size).to_pylist() for k in both.column_names
                        }
                    },
                )
                for s in range(0, both.num_rows, size)
            ]
        return out


def prepare(
    driver: Driver, name: str, rows: Rows, database: str, absent: Collection[str] = ()
) -> Writes:
    """Shape `rows` of table `name` and choose its path (`absent`: tables the
    caller found absent from the graph before it began writing them part by
    part, each part's keys new: the create path stays open to every part)."""
    table = SPECS[name]
    data = columns(table, rows)
    fast = (
        bool(data.num_rows)
        and _all_new(table, data)
        and (name in absent or _absent(driver, table, database))
    )
    make = statements.create if fast else statements.upsert
    return Writes(table, data, fast, make(table, statements.shape(data.schema)))


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
            t.nodes_created
            or t.relationships_created
            or t.relationships_deleted
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
    absent: Collection[str] = (),
) -> LoadReport:
    """Upsert every given table, in dependency order (`progress` hears each
    phase's name before it starts; `server` names Neo4j in errors, e.g.
    "Neo4j at bolt://...").

    The reference tables go table by table. The household tables
    (graph.model: phase "household") and the lifecycle `steps`
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
    grouped = [n for n in names if SPECS[n].phase == "household"]
    phases: list[tuple[str, list[str]]] = [(n, [n]) for n in names if SPECS[n].phase == "reference"]
    if grouped or steps:
        phases.append(("households", grouped))
    phases += [(n, [n]) for n in names if SPECS[n].phase == "after"]
    for done, (phase, members) in enumerate(phases):
        if progress is not None:
            progress(f"{phase} ({done + 1} of {len(phases)} steps)")
        try:
            if phase == "households" and members is grouped:
                household_load.write(
                    driver,
                    {n: tables[n] for n in grouped},
                    steps,
                    database,
                    writers,
                    transaction_rows or household_load.DEFAULT_TRANSACTION_ROWS,
                    report,
                    report.steps,
                    absent,
                )
            else:
                report.tables[phase] = load_table(
                    driver, phase, tables[phase], database, batch_size, writers, absent
                )
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
    absent: Collection[str] = (),
) -> TableReport:
    """Write one table batch by batch: on the create path `writers` at a
    time, then its pairs; on the upsert path one at a time."""
    report = TableReport()
    started = time.perf_counter()
    writes = prepare(driver, name, rows, database, absent)
    data = writes.data
    report.rows = data.num_rows
    if data.num_rows:
        slices = (
            _slices(data.num_rows, batch_size, writers)
            if writes.fast
            else [(s, batch_size) for s in range(0, data.num_rows, batch_size)]
        )
        _run_all(
            driver,
            (writes.first(data.slice(s, n)) for s, n in slices),
            database,
            writers if writes.fast else 1,
            report,
        )
        _run_all(
            driver,
            (Attempts(Statement(*b)) for b in writes.pair_batches(data, batch_size)),
            database,
            1,
            report,
        )
    report.seconds = time.perf_counter() - started
    return report


def upsert_statement(name: str, rows: Rows) -> tuple[LiteralString, dict[str, Any]]:
    """The upsert of a few rows as one statement and its parameters, for
    callers with their own (e.g. async) driver."""
    table = SPECS.get(name)
    if table is None:
        raise GraphInputError(f"unknown table {name!r}: the loader takes {', '.join(ORDER)}.")
    data = columns(table, rows)
    return (
        statements.upsert(table, statements.shape(data.schema)),
        {"c": {c: statements.wire(data.column(c)) for c in data.column_names}},
    )


def last_load_at(driver: Driver, database: str = "neo4j") -> datetime | None:
    """When `load` last finished, for `--since` style incremental pulls."""
    records = driver.execute_query(
        "MATCH (m:LoadMark {name: 'last_load'}) RETURN m.at AS at",
        database_=database,
        routing_=RoutingControl.READ,
    ).records
    if not records:
        return None
    at = records[0]["at"]
    return at.to_native() if hasattr(at, "to_native") else None


def columns(spec: Table, rows: Rows) -> Any:
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
        _check_key(
            spec,
            name,
            table.column(name),
            f"every {spec.name} row links to its "
            f"{name.removesuffix('_id').removesuffix('_code')}, so it must be set.",
        )
    for i, name in enumerate(table.column_names):
        col = table.column(i)
        fixed = _fixed(spec, name, col, table)
        if fixed is not col:
            table = table.set_column(i, name, fixed)
    for name in spec.lists:
        if name not in table.column_names:
            table = table.append_column(name, _empty_lists(table.num_rows))
    if spec.tokens_of and "name_tokens" not in table.column_names:
        full = table.column(spec.tokens_of) if spec.tokens_of in table.column_names else None
        tokens = pc.utf8_lower(full) if full is not None else pa.nulls(table.num_rows, pa.string())
        table = table.append_column("name_tokens", tokens)
    if given is not None and given.null_count == 0:  # the caller's content hash
        return table.append_column("row_hash", pc.cast(given, pa.string()).combine_chunks())
    return table.append_column("row_hash", pa.array(_hashes(spec, table), pa.string()))


def _from_rows(spec: Table, rows: list[Row]) -> Any:
    wanted = [
        *spec.keys,
        *(c for c in spec.properties + spec.link_columns if any(c in r for r in rows)),
    ]
    return pa.table({c: pa.array([_plain(r.get(c)) for r in rows]) for c in wanted})


def _check_key(spec: Table, key: str, col: Any, why: str = "") -> None:
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


def _fixed(spec: Table, name: str, col: Any, table: Any) -> Any:
    """One column as the statements want it (see `columns`)."""
    if pa.types.is_decimal(col.type):
        return pc.cast(col, pa.float64())
    if name in spec.lists:
        if pa.types.is_null(col.type):
            return _empty_lists(len(col))
        return pc.fill_null(col, pa.scalar([], col.type))
    if name == "name_tokens" and spec.tokens_of:
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), " ")
        elif not pa.types.is_string(col.type):
            col = pc.cast(col, pa.string())
        if spec.tokens_of in table.column_names:
            blank = pc.fill_null(pc.equal(col, ""), True)
            col = pc.if_else(
                blank, pc.utf8_lower(pc.cast(table.column(spec.tokens_of), pa.string())), col
            )
    return col


def _empty_lists(n: int) -> Any:
    return pa.array([[] for _ in range(n)], pa.list_(pa.string()))


def _hashes(spec: Table, table: Any) -> list[str]:
    """A content hash per row over the stored columns and the links, computed
    column-wise (each value as text, null distinct from empty)."""
    parts = []
    for name in spec.properties + spec.link_columns:
        if name not in table.column_names:
            parts.append(pa.nulls(table.num_rows, pa.string()))
            continue
        col = table.column(name)
        if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
            col = pc.binary_join(pc.cast(col, pa.list_(pa.string())), "\x1f")
        parts.append(pc.cast(col, pa.string()))
    if not parts:
        return ["" for _ in range(table.num_rows)]
    joined = pc.binary_join_element_wise(
        *parts, "\x1e", null_handling="replace", null_replacement="\x00"
    )
    blake = hashlib.blake2b
    return [blake(text.encode(), digest_size=10).hexdigest() for text in joined.to_pylist()]


def _all_new(spec: Table, table: Any) -> bool:
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


def _absent(driver: Driver, table: Table, database: str) -> bool:
    records = driver.execute_query(statements.target(table), database_=database).records
    return int(records[0]["c"]) == 0


def absent_tables(driver: Driver, names: Iterable[str], database: str = "neo4j") -> set[str]:
    """The tables of `names` of which the graph holds nothing yet: a load that
    writes them part by part passes these to each part's `load(absent=...)`."""
    return {name for name in names if _absent(driver, SPECS[name], database)}


def _slices(rows: int, batch_size: int, writers: int) -> list[tuple[int, int]]:
    """(start, length) of batches of at most `batch_size` rows, lengths within
    one of each other, their number a multiple of `writers` (when there are
    rows enough) so that no writer idles at the end."""
    count = -(-rows // max(batch_size, 1))
    if writers > 1 and count > 1:
        count = min(-(-count // writers) * writers, rows)
    bounds = [i * rows // count for i in range(count + 1)] if count else [0]
    return list(zip(bounds, (b - a for a, b in itertools.pairwise(bounds)), strict=False))


def pipelined(work: Callable[[T], R], items: Iterable[T], writers: int) -> Iterator[R]:
    """`work(item)` for each item, `writers` at a time, the results in order.
    The items are made (parameters built) while earlier ones run, at most two
    per writer waiting, so Python's shaping overlaps the server's writing."""
    writers = max(writers, 1)
    with ThreadPoolExecutor(max_workers=writers) as pool:
        waiting: deque[Future[R]] = deque()
        try:
            for item in items:
                waiting.append(pool.submit(work, item))
                if len(waiting) >= 2 * writers:
                    yield waiting.popleft().result()
            while waiting:
                yield waiting.popleft().result()
        except BaseException:
            # the items not started yet would each retry a dead server in turn
            for f in waiting:
                f.cancel()
            raise


def _run_all(
    driver: Driver,
    batches: Iterable[Attempts],
    database: str,
    writers: int,
    report: TableReport,
) -> None:
    """Run each batch as a transaction, `writers` at a time (see `pipelined`),
    and add up what they wrote."""

    def run(batch: Attempts) -> Any:
        attempt = 0

        def work(tx: ManagedTransaction) -> Any:
            nonlocal attempt
            attempt += 1
            statement = batch.statement(attempt)
            return tx.run(statement.text, statement.params).consume().counters

        return write_transaction(driver, database, work)

    for c in pipelined(run, batches, writers):
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
    "Attempts",
    "LoadReport",
    "Row",
    "Rows",
    "Statement",
    "TableReport",
    "Writes",
    "columns",
    "last_load_at",
    "load",
    "load_table",
    "pipelined",
    "prepare",
    "upsert_statement",
    "write_transaction",
]
