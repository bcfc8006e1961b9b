"""Keeping the graph equal to the linkage output, sending only what changed.

`hub load` asks linkage for its output (linkage.output: every loader table,
plus the retired person and household ids), built in DuckDB. Each row
gets a 64-bit content hash, computed in DuckDB. What the last successful load
sent is kept in DuckDB too (`graph_load_state`: table, key, hash), so:

- a row whose key and hash were loaded before is not sent to Neo4j at all;
  an unchanged reload sends nothing;
- a key that was loaded before and is gone now names a row to remove from
  the graph (a withdrawn record's SourceRecord and its staged services,
  match evidence and enrolments that no longer hold, see graph.lifecycle);
- retired ids (merged into a survivor, or all records withdrawn) are retired
  in the graph, their facts moved to the survivor.

The state belongs to one graph: the graph's LoadMark carries a token that
the state also records. When they differ (a new or wiped Neo4j, another
database) everything is sent, the loader's own per-row hashes keep that
cheap, and records withdrawn in staging are dropped from the graph.

Erasure (hub.erasure) queues what the graph must lose in DuckDB
(`graph_erasure_pending`), in the transaction that erases it from staging,
and drops its keys from the state; the queue is drained at once, and again by
every later erasure and load, so a graph that was down catches up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb
import pyarrow as pa
from neo4j import Driver

from graph import (
    DROPPABLE,
    SPECS,
    LoadReport,
    Step,
    TableReport,
    absent_tables,
    begin_generation,
    drop_step,
    erase_in_graph,
    load,
    load_token,
    publish_generation,
    retire_step,
    set_load_token,
)
from hub.load_facts import load_facts
from journal import Journal, NewFact, kinds
from linkage import RETIRED, output_queries

_STATE_DDL: Final[str] = """
CREATE TABLE IF NOT EXISTS graph_load_state (tbl VARCHAR, key VARCHAR, row_hash UBIGINT);
CREATE TABLE IF NOT EXISTS graph_load_mark (graph_id VARCHAR, loaded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS graph_load_generation (token VARCHAR);
"""

_SEP: Final[str] = "chr(31)"

_PENDING_DDL: Final[str] = """
CREATE TABLE IF NOT EXISTS graph_erasure_pending (
    kind VARCHAR, id VARCHAR, queued_at TIMESTAMP DEFAULT now(), PRIMARY KEY (kind, id));
"""

#: what a pending graph erasure names: kind -> the parameter of graph.erasure.erase
_PENDING_KINDS: Final[dict[str, str]] = {
    "record": "record_keys",
    "person": "persons",
    "household": "households",
    "service_request": "service_requests",
}


#: Rows of the household tables one part of a load sends at most. A part
#: holds whole households (each household's rows, of every table, are in one
#: part) and is built into Arrow in the hub's memory, then planned into
#: transactions (graph.household_load): a province's first load sends ~13M
#: such rows for 5M records, which as one part took 15 GB and was killed.
PART_ROWS: Final[int] = 500_000


@dataclass
class Plan:
    """What one load sends: changed rows per loader table (kept in DuckDB,
    `_send_<table>`, until each part is sent: `sent_rows` counts them), gone
    keys per table, and the retired ids; `known` is False when the state did
    not belong to this graph (everything is sent)."""

    con: duckdb.DuckDBPyConnection | None = None
    sent_rows: dict[str, int] = field(default_factory=dict)
    gone: dict[str, list[Any]] = field(default_factory=dict)
    retired: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    known: bool = False
    rows: int = 0

    @property
    def sent(self) -> int:
        return sum(self.sent_rows.values())

    def table(self, name: str, where: str = "true") -> pa.Table:
        """The changed rows of table `name` (those `where` keeps), in key order."""
        assert self.con is not None
        # the relational API, not execute(): no extra copy of the rows (every
        # execute() result on this connection is fetched whole, see fetchall below)
        return self.con.sql(
            f"SELECT * EXCLUDE (_key, _part) FROM _send_{name} WHERE {where} ORDER BY _key"
        ).to_arrow_table()

    @property
    def tables(self) -> dict[str, pa.Table]:
        """Every changed row, in memory (the facts of a load whose graph is
        known are derived from them: a month's changes, not a province)."""
        return {name: self.table(name) for name in self.sent_rows}


def _key(name: str) -> str:
    keys = SPECS[name].keys if name in SPECS else ("id",)
    if len(keys) == 1:
        return f"CAST(q.{keys[0]} AS VARCHAR)"
    return "concat_ws(" + _SEP + ", " + ", ".join(f"q.{k}" for k in keys) + ")"


def _part(name: str) -> str:
    """A row's part key: its household (a household table's rows; none: the
    last part), else none (the reference and "after" tables go whole or by rows)."""
    if name in SPECS and SPECS[name].phase == "household":
        return "c.household_id"
    return "NULL::VARCHAR"


def plan(
    con: duckdb.DuckDBPyConnection, token: str | None, progress: Callable[[str], None] | None = None
) -> Plan:
    """Build every table with its hashes and compare with the state of the
    graph whose token is `token`."""
    con.execute(_STATE_DDL)
    queries = output_queries(con)
    marks = con.execute("SELECT graph_id FROM graph_load_mark").fetchall()
    out = Plan(con, known=token is not None and [(token,)] == marks)
    for name, sql in queries.items():
        if progress:
            progress(name)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _gs_{name} AS "
            f"SELECT q.*, {_key(name)} AS _key, hash(q) AS _hash FROM ({sql}) q"
        )
        out.rows += _count(con, f"_gs_{name}")
        rows = (
            f"SELECT * EXCLUDE (_key, _hash), CAST(_hash AS VARCHAR) AS row_hash, c._key,"
            f" {_part(name)} AS _part FROM _gs_{name} c"
        )
        if out.known:
            rows += (
                " ANTI JOIN (SELECT key, row_hash FROM graph_load_state WHERE tbl = "
                f"'{name}') s ON s.key = c._key AND s.row_hash = c._hash"
            )
            gone = con.execute(
                "SELECT key FROM graph_load_state WHERE tbl = $t "
                f"AND key NOT IN (SELECT _key FROM _gs_{name}) ORDER BY key",
                {"t": name},
            ).fetchall()
            if gone and name in DROPPABLE:
                split = len(SPECS[name].keys) > 1
                out.gone[name] = [k.split("\x1f") if split else k for (k,) in gone]
        if name in RETIRED:
            table = con.sql(rows + " ORDER BY c._key").to_arrow_table()
            kept = table.drop_columns(["row_hash", "_key", "_part"])
            out.retired[RETIRED[name]] = kept.to_pylist()
        else:
            # a load into a graph whose state is unknown sends every row: a view
            # of the built table, not a second copy of the province in memory
            if out.known:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _changed_{name} AS {rows}")
                rows = f"SELECT * FROM _changed_{name}"
            con.execute(f"CREATE OR REPLACE TEMP VIEW _send_{name} AS {rows}")
            out.sent_rows[name] = _count(con, f"_send_{name}")
    if not out.known:  # no state for this graph: drop every withdrawn record
        out.gone["source_records"] = [
            k
            for (k,) in con.execute(
                "SELECT record_key FROM records WHERE valid_to IS NULL AND status = 'withdrawn' "
                "ORDER BY 1"
            ).fetchall()
        ]
    return out


def commit(con: duckdb.DuckDBPyConnection, token: str) -> None:
    """Record what is now in the graph whose token is `token`."""
    names = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE temporary "
            "AND table_name LIKE '\\_gs\\_%' "
            "ESCAPE '\\'"
        ).fetchall()
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM graph_load_state")
        for table in names:
            con.execute(
                f"INSERT INTO graph_load_state SELECT $t, _key, _hash FROM {table}",
                {"t": table.removeprefix("_gs_")},
            )
        con.execute("DELETE FROM graph_load_mark")
        con.execute("INSERT INTO graph_load_mark VALUES ($t, now())", {"t": token})
        con.execute("DELETE FROM graph_load_generation")  # the next load is a new one
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def sync(
    con: duckdb.DuckDBPyConnection,
    driver: Driver,
    database: str = "neo4j",
    progress: Callable[[str], None] | None = None,
    server: str = "Neo4j",
    journal: Journal | None = None,
    transaction_rows: int | None = None,
    part_rows: int = PART_ROWS,
) -> LoadReport:
    """Make the graph equal the linkage output: upsert what changed, retire
    merged and withdrawn ids, drop gone rows, a whole household per
    transaction (graph.household_load); then publish the load's generation
    (graph.generation), append what the load changed about identities to the
    journal (hub.load_facts) and record the new state."""
    drain_erasures(con, driver, database)  # erasures the graph missed, first
    token = load_token(driver, database)
    todo = plan(con, token, progress)
    facts = kept_facts(con, load_facts(con, driver, database, todo)) if journal is not None else []
    if progress:
        progress("write")
    generation = begin_generation(driver, generation_token(con), database)
    # persons first: merged ones leave households before those are retired
    steps = [
        retire_step(driver, entity, todo.retired.get(entity, []), database)
        for entity in ("person", "household")
    ]
    steps += [drop_step(driver, table, keys, database) for table, keys in todo.gone.items()]
    report = send(driver, todo, steps, database, progress, server, transaction_rows, part_rows)
    report.rows_built, report.rows_sent = todo.rows, todo.sent
    report.retired = sum(len(v) for v in todo.retired.values())
    report.merged = sum(report.steps.get(f"retire {e}", 0) for e in ("person", "household"))
    report.dropped = sum(n for k, n in report.steps.items() if k.startswith("drop "))
    if not todo.known:  # a new token: another home's state never matches this graph's
        token = uuid.uuid4().hex
        set_load_token(driver, token, database)
    publish_generation(
        driver,
        generation,
        {
            "rows_sent": report.rows_sent,
            "rows_built": report.rows_built,
            "retired": report.retired,
            "merged": report.merged,
            "dropped": report.dropped,
            "written": report.entities_written,
        },
        database,
    )
    if journal is not None:
        journal.append(
            [
                *facts,
                NewFact(
                    kinds.LOAD_PUBLISHED,
                    {
                        "generation": generation,
                        "rows_sent": report.rows_sent,
                        "retired": report.retired,
                        "merged": report.merged,
                        "dropped": report.dropped,
                    },
                ),
            ]
        )
        con.execute("DELETE FROM graph_pending_facts")  # the journal has them now
    commit(con, str(token))
    return report


