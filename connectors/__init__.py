"""Connectors: read ~300 agency and foundation sources, map them to the canonical
record, validate, quarantine, and stage versioned records in DuckDB.

    configs = load_configs(Path("sources/"))
    summaries = ingest(con, configs)
    con.sql("SELECT * FROM current_records")   # the contract linkage/ reads
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb

from connectors.base import Reader
from connectors.config import HttpOptions, SourceConfig, load_configs, write_config
from connectors.errors import (
    ConnectorError,
    EmptySourceError,
    MissingColumnError,
    SourceConfigError,
    SourceEncodingError,
    SourceHTTPError,
    SourceReadError,
    StagingError,
)
from connectors.mapping import FLAGS, REASONS
from connectors.staging import Progress, SourceSummary, ingest_source
from connectors.staging_tables import ensure_staging_tables


def ingest(
    con: duckdb.DuckDBPyConnection,
    configs: Sequence[SourceConfig],
    progress: Progress | None = None,
    *,
    raise_errors: bool = True,
    readers: Mapping[str, Reader] | None = None,
) -> list[SourceSummary]:
    """Ingest each source as one batch, in order.

    With `raise_errors=False` a failing source is reported in its summary's
    `error` and the others still run; its earlier data stays as it was.
    `readers` reads the sources of these kinds (the hub's API submissions,
    `kind = "intake"`, which only the hub can read).
    """
    ensure_staging_tables(con)
    summaries: list[SourceSummary] = []
    chosen = readers or {}
    for config in configs:
        try:
            summaries.append(ingest_source(con, config, progress, chosen.get(config.kind)))
        except ConnectorError as exc:
            if raise_errors:
                raise
            summaries.append(SourceSummary(config.id, error=str(exc)))
    return summaries


def quarantined_rows(
    con: duckdb.DuckDBPyConnection, source: str | None = None
) -> list[dict[str, Any]]:
    """Rejected rows of each source's latest successful batch, with reason and detail."""
    ensure_staging_tables(con)
    where = "WHERE source = ?" if source is not None else ""
    cursor = con.execute(
        "SELECT source, batch_id, row_number, source_record_id, reason, detail, raw"
        f" FROM current_quarantine {where} ORDER BY source, row_number",
        [source] if source is not None else [],
    )
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def flagged_rows(
    con: duckdb.DuckDBPyConnection, source: str | None = None, flag: str | None = None
) -> list[dict[str, Any]]:
    """Staged current records that carry flags (suspicious but usable), with the flags."""
    ensure_staging_tables(con)
    where = ["len(flags) > 0"]
    params: list[Any] = []
    if source is not None:
        where.append("source = ?")
        params.append(source)
    if flag is not None:
        where.append("list_contains(flags, ?)")
        params.append(flag)
    cursor = con.execute(
        "SELECT source, row_number, source_record_id, full_name, flags FROM current_records"
        f" WHERE {' AND '.join(where)} ORDER BY source, row_number",
        params,
    )
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


__all__ = [
    "FLAGS",
    "REASONS",
    "ConnectorError",
    "EmptySourceError",
    "HttpOptions",
    "MissingColumnError",
    "Progress",
    "SourceConfig",
    "SourceConfigError",
    "SourceEncodingError",
    "SourceHTTPError",
    "SourceReadError",
    "SourceSummary",
    "StagingError",
    "ensure_staging_tables",
    "flagged_rows",
    "ingest",
    "load_configs",
    "quarantined_rows",
    "write_config",
]
