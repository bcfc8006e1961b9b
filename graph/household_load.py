"""The household tables written a whole household per transaction.

`loader.load` writes the reference tables table by table, then hands the
household tables (`HOUSEHOLD_TABLES`) and the lifecycle steps (graph.lifecycle)
here: every transaction holds whole households (graph.transactions) and runs,
for them, each table's statement and then each step, so a reader sees a
household either before or after the load, never half of it. Transactions
run `writers` at a time; the rows that touch no household follow after all
of them.

Where a row lands: its `household_id` (for a SourceRecord, its person's,
which the caller passes as an extra `household_id` column) and, when the
table is upserted into a graph that has it already, the household the graph
holds it in now (so a move is one transaction for both households).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
from neo4j import Driver, ManagedTransaction

from graph import loader as ld
from graph.lifecycle import households_now
from graph.model import HOUSEHOLD, TABLES
from graph.transactions import Step, Touched, plan_transactions, touched_by_lists

#: Tables whose rows belong to a household, written household by household.
HOUSEHOLD_TABLES: Final[tuple[str, ...]] = tuple(t.name for t in TABLES if t.phase == "household")

#: Rows (all tables and steps) per transaction, about: whole households each.
#: A transaction's state lives on the server's heap until it commits, and the
#: JVM's collector (ZGC, not generational on Java 17) marks it on every cycle:
#: a full load of 5,000 households spent ~5 s of the server's CPU collecting
#: at 12,000 rows, ~2 s at 4,000, ~9 s at 40,000. Smaller still adds commits.
DEFAULT_TRANSACTION_ROWS: Final[int] = 4_000

#: Seconds before retrying a transaction the server aborted (typically a
#: deadlock: two writers making the same shared node, an organization or a
#: program, dense at once). The driver's default, 1 s for a cluster's
#: failover, left both writers idle on every deadlock; here the other writer
#: has moved on by the next attempt.
RETRY_DELAY: Final[float] = 0.02


def household_column(rows: ld.Rows) -> Any:
    """The `household_id` the caller gave each row, or None."""
    if isinstance(rows, pa.Table):
        if "household_id" not in rows.column_names:
            return None
        return pc.cast(rows.column("household_id"), pa.string()).combine_chunks()
    values = [r.get("household_id") for r in rows]
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def write(
    driver: Driver,
    tables: Mapping[str, ld.Rows],
    steps: Sequence[Step],
    database: str,
    writers: int,
    transaction_rows: int,
    report: ld.LoadReport,
    step_counts: dict[str, int],
    absent: Collection[str] = (),
) -> None:
    """Write the household tables and run the steps, whole households per
    transaction (see the module's doc)."""
    work: dict[str, ld.Writes] = {}
    touched: dict[str, Touched] = {}
    for name in (n for n in ld.ORDER if n in tables and n in HOUSEHOLD_TABLES):
        given = household_column(tables[name])
        writes = ld.prepare(driver, name, tables[name], database, absent)
        report.tables[name] = ld.TableReport(rows=writes.data.num_rows)
        if not writes.data.num_rows:
            continue
        work[name] = writes
        touched[name] = _touched(driver, name, writes.data, given, writes.fast, database)
    for step in steps:
        if step.rows:
            touched[step.name] = touched_by_lists(step.households)
    plan = plan_transactions(touched, transaction_rows)
    by_name = {s.name: s for s in steps}

    def statements(txn: dict[str, Any]) -> list[_Statement]:
        out: list[_Statement] = []
        for name, rows in txn.items():
            if name in work:
                chunk = work[name].data.take(rows)
                out.append((name, work[name].first(chunk), None))
                out.extend(
                    (name, ld.Attempts(ld.Statement(statement, params)), None)
                    for statement, params in work[name].pair_batches(chunk, chunk.num_rows or 1)
                )
            else:
                step = by_name[name]
                rows_ = {"rows": [step.rows[i] for i in rows.to_pylist()]}
                out.append((name, ld.Attempts(ld.Statement(step.statement, rows_)), step.count))
        return out

    homed = [t for t in plan if _has_home(t, touched)]
    homeless = [t for t in plan if not _has_home(t, touched)]
    for batch in (homed, homeless):  # the homeless may name nodes of the homed ones
        for results in _run(driver, (statements(t) for t in batch), database, writers):
            for name, counters, count, seconds in results:
                if name in work:
                    tr = report.tables[name]
                    tr.nodes_created += counters.nodes_created
                    tr.relationships_created += counters.relationships_created
                    tr.relationships_deleted += counters.relationships_deleted
                    tr.properties_set += counters.properties_set
                    tr.seconds += seconds
                else:
                    step_counts[name] = step_counts.get(name, 0) + (
                        count
                        if count is not None
                        else counters.nodes_deleted + counters.relationships_deleted
                    )


def _touched(
    driver: Driver, name: str, table: Any, given: Any, fast: bool, database: str
) -> Touched:
    spec = ld.SPECS[name]
    own = spec.node == HOUSEHOLD  # a household's row lands in itself
    if own or HOUSEHOLD.key in table.column_names:
        primary = pc.cast(
            table.column(spec.keys[0] if own else HOUSEHOLD.key), pa.string()
        ).combine_chunks()
    elif given is not None:
        primary = given
    else:
        primary = pa.nulls(table.num_rows, pa.string())
    also: dict[int, list[str]] = {}
    if not fast and len(spec.keys) == 1:  # where the graph holds these rows now
        keys = table.column(spec.keys[0]).to_pylist()
        position = {k: i for i, k in enumerate(keys)}
        now = {position[k]: hh for k, hh in households_now(driver, name, keys, database).items()}
        firsts = primary.to_pylist()
        fill = list(firsts)
        for i, old in now.items():
            if firsts[i] is None and old:
                fill[i] = old[0]
            others = [h for h in old if h != fill[i]]
            if others:
                also[i] = others
        if fill != firsts:
            primary = pa.array(fill, pa.string())
    return Touched(primary, also)


def _has_home(txn: dict[str, Any], touched: Mapping[str, Touched]) -> bool:
    name, rows = next(iter(txn.items()))
    return bool(touched[name].primary[rows[0].as_py()].is_valid)


_Result = list[tuple[str, Any, int | None, float]]
#: one statement of a household transaction: (table or step name, the
#: statement and what a repeated run takes instead, the column to sum or None)
_Statement = tuple[str, ld.Attempts, str | None]


def _run(
    driver: Driver,
    batches: Iterator[list[_Statement]],
    database: str,
    writers: int,
) -> Iterator[_Result]:
    """Run each batch of statements as one transaction, `writers` at a time
    (see `loader.pipelined`); a transaction that runs again runs each
    statement's `again` (see `loader.Attempts`)."""

    def run(batch: list[_Statement]) -> _Result:
        attempt = 0

        def work(tx: ManagedTransaction) -> _Result:
            nonlocal attempt
            attempt += 1
            out: _Result = []
            for name, attempts, count in batch:
                started = time.perf_counter()
                statement = attempts.statement(attempt)
                result = tx.run(statement.text, statement.params)
                total = sum(int(r[count]) for r in result) if count else None
                out.append((name, result.consume().counters, total, time.perf_counter() - started))
            return out

        # initial_retry_delay is a session option the driver marks unsupported:
        # a driver that drops it refuses the session, which every load test shows
        return ld.write_transaction(driver, database, work, initial_retry_delay=RETRY_DELAY)

    return ld.pipelined(run, batches, writers)


__all__ = ["DEFAULT_TRANSACTION_ROWS", "HOUSEHOLD_TABLES", "household_column", "write"]
