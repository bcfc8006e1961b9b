"""`run_linkage`: staged records in, stable person and household ids out.

current_records ─ standardise ─▶ linkage_records
    ─ Splink (duckdb | spark) ─▶ linkage_pairs   (pairs above the review band)
    ─ review decisions, clustering ─▶ people ─ households ─▶ stable-id registry
    ─▶ identity_map, link_evidence, review_queue
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from linkage._sql import scalar, table_exists
from linkage.components import cluster, drop_ambiguous_links
from linkage.context import link_in_household
from linkage.engine import LinkageEngine, SparkOptions, make_engine
from linkage.errors import NoStagedRecordsError
from linkage.explain import write_link_evidence
from linkage.gazetteer import ensure_gazetteer
from linkage.households import group_households
from linkage.model import (
    MODEL_INPUT,
    NAMES_AGREE_SQL,
    TF_COLUMNS,
    SavedModel,
    latest_model,
    load_model,
    save_model,
    train_person_model,
)
from linkage.registry import IdAllocator, assign_stable_ids, ensure_registry_tables
from linkage.review import ensure_review_tables

__all__ = [
    "STEPS",
    "LinkSummary",
    "LinkageSettings",
    "Progress",
    "StageClock",
    "StageTime",
    "Standardiser",
    "run_linkage",
    "score_pairs",
]

Progress = Callable[[str], None]
Standardiser = Callable[[duckdb.DuckDBPyConnection, str, str], None]

#: The steps `run_linkage` reports to `progress`, in order ("train" only when it trains).
STEPS: tuple[str, ...] = (
    "standardise",
    "model input",
    "train",
    "predict",
    "link evidence",
    "cluster people",
    "group households",
    "household context",
    "assign stable ids",
    "write identities",
    "review queue",
)

RECORDS = "linkage_records"

_log = logging.getLogger("linkage.pipeline")


@dataclass(frozen=True)
class StageTime:
    """One step of a run: wall seconds, and CPU seconds of the whole process
    (every DuckDB thread; far below wall time when the machine is busy)."""

    step: str
    seconds: float
    cpu_seconds: float


class StageClock:
    """Times each step of one run: a step ends when the next starts.

    Called with a step's name as it starts (it forwards the name to `progress`);
    `finish` ends the last step and returns the steps in order. Each step is
    also logged (logger `linkage.pipeline`, INFO), so an office sees where a
    slow `hub link` spends its time.
    """

    def __init__(self, progress: Progress | None = None) -> None:
        self._progress = progress
        self._current: str | None = None
        self._started = (0.0, 0.0)
        self._times: dict[str, StageTime] = {}

    def __call__(self, name: str) -> None:
        self._stop()
        self._current, self._started = name, (time.perf_counter(), time.process_time())
        if self._progress is not None:
            self._progress(name)

    def _stop(self) -> None:
        if self._current is None:
            return
        wall = time.perf_counter() - self._started[0]
        cpu = time.process_time() - self._started[1]
        before = self._times.get(self._current, StageTime(self._current, 0.0, 0.0))
        self._times[self._current] = StageTime(
            self._current, before.seconds + wall, before.cpu_seconds + cpu
        )
        _log.info("hub link: %s took %.2f s (CPU %.2f s)", self._current, wall, cpu)
        self._current = None

    def finish(self) -> tuple[StageTime, ...]:
        self._stop()
        return tuple(self._times.values())


@dataclass(frozen=True)
class LinkageSettings:
    """Knobs for one linkage run. `engine` is 'duckdb' (default) or 'spark'
    (run as `spark` says: master, spark.* settings, Parquet staging)."""

    engine: str = "duckdb"
    spark: SparkOptions = field(default_factory=SparkOptions)
    link_threshold: float = 0.9
    #: pairs scored at or above this are kept, with their evidence (link_evidence)
    review_threshold: float = 0.5
    #: the clerk's queue holds pairs from here up to link_threshold: below it a
    #: pair is more often two family members than one person, and left unlinked
    queue_floor: float = 0.7
    u_max_pairs: float = 1e6
    seed: int = 42


@dataclass(frozen=True)
class LinkSummary:
    pairs: int
    clusters: int
    persons: int
    households: int
    merges: int
    splits: int
    review_open: int
    model_version: str = ""
    #: the time each step took, in the order they ran (STEPS)
    stages: tuple[StageTime, ...] = field(default=())


def run_linkage(
    con: duckdb.DuckDBPyConnection,
    model_dir: Path,
    progress: Progress | None = None,
    train: bool = False,
    *,
    settings: LinkageSettings | None = None,
    standardiser: Standardiser | None = None,
    engine: LinkageEngine | None = None,
    allocator: IdAllocator | None = None,
) -> LinkSummary:
    """Link every current record; a model is trained when `train` or none is saved yet.
    New ids come from `allocator` when given (see linkage.registry)."""
    settings = settings or LinkageSettings()
    step = StageClock(progress)
    require_staged_records(con)
    now = datetime.now(UTC).replace(tzinfo=None)

    step("standardise")
    standardise_records(con, standardiser)
    owned = engine is None
    engine = engine or make_engine(settings.engine, beside=con, spark=settings.spark)
    try:
        model, pairs = _predict(con, engine, Path(model_dir), train, settings, step)
    finally:
        if owned:
            engine.close()

    step("cluster people")
    ensure_review_tables(con)
    ensure_registry_tables(con)
    _cluster_people(con, settings)

    step("group households")
    group_households(con, RECORDS, "_person_clusters", "_household_clusters")
    step("household context")
    # records with only a name join the one member of their household they fit
    # (a person's records share one household, so households stand as grouped)
    if link_in_household(con, RECORDS, "_person_clusters", "_household_clusters"):
        con.execute(
            """INSERT INTO _link_edges
               SELECT record_key_l, record_key_r, 0.95 FROM context_links"""
        )

    step("assign stable ids")
    previous = _previous_ids(con)
    reason = f"hub link ({model.version})"
    people = assign_stable_ids(
        con,
        "person",
        "_person_clusters",
        "_previous_person",
        "_person_ids",
        now,
        reason,
        allocator,
    )
    households = assign_stable_ids(
        con,
        "household",
        "_household_clusters",
        "_previous_household",
        "_household_ids",
        now,
        reason,
        allocator,
    )

    step("write identities")
    _write_identity_map(con, model.version, now)
    if previous:
        _record_moves(con, now, reason)
    step("review queue")
    review_open = _refresh_review_queue(con, settings, now)
    return LinkSummary(
        pairs=pairs,
        clusters=scalar(con, "SELECT count(DISTINCT cluster_key) FROM _person_clusters"),
        persons=scalar(con, "SELECT count(DISTINCT person_id) FROM identity_map"),
        households=scalar(con, "SELECT count(DISTINCT household_id) FROM identity_map"),
        merges=people.merges + households.merges,
        splits=people.splits + households.splits,
        review_open=review_open,
        model_version=model.version,
        stages=step.finish(),
    )


def require_staged_records(con: duckdb.DuckDBPyConnection) -> None:
    if not table_exists(con, "current_records"):
        raise NoStagedRecordsError("the view current_records does not exist")
    if scalar(con, "SELECT count(*) FROM (SELECT 1 FROM current_records LIMIT 1)") == 0:
        raise NoStagedRecordsError("current_records is empty")


def standardise_records(
    con: duckdb.DuckDBPyConnection, standardiser: Standardiser | None = None
) -> None:
    from linkage.standardise.pipeline import standardise

    ensure_gazetteer(con)
    (standardiser or standardise)(con, "current_records", RECORDS)


def model_input(con: duckdb.DuckDBPyConnection, table: str = RECORDS) -> pa.Table:
    """The model's columns as Arrow, with empty strings turned into NULL."""
    return con.sql(model_input_sql(con, table)).to_arrow_table()