def send(
    driver: Driver,
    todo: Plan,
    steps: Sequence[Step],
    database: str = "neo4j",
    progress: Callable[[str], None] | None = None,
    server: str = "Neo4j",
    transaction_rows: int | None = None,
    part_rows: int = PART_ROWS,
) -> LoadReport:
    """Write what `todo` sends. When its household tables hold at most `part_rows` rows
    (and each "after" table too), as one `graph.load` (a reader sees each household
    whole before or after the load). Else in parts, so the hub's memory holds one part
    at a time: the reference tables; then the household tables by parts of whole
    households (a household's rows by the hash of its id, in DuckDB), the lifecycle
    steps in the last part, after every row of every part (one load runs a step after
    the rows of its households and of any row moving out of them: a member leaving a
    merged household must be gone before the merge carries what its records open to the
    survivor); then the "after" tables (match evidence, between records) by parts of
    about `part_rows` rows (by the hash of each row's key). The tables the graph holds
    nothing of keep the create path in every part. A person moving between two
    households of different parts is written with the household it joins, and the one it
    leaves in its own part's transaction."""
    con = todo.con
    assert con is not None
    phase = {name: SPECS[name].phase for name in todo.sent_rows}
    grouped = [n for n in todo.sent_rows if phase[n] == "household"]
    after = [n for n in todo.sent_rows if phase[n] == "after"]
    parts = -(-sum(todo.sent_rows[n] for n in grouped) // max(part_rows, 1))
    whole = parts <= 1 and all(todo.sent_rows[n] <= part_rows for n in after)
    absent: set[str] = set()  # set below for a load in parts

    def write(tables: dict[str, pa.Table], placed: Sequence[Step] = ()) -> LoadReport:
        return load(
            driver,
            tables,
            database,
            progress=progress,
            server=server,
            steps=placed,
            transaction_rows=transaction_rows,
            absent=absent,
        )

    if whole:
        return write(todo.tables, steps)
    parts = max(parts, 1)
    # the create path for a table the graph holds nothing of, when no key repeats
    # across the parts (each part checks its own rows; a repeat takes the upsert)
    absent = absent_tables(
        driver, [n for n in todo.sent_rows if todo.sent_rows[n] and _unique(con, n)], database
    )
    report = write({n: todo.table(n) for n in todo.sent_rows if phase[n] == "reference"})
    for part in range(parts):
        if progress:
            progress(f"households, part {part + 1} of {parts}")
        where = _in_part(part, parts)
        last = part == parts - 1
        _add(report, write({n: todo.table(n, where) for n in grouped}, steps if last else ()))
    for name in after:  # by the hash of each row's key: one pass each, no sort of the whole
        pieces = -(-todo.sent_rows[name] // max(part_rows, 1))
        for piece in range(pieces):
            if progress:
                progress(f"{name}, part {piece + 1} of {pieces}")
            where = f"hash(_key) % {pieces} = {piece}"
            _add(report, write({name: todo.table(name, where)}))
    return report


def _in_part(part: int, parts: int) -> str:
    """The rows of part `part` of `parts` (of a `_send_` table): their
    household's hash; rows of no household in the last part."""
    return f"(CASE WHEN _part IS NULL THEN {parts - 1} ELSE hash(_part) % {parts} END) = {part}"


def _unique(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether no key repeats in the rows of table `name` a load sends."""
    [(unique,)] = con.execute(
        f"SELECT count(*) = count(DISTINCT _key) FROM _send_{name}"
    ).fetchall()
    return bool(unique)


def _add(report: LoadReport, part: LoadReport) -> None:
    """Add one part's counts to the load's report."""
    for name, table in part.tables.items():
        into = report.tables.setdefault(name, TableReport())
        for attribute in vars(table):
            setattr(into, attribute, getattr(into, attribute) + getattr(table, attribute))
    for name, count in part.steps.items():
        report.steps[name] = report.steps.get(name, 0) + count


def recorded_token(con: duckdb.DuckDBPyConnection) -> str | None:
    """The token of the graph the last recorded load went to (see `commit`), or
    None when no load was recorded here."""
    con.execute(_STATE_DDL)
    rows = con.execute("SELECT graph_id FROM graph_load_mark").fetchall()
    return str(rows[0][0]) if rows else None


def generation_token(con: duckdb.DuckDBPyConnection) -> str:
    """The token of this load's generation (graph.generation.begin): the one a
    load that did not finish took, kept until `commit`, else a new one. A load
    re-run after it stopped (or whose `begin` ran twice) thus names the same
    generation and makes no second one."""
    con.execute(_STATE_DDL)
    kept = con.execute("SELECT token FROM graph_load_generation").fetchall()
    if kept:
        return str(kept[0][0])
    token = uuid.uuid4().hex
    con.execute("INSERT INTO graph_load_generation VALUES ($t)", {"t": token})
    return token


def kept_facts(con: duckdb.DuckDBPyConnection, fresh: Sequence[NewFact]) -> list[NewFact]:
    """The facts a load that did not finish derived, then `fresh`; all kept in
    staging (`graph_pending_facts`) until the journal has them. A load killed
    between its graph writes and its journal append would otherwise lose them:
    the re-run derives from a graph that already holds the new state. Their
    keys make appending one twice harmless."""
    con.execute("CREATE TABLE IF NOT EXISTS graph_pending_facts (n BIGINT, fact VARCHAR)")
    old = [
        NewFact.from_json(str(r[0]))
        for r in con.execute("SELECT fact FROM graph_pending_facts ORDER BY n").fetchall()
    ]
    if fresh:
        con.executemany(
            "INSERT INTO graph_pending_facts VALUES (?, ?)",
            [(len(old) + i, f.to_json()) for i, f in enumerate(fresh)],
        )
    return [*old, *fresh]


def queue_erasure(
    con: duckdb.DuckDBPyConnection,
    *,
    record_keys: Sequence[str],
    persons: Sequence[str],
    households: Sequence[str],
    service_requests: Sequence[str] = (),
) -> None:
    """Remember that these records, people and households (and web-form
    service requests their applicant typed) must go from the graph, and forget
    that they were loaded. Runs in the caller's transaction
    (the one erasing them from staging), so a graph that is down when they are
    erased is cleaned by the next `drain_erasures` (hub erase, hub retention
    apply, hub load)."""
    con.execute(_STATE_DDL + _PENDING_DDL)
    for kind, ids in (
        ("record", record_keys),
        ("person", persons),
        ("household", households),
        ("service_request", service_requests),
    ):
        con.execute(
            "INSERT INTO graph_erasure_pending (kind, id) SELECT $k, unnest($i)"
            " ON CONFLICT DO NOTHING",
            {"k": kind, "i": list(ids)},
        )
    everything = [*record_keys, *persons, *households]
    # a key of the state may join two record keys (match evidence)
    con.execute(
        f"DELETE FROM graph_load_state WHERE list_has_any(string_split(key, {_SEP}),"
        " $ids::VARCHAR[])",
        {"ids": everything},
    )


def drain_erasures(
    con: duckdb.DuckDBPyConnection, driver: Driver, database: str = "neo4j"
) -> dict[str, int]:
    """Erase from the graph everything queued by `queue_erasure`, then clear
    the queue; counts deleted per kind."""
    con.execute(_PENDING_DDL)
    rows = con.execute(
        "SELECT kind, list(id ORDER BY id) FROM graph_erasure_pending GROUP BY kind"
    ).fetchall()
    if not rows:
        return {}
    todo: dict[str, list[str]] = {param: [] for param in _PENDING_KINDS.values()}
    for kind, ids in rows:
        todo[_PENDING_KINDS[kind]] = list(ids)
    counts = erase_in_graph(driver, database, **todo)
    for kind, ids in rows:  # only what was drained: a concurrent erasure keeps its own
        con.execute(
            "DELETE FROM graph_erasure_pending WHERE kind = $k AND id IN (SELECT unnest($i))",
            {"k": kind, "i": list(ids)},
        )
    return counts


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    [(n,)] = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(n)


__all__ = ["Plan", "commit", "drain_erasures", "plan", "queue_erasure", "sync"]
