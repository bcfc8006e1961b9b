"""The hub's steps wired together: staging database, graph load, and the
model folder. Each step is also a CLI command (see hub.cli)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from connectors import ensure_staging_tables
from connectors.reference import load_reference
from graph import LoadReport, ensure_constraints, open_driver
from hub.errors import PipelineError
from hub.graph_sync import sync
from hub.journal_replay import replay
from hub.localgraph import ensure_neo4j
from hub.published import KEEP_PREVIOUS, Generation, publish
from hub.settings import Settings, graph_target
from journal import Journal, NewFact, kinds
from linkage import (
    IdentityLedger,
    LinkageSettings,
    LinkSummary,
    SparkOptions,
    output_views,
    reconcile,
    run_linkage,
)


def open_db(settings: Settings) -> duckdb.DuckDBPyConnection:
    """The staging DuckDB, with the reference data and staging tables in place."""
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(settings.duckdb_path))
    except duckdb.IOException as exc:
        raise PipelineError(
            f"cannot open {settings.duckdb_path}: {exc}. Another hub process (`hub serve`, "
            "`hub demo`) may hold it: stop that process first."
        ) from exc
    # global settings of the database instance: the linkage engine made beside
    # this connection (linkage.engine.make_engine) shares them
    if settings.duckdb_memory_limit:
        con.execute("SET memory_limit = ?", [settings.duckdb_memory_limit])
    if settings.duckdb_temp_directory:
        con.execute("SET temp_directory = ?", [settings.duckdb_temp_directory])
    load_reference(con)
    ensure_staging_tables(con)
    return con


def model_dir(settings: Settings) -> Path:
    return settings.home / "models"


def load_graph(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Make the graph equal what is staged and linked (constraints first):
    only changed rows are sent, retired ids retired, gone rows dropped."""
    output_views(con)  # first: nothing staged or linked is the likelier mistake
    ensure_neo4j(settings)
    conn = graph_target(settings)
    journal = Journal.of(settings)
    try:
        with open_driver(conn) as driver:
            ensure_constraints(driver, settings.neo4j_database)
            report = sync(
                con,
                driver,
                settings.neo4j_database,
                progress,
                server=f"Neo4j at {conn.uri}",
                journal=journal,
            )
        replay(conn, journal)  # what the API wrote (hub.journal_replay)
    finally:
        journal.close()
    return report


def publish_staging(
    settings: Settings, con: duckdb.DuckDBPyConnection, *, erased: bool = False
) -> Generation:
    """Publish what `con` holds as the servers' next staging generation
    (hub.published); after an erasure, no older generation is kept."""
    return publish(
        con, settings.duckdb_path, settings.home, keep_previous=0 if erased else KEEP_PREVIOUS
    )


def linkage_settings(settings: Settings, base: LinkageSettings | None = None) -> LinkageSettings:
    """The linkage's knobs as the hub's settings set them (`base`: the command's
    own; its engine, from `hub link --engine`, wins over linkage_engine)."""
    chosen = base or LinkageSettings(engine=settings.linkage_engine)
    if chosen.spark == SparkOptions():
        chosen = dataclasses.replace(chosen, spark=spark_options(settings))
    if settings.link_threshold is None:
        return chosen
    return dataclasses.replace(chosen, link_threshold=settings.link_threshold)


def spark_options(settings: Settings) -> SparkOptions:
    """The Spark engine's master, spark.* settings and folders (HUB_SPARK_*);
    Parquet is staged under $HUB_HOME/spark-staging unless set."""
    staging = settings.spark_staging_uri or str(settings.home.absolute() / "spark-staging")
    return SparkOptions(
        master=settings.spark_master,
        conf=tuple(sorted(settings.spark_conf.items())),
        staging=staging,
        checkpoints=settings.spark_checkpoint_uri,
    )


def link(
    settings: Settings, con: duckdb.DuckDBPyConnection, model: Path, /, **options: Any
) -> LinkSummary:
    """`hub link`: reconcile what the servers handed out (ids minted in real time,
    review decisions; linkage.reconcile), link with ids from the shared ledger,
    then publish the result for the servers. `options` go to `run_linkage`
    (its own `settings` among them)."""
    ledger = IdentityLedger.of(settings)
    try:
        reconcile(con, ledger)
        options["settings"] = linkage_settings(settings, options.get("settings"))
        summary = run_linkage(con, model, allocator=ledger, **options)
    finally:
        ledger.close()
    generation = publish_staging(settings, con)
    journal = Journal.of(settings)
    try:
        journal.append(
            [
                NewFact(
                    kinds.LINK_PUBLISHED,
                    {
                        "generation": generation.number,
                        "model_version": summary.model_version,
                        "persons": summary.persons,
                        "households": summary.households,
                        "merges": summary.merges,
                        "splits": summary.splits,
                    },
                )
            ]
        )
    finally:
        journal.close()
    return summary