def model_input_sql(con: duckdb.DuckDBPyConnection, table: str = RECORDS) -> str:
    """SQL selecting the model's columns from standardised `table` (empty strings -> NULL)."""
    select = ", ".join(f"{expr} AS {name}" for name, expr in MODEL_INPUT.items())
    frame = f"SELECT {select} FROM {table}"
    kinds = con.execute(f"DESCRIBE {frame}").fetchall()
    cleaned = ", ".join(
        f"nullif(trim({name}), '') AS {name}" if kind == "VARCHAR" else str(name)
        for name, kind, *_ in kinds
    )
    return f"SELECT {cleaned} FROM ({frame})"


def _predict(
    con: duckdb.DuckDBPyConnection,
    engine: LinkageEngine,
    model_dir: Path,
    train: bool,
    settings: LinkageSettings,
    step: Progress,
) -> tuple[SavedModel, int]:
    """Score the candidate pairs; write `linkage_pairs` (narrow) and `link_evidence`."""
    from splink import Linker

    step("model input")
    records = engine.register_query(con, model_input_sql(con), "records")
    linker = None
    if train or latest_model(model_dir) is None:
        step("train")
        linker = train_person_model(
            lambda s: Linker(records, s, log_level=None),
            seed=settings.seed,
            max_pairs=settings.u_max_pairs,
        )
        model = save_model(linker, model_dir)
    else:
        model = load_model(model_dir)
    step("predict")
    # a model is saved in DuckDB's SQL: the engine reads it in its own
    scoring = engine.model_settings(model.settings)
    predictions = score_pairs(engine, records, scoring, settings.review_threshold, linker)
    engine.expose(predictions, con, "_scored_pairs")
    gammas = [
        str(c[0])
        for c in con.execute("DESCRIBE _scored_pairs").fetchall()
        if str(c[0]).startswith("gamma_")
    ]
    con.execute(
        f"""CREATE OR REPLACE TABLE linkage_pairs AS
            SELECT record_key_l, record_key_r, match_key, match_probability, match_weight,
                   {", ".join(gammas)}
            FROM _scored_pairs"""
    )
    step("link evidence")
    write_link_evidence(con, model.settings, settings.review_threshold, pairs="_scored_pairs")
    _drop_relation(con, "_scored_pairs")
    predictions.drop_table_from_database_and_remove_from_cache()
    return model, scalar(con, "SELECT count(*) FROM linkage_pairs")


def score_pairs(
    engine: LinkageEngine,
    records: Any,
    model_settings: dict[str, Any],
    threshold: float,
    linker: Any = None,
) -> Any:
    """Splink's scored pairs (all its columns) of `records` at `threshold` and up,
    blocked by the engine where it can (linkage.blocking); `linker`: one already
    made on `records` with these settings (training made it)."""
    from splink import Linker

    linker = linker or Linker(records, model_settings, log_level=None)
    for column in TF_COLUMNS:
        linker.table_management.compute_tf_table(column)
    rules = model_settings["blocking_rules_to_generate_predictions"]
    blocked = engine.blocked_pairs(records, rules)
    if blocked is not None:
        linker.table_management.register_blocked_pairs_for_predict(blocked)
    return linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")


def _drop_relation(con: duckdb.DuckDBPyConnection, name: str) -> None:
    kinds = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = $n", {"n": name}
    ).fetchall()
    if kinds:
        kind = "VIEW" if kinds[0][0] == "VIEW" else "TABLE"
        con.execute(f"DROP {kind} {name}")


def _cluster_people(con: duckdb.DuckDBPyConnection, settings: LinkageSettings) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE _nodes AS SELECT record_key AS node FROM {RECORDS}")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _link_edges AS
            SELECT p.record_key_l AS node_l, p.record_key_r AS node_r,
                   p.match_probability AS weight
            FROM linkage_pairs p
            WHERE p.match_probability >= {settings.link_threshold}
              AND {NAMES_AGREE_SQL}
              AND NOT EXISTS (
                SELECT 1 FROM review_decisions d WHERE d.decision = 'not_same'
                  AND d.record_key_l = least(p.record_key_l, p.record_key_r)
                  AND d.record_key_r = greatest(p.record_key_l, p.record_key_r))
            UNION ALL
            SELECT d.record_key_l, d.record_key_r, 2.0 FROM review_decisions d
            WHERE d.decision = 'same'
              AND d.record_key_l IN (SELECT node FROM _nodes)
              AND d.record_key_r IN (SELECT node FROM _nodes)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _cannot_link AS
           SELECT record_key_l AS node_l, record_key_r AS node_r FROM review_decisions
           WHERE decision = 'not_same'"""
    )
    drop_ambiguous_links(con, "_nodes", "_link_edges", "linkage_pairs", "_clear_edges", 0.99)
    cluster(con, "_nodes", "_clear_edges", "_person_nodes", cannot_link="_cannot_link")
    con.execute(
        """CREATE OR REPLACE TABLE _person_clusters AS
           SELECT node AS record_key, cluster_key FROM _person_nodes"""
    )


def _previous_ids(con: duckdb.DuckDBPyConnection) -> bool:
    exists = table_exists(con, "identity_map")
    for entity in ("person", "household"):
        source = (
            f"SELECT record_key, {entity}_id AS id FROM identity_map"
            if exists
            else "SELECT NULL::VARCHAR AS record_key, NULL::VARCHAR AS id WHERE false"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _previous_{entity} AS {source}")
    if exists:
        con.execute("CREATE OR REPLACE TEMP TABLE _previous_map AS SELECT * FROM identity_map")
    return bool(exists)


def _write_identity_map(con: duckdb.DuckDBPyConnection, model_version: str, now: datetime) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _record_probability AS
            WITH edges AS (
                SELECT node_l AS record_key, least(weight, 1.0) AS p FROM _link_edges
                UNION ALL SELECT node_r, least(weight, 1.0) FROM _link_edges)
            SELECT record_key, max(p) AS p FROM edges GROUP BY 1"""
    )
    # Lineage outlives the record: a record that is no longer current (withdrawn
    # by its source) keeps the ids it last had, so reports can still name the
    # person it was, e.g. when the civil registry drops someone who died.
    con.execute(
        """CREATE TABLE IF NOT EXISTS identity_retired (
               record_key VARCHAR PRIMARY KEY, source VARCHAR, source_record_id VARCHAR,
               person_id VARCHAR, household_id VARCHAR, retired_at TIMESTAMP)"""
    )
    if table_exists(con, "identity_map"):
        con.execute(
            f"""INSERT OR REPLACE INTO identity_retired
                SELECT m.record_key, m.source, m.source_record_id, m.person_id,
                       m.household_id, $now
                FROM identity_map m
                WHERE m.record_key NOT IN (SELECT record_key FROM {RECORDS})""",
            {"now": now},
        )
    con.execute(
        f"""CREATE OR REPLACE TABLE identity_map AS
            SELECT r.record_key, r.source, r.source_record_id,
                   pi.id AS person_id, hi.id AS household_id,
                   coalesce(rp.p, 1.0) AS match_probability,
                   $version AS model_version, $now AS linked_at
            FROM {RECORDS} r
            JOIN _person_clusters pc USING (record_key)
            JOIN _person_ids pi ON pi.cluster_key = pc.cluster_key
            JOIN _household_clusters hc USING (record_key)
            JOIN _household_ids hi ON hi.cluster_key = hc.cluster_key
            LEFT JOIN _record_probability rp USING (record_key)
            ORDER BY r.record_key""",
        {"version": model_version, "now": now},
    )


def _record_moves(con: duckdb.DuckDBPyConnection, now: datetime, reason: str) -> None:
    """A person who kept their id but changed household (both still active) moved."""
    first = scalar(con, "SELECT coalesce(max(event_id), 0) + 1 FROM identity_events")
    con.execute(
        f"""INSERT INTO identity_events
            WITH moved AS (
                SELECT DISTINCT n.person_id, o.household_id AS old_h, n.household_id AS new_h
                FROM identity_map n JOIN _previous_map o USING (record_key)
                JOIN household_registry hr ON hr.household_id = o.household_id
                WHERE n.person_id = o.person_id AND n.household_id <> o.household_id
                  AND hr.status = 'active')
            SELECT {first} - 1 + row_number() OVER (ORDER BY person_id), $now, 'move',
                   'household', [person_id, old_h, new_h], new_h, $reason
            FROM moved""",
        {"now": now, "reason": reason},
    )


def _refresh_review_queue(
    con: duckdb.DuckDBPyConnection, settings: LinkageSettings, now: datetime
) -> int:
    """Queue the uncertain pairs whose answer would change an identity.

    A pair in the review band whose records are already one person (through other,
    certain links) needs no clerk; of the band pairs between two people only the
    strongest is asked (one answer settles the two people). Open pairs that no
    longer qualify leave the queue; decided ones stay decided.
    """
    con.execute(
        # the pair id is linkage.review.pair_id, computed in SQL
        f"""CREATE OR REPLACE TEMP TABLE _review_candidates AS
            WITH band AS (
                SELECT least(record_key_l, record_key_r) AS l,
                       greatest(record_key_l, record_key_r) AS r, match_probability
                FROM linkage_pairs
                WHERE match_probability >= {max(settings.review_threshold, settings.queue_floor)}
                  AND match_probability < {settings.link_threshold}),
            between_people AS (
                SELECT b.*, least(pl.cluster_key, pr.cluster_key) AS a,
                       greatest(pl.cluster_key, pr.cluster_key) AS z
                FROM band b
                JOIN _person_clusters pl ON pl.record_key = b.l
                JOIN _person_clusters pr ON pr.record_key = b.r
                WHERE pl.cluster_key <> pr.cluster_key),
            strongest AS (
                SELECT *, row_number() OVER (
                    PARTITION BY a, z ORDER BY match_probability DESC, l, r) AS rank
                FROM between_people)
            SELECT substr(sha1(l || chr(31) || r), 1, 16) AS pair_id, l, r, match_probability
            FROM strongest WHERE rank = 1"""
    )
    con.execute(
        """DELETE FROM review_queue WHERE status = 'open'
           AND pair_id NOT IN (SELECT pair_id FROM _review_candidates)"""
    )
    con.execute(
        """INSERT OR IGNORE INTO review_queue
           SELECT pair_id, l, r, match_probability, 'open', $now FROM _review_candidates""",
        {"now": now},
    )
    con.execute(
        """UPDATE review_queue SET status = 'decided'
           WHERE status = 'open' AND pair_id IN (SELECT pair_id FROM review_decisions)"""
    )
    return scalar(con, "SELECT count(*) FROM review_queue WHERE status = 'open'")
