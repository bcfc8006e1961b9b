"""Staging one source batch in DuckDB: map, validate, quarantine, version.

One source is one transaction: a source that fails leaves earlier data as it
was, and the failed attempt is recorded in `batches` with its error.
Counts always reconcile: read = staged + quarantined.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from connectors.base import Loaded, Reader, literal, quote, release, resolve_columns
from connectors.canonical import PERSON_FIELDS
from connectors.config import SourceConfig
from connectors.csv_file import CsvReader
from connectors.deciles import stage_deciles
from connectors.errors import ConnectorError, EmptySourceError, SourceConfigError, StagingError
from connectors.http_json import HttpJsonReader
from connectors.json_file import JsonReader
from connectors.mapping import BatchSql, clean, norm_area, value_map
from connectors.sql_table import SqlReader
from connectors.staging_tables import ensure_staging_tables
from connectors.xlsx_file import XlsxReader
from domain import sql as identity_sql


class _HubIntake(Reader):
    """Stands for the hub's API submissions (`kind = "intake"`), which only the
    hub can read: it gives `ingest` a reader over its store."""

    kind = "intake"

    def read(self, config: SourceConfig) -> pa.Table:
        raise SourceConfigError(
            str(config.config_file), "kind",
            "an 'intake' source is the hub's API submissions: run `hub ingest`.",
        )  # fmt: skip


READERS: dict[str, Callable[[], Reader]] = {
    "csv": CsvReader,
    "xlsx": XlsxReader,
    "json": JsonReader,
    "http-json": HttpJsonReader,
    "sql": SqlReader,
    "intake": _HubIntake,
}
_AREA_REFS = {"kelurahan": "ref_kelurahan", "kecamatan": "ref_kecamatan"}
_INCOMING = "_stg_incoming"
_TEMP_TABLES = ("_stg_m", "_stg_dups", "_stg_rec", "_stg_change")


@dataclass
class SourceSummary:
    source: str
    read: int = 0
    staged: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    withdrawn: int = 0
    warnings: list[str] = field(default_factory=list)
    batch_id: int | None = None
    seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


#: progress(source_id, step, steps_done, steps_total)
Progress = Callable[[str, str, int, int], None]
STEPS = ("read", "map", "validate", "version", "commit")


def ingest_source(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    progress: Progress | None = None,
    reader: Reader | None = None,
) -> SourceSummary:
    """Read one source and stage it as one batch; raise ConnectorError on file-level errors."""
    ensure_staging_tables(con)
    started = dt.datetime.now()
    clock = time.perf_counter()
    batch_id = int(_one(con, "SELECT nextval('staging_batch_id')"))
    summary = SourceSummary(config.id, batch_id=batch_id)

    def step(i: int) -> None:
        if progress is not None:
            progress(config.id, STEPS[i], i, len(STEPS))

    step(0)
    try:
        loaded = (reader or READERS[config.kind]()).load(con, config, _INCOMING)
        resolved = resolve_columns(config, loaded, _delimiter_hint(config, loaded))
        summary.read = (
            loaded.rows
            if loaded.rows is not None
            else int(_one(con, f"SELECT count(*) FROM {loaded.table}"))
        )
        if summary.read == 0 and not config.allow_empty:
            raise EmptySourceError(
                loaded.location,
                "the source has a header but no data rows; nothing was changed. If it is really"
                " empty now, set allow_empty = true to withdraw its records.",
                row=loaded.header_row + 1,
                source=config.id,
            )
        if "source_record_id" not in config.mapped_fields:
            summary.warnings.append(
                "no column is mapped to source_record_id: row numbers are used as ids, so"
                " inserting or deleting rows in the source will look like changed records."
            )
        if config.legal_basis is None and config.personal:
            summary.warnings.append(
                "no legal_basis is declared for this source's personal data (UU PDP Art. 20):"
                " add legal_basis and purposes to its TOML."
            )
        con.execute("BEGIN TRANSACTION")
        try:
            if config.content == "deciles":  # a DTSEN decile file (connectors.deciles)
                stage_deciles(con, config, loaded, resolved, summary)
            else:
                _stage(con, config, loaded, resolved, summary, step)
            _finish_batch(con, config, summary, started, loaded.columns)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    except ConnectorError as exc:
        _record_failure(con, config, summary, started, str(exc))
        raise
    except duckdb.Error as exc:
        _record_failure(con, config, summary, started, str(exc))
        raise StagingError(
            f"source {config.id}: staging failed ({exc}); earlier data is intact."
        ) from exc
    finally:
        _drop_temp(con)
    summary.seconds = time.perf_counter() - clock
    step(4)
    return summary


def _stage(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    loaded: Loaded,
    resolved: Mapping[str, str],
    summary: SourceSummary,
    step: Callable[[int], None],
) -> None:
    """Map, validate and hash every row in one pass into `_stg_m`, then write from it."""
    src = literal(config.id)
    batch = summary.batch_id
    areas = _area_refs(con, config)
    sql = BatchSql(config, resolved, loaded.row_expr, {f: _AREA_REFS[f] for f in areas})
    for statement in identity_sql.SETUP:  # the district list the NIK/KK checks read
        con.execute(statement)
    step(1)
    area_ctes = "".join(
        f", area_{fld} AS ({_area_sql(config, resolved, fld, tables, loaded.table)})"
        for fld, tables in areas.items()
    )
    area_joins = "".join(
        f" LEFT JOIN area_{fld} a_{fld} ON a_{fld}.value = c.r_{fld}" for fld in areas
    )
    area_cols = "".join(f", coalesce(a_{fld}.match, 'exact') AS {fld}_match" for fld in areas)
    has_services = bool(config.services)
    # A field no column maps to is NULL on every row: `_stg_m` leaves it out, and the
    # writes put a NULL of its type in its place (`_fields`).
    mapped = frozenset(["source_record_id", *sql.source_column]) & set(PERSON_FIELDS)
    kept = ", ".join(
        [f for f in PERSON_FIELDS if f in mapped]
        + (["program", "service_date", "amount", "funder"] if has_services else [])
    )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE _stg_m AS
WITH t AS (SELECT s.{loaded.rowid} AS src_rowid, {", ".join(sql.text_columns())}
           FROM {loaded.table} s),
h AS (SELECT *, {", ".join(sql.helper_columns())} FROM t),
n AS (SELECT *, {", ".join(sql.part_columns())} FROM h),
v AS (SELECT *, {", ".join(sql.validity_columns())} FROM n),
c AS (SELECT src_rowid, row_number, COLUMNS('^nik_'), kk_valid, COLUMNS('^r_'),
             {", ".join(sql.typed_columns())} FROM v){area_ctes},
a AS (SELECT c.*{area_cols} FROM c{area_joins}),
q AS (SELECT *, {sql.reason_column()} FROM a)
SELECT {src} || ':' || source_record_id AS record_key, src_rowid, row_number, {kept},
       reason, CASE WHEN reason IS NOT NULL THEN {sql.detail_expr()} END AS detail,
       {sql.flags_column()},
       {content_hash(", ".join(PERSON_FIELDS))} AS person_hash, NULL::BIGINT AS dup_of
FROM q
"""
    )
    suppressed = _drop_erased(con, src)
    if suppressed:
        summary.warnings.append(
            f"{suppressed} rows are records erased on request or by retention and were not"
            " staged again; ask the source to stop sending them."
        )
    step(2)
    dups = _mark_duplicates(con, has_services)
    by_reason = con.execute(
        "SELECT reason, count(*) FROM _stg_m WHERE reason IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    summary.quarantined_by_reason = {str(r): int(n) for r, n in by_reason}
    summary.quarantined = sum(summary.quarantined_by_reason.values())
    summary.staged = summary.read - summary.quarantined - suppressed
    if summary.quarantined:
        sid_col = literal(sql.source_column.get("source_record_id", "row number"))
        raw_json = (
            "json_object(" + ", ".join(f"{literal(c)}, s.{quote(c)}" for c in loaded.columns) + ")"
        )
        con.execute(
            f"""
INSERT INTO quarantine
SELECT {src}, {batch}, m.row_number, m.source_record_id, m.reason,
       CASE WHEN m.reason = 'duplicate_source_record_id'
            THEN 'column ' || {sid_col} || ': ' || m.source_record_id
                 || ' is already used on row ' || m.dup_of || ' with different values'
            ELSE m.detail END,
       {raw_json}
FROM _stg_m m JOIN {loaded.table} s ON s.{loaded.rowid} = m.src_rowid
WHERE m.reason IS NOT NULL
"""
        )
    step(3)
    _version(con, config, loaded, summary, mapped, has_services, dups)


def _drop_erased(con: duckdb.DuckDBPyConnection, src: str) -> int:
    """Drop incoming rows of erased records (see connectors.erasure); their count."""
    if not _one(con, f"SELECT count(*) FROM erased_records WHERE source = {src}"):
        return 0
    return int(
        _one(
            con,
            f"""
WITH gone AS (DELETE FROM _stg_m WHERE sha256(record_key) IN
    (SELECT record_key_sha FROM erased_records WHERE source = {src}) RETURNING 1)
SELECT count(*) FROM gone""",
        )
    )


def _mark_duplicates(con: duckdb.DuckDBPyConnection, has_services: bool) -> bool:
    """Quarantine later rows that reuse a source_record_id; True if any id repeats.

    With services, repeated rows of the same person are service rows, not duplicates.
    Grouping by a hash of the id is much cheaper than by the text; equal ids have equal
    hashes, so the exact check runs only when some hash repeats. A source with services
    repeats ids by design, so it goes straight to the exact check.
    """
    if not has_services:
        [(maybe,)] = con.execute(
            "SELECT count(*) FROM (SELECT hash(source_record_id) AS h FROM _stg_m"
            " WHERE reason IS NULL GROUP BY h HAVING count(*) > 1)"
        ).fetchall()
        if not maybe:
            return False
    [(repeated,)] = con.execute(
        """
CREATE OR REPLACE TEMP TABLE _stg_dups AS
SELECT source_record_id, min(row_number) AS first_row,
       arg_min(person_hash, row_number) AS first_hash
FROM _stg_m WHERE reason IS NULL GROUP BY source_record_id HAVING count(*) > 1
"""
    ).fetchall()
    if not repeated:
        return False
    same_person = "AND m.person_hash = d.first_hash" if has_services else "AND false"
    con.execute(
        f"""
UPDATE _stg_m m SET reason = 'duplicate_source_record_id', dup_of = d.first_row
FROM _stg_dups d
WHERE m.source_record_id = d.source_record_id AND m.reason IS NULL
  AND m.row_number <> d.first_row AND NOT (true {same_person});
"""
    )
    return True


def _version(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    loaded: Loaded,
    summary: SourceSummary,
    mapped: frozenset[str],
    has_services: bool,
    dups: bool,
) -> None:
    """Write new and changed records (with their raw rows and services); withdraw the gone.

    A source staged for the first time has nothing to compare with: every staged
    record is new, so the writes read `_stg_m` directly.
    """
    src = literal(config.id)
    org = literal(config.organization)
    batch = summary.batch_id
    now = "current_localtimestamp()"
    if has_services:
        content = content_hash("r.person_hash, sh.h")
        service_join = f"""LEFT JOIN (
            SELECT source_record_id,
                   {content_hash(f"string_agg({_SERVICE_TEXT}, chr(30) ORDER BY row_number)")} AS h
            FROM _stg_m WHERE reason IS NULL AND {_HAS_SERVICE} GROUP BY 1) sh
            USING (source_record_id)"""
    else:
        content, service_join = "r.person_hash", ""
    if dups:
        dup_join = " LEFT JOIN _stg_dups d USING (source_record_id)"
        first_only = " AND (d.first_row IS NULL OR d.first_row = r.row_number)"
    else:
        dup_join = first_only = ""
    rec_fields = _fields(mapped)
    from_staged = f"FROM _stg_m r{dup_join} {service_join} WHERE r.reason IS NULL{first_only}"
    if not _has_current(con, config.id):
        [(summary.new,)] = con.execute(
            f"""
INSERT INTO records
SELECT r.record_key, {src}, {org}, 1, {batch}, r.row_number, {content}, 'active', {now},
       NULL, {rec_fields}, r.flags
{from_staged}
"""
        ).fetchall()
        written = "m.reason IS NULL"
        version = "1"
        from_change = "_stg_m m"
        raw_filter = "ANTI JOIN (SELECT src_rowid FROM _stg_m WHERE reason IS NOT NULL) m"
    else:
        _diff(con, src, content, from_staged, mapped)
        counts = dict(con.execute("SELECT kind, count(*) FROM _stg_change GROUP BY 1").fetchall())
        summary.new = int(counts.get("new", 0))
        summary.changed = int(counts.get("changed", 0))
        summary.unchanged = int(counts.get("unchanged", 0))
        summary.withdrawn = int(counts.get("withdrawn", 0))
        if summary.changed or summary.withdrawn:
            con.execute(
                f"""
UPDATE records SET valid_to = {now}
FROM _stg_change c
WHERE records.source = {src} AND records.record_key = c.record_key
  AND records.version = c.old_version AND c.kind IN ('changed', 'withdrawn');
"""
            )
        if summary.new or summary.changed:
            con.execute(
                f"""
INSERT INTO records
SELECT r.record_key, {src}, {org}, c.version, {batch}, r.row_number, r.content_hash, 'active',
       {now}, NULL, {rec_fields}, r.flags
FROM _stg_rec r JOIN _stg_change c USING (record_key)
WHERE c.kind IN ('new', 'changed');
"""
            )
        if summary.withdrawn:
            con.execute(
                f"""
INSERT INTO records
SELECT o.record_key, o.source, o.organization, c.version, {batch}, NULL, o.content_hash,
       'withdrawn', {now}, NULL, {", ".join(f"o.{f}" for f in PERSON_FIELDS)}, o.flags
FROM records o JOIN _stg_change c ON o.record_key = c.record_key AND o.version = c.old_version
WHERE o.source = {src} AND c.kind = 'withdrawn';
"""
            )
        if not (summary.new or summary.changed):
            return
        written = "m.reason IS NULL AND c.kind IN ('new', 'changed')"
        version = "c.version"
        from_change = "_stg_m m JOIN _stg_change c USING (record_key)"
        raw_filter = f"SEMI JOIN (SELECT m.src_rowid FROM {from_change} WHERE {written}) m"
    raw_values = ", ".join(f"s.{quote(c)}" for c in loaded.columns)
    if has_services:
        con.execute(
            f"""
INSERT INTO services
SELECT m.record_key, {src}, {org}, {version}, {batch}, m.row_number,
       m.program, m.service_date, m.amount, m.funder
FROM {from_change}
WHERE {written} AND {_HAS_SERVICE};
"""
        )
    con.execute(  # the raw row's hash is its JSON text's: one string to hash, not many
        f"""
INSERT INTO raw_rows
SELECT {src}, {batch}, row_number, {content_hash("raw")}, raw
FROM (SELECT {loaded.row_expr} AS row_number, json_array({raw_values}) AS raw
      FROM {loaded.table} s {raw_filter} ON s.{loaded.rowid} = m.src_rowid);
"""
    )


_SERVICE_TEXT = (
    "concat_ws(chr(31), "
    + ", ".join(
        f"coalesce({c}::VARCHAR, '\\N')" for c in ("program", "service_date", "amount", "funder")
    )
    + ")"
)
_HAS_SERVICE = "coalesce(program, service_date::VARCHAR, amount::VARCHAR, funder) IS NOT NULL"


def _has_current(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    """Whether the source has records to compare with (only staging writes `sources`)."""
    rows = con.execute(
        "SELECT 1 FROM sources WHERE id = ? AND last_batch_id IS NOT NULL", [source]
    ).fetchall()
    return bool(rows)


def _diff(
    con: duckdb.DuckDBPyConnection, src: str, content: str, from_staged: str, mapped: frozenset[str]
) -> None:
    """`_stg_rec` (staged records with content hashes) and `_stg_change` (what happens)."""
    rec_fields = "".join(f", r.{f}" for f in PERSON_FIELDS if f in mapped - {"source_record_id"})
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE _stg_rec AS
SELECT r.record_key, r.source_record_id, r.row_number{rec_fields}, r.flags,
       {content} AS content_hash
{from_staged};
CREATE OR REPLACE TEMP TABLE _stg_change AS
WITH prev AS (
    SELECT record_key, version, status, content_hash FROM records
    WHERE source = {src} AND valid_to IS NULL)
SELECT r.record_key,
       CASE WHEN p.record_key IS NULL THEN 'new'
            WHEN p.status = 'withdrawn' OR p.content_hash <> r.content_hash THEN 'changed'
            ELSE 'unchanged' END AS kind,
       p.version AS old_version, coalesce(p.version, 0) + 1 AS version
FROM _stg_rec r LEFT JOIN prev p USING (record_key)
UNION ALL
SELECT p.record_key, 'withdrawn', p.version, p.version + 1 FROM prev p
WHERE p.status = 'active'
  AND p.record_key NOT IN (SELECT record_key FROM _stg_m WHERE record_key IS NOT NULL);
"""
    )


def _fields(mapped: frozenset[str]) -> str:
    """Every person field in table order: from `r` if mapped, else a NULL of its type."""
    return ", ".join(
        f"r.{f}" if f in mapped else f"NULL::{type_}" for f, type_ in PERSON_FIELDS.items()
    )


def content_hash(values: str) -> str:
    """A 64-bit hash (UBIGINT) for change detection: DuckDB's `hash` of the values.

    Much faster than md5 at CSV scale. Should a DuckDB upgrade change `hash`, the
    next ingest sees every record as changed once and writes identical new versions.
    """
    return f"hash({values})"


def _area_refs(con: duckdb.DuckDBPyConnection, config: SourceConfig) -> dict[str, list[str]]:
    """Mapped area fields whose reference table exists: field -> every area table there is
    (a kelurahan written where a kecamatan is expected still matches)."""
    if not set(_AREA_REFS) & config.mapped_fields:
        return {}
    names = ", ".join(literal(t) for t in _AREA_REFS.values())
    existing = sorted(
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE NOT temporary"
            f" AND database_name = current_database() AND table_name IN ({names})"
        ).fetchall()
    )
    return {
        fld: existing
        for fld, table in _AREA_REFS.items()
        if fld in config.mapped_fields and table in existing
    }


def _area_sql(
    config: SourceConfig, resolved: Mapping[str, str], fld: str, tables: list[str], incoming: str
) -> str:
    """Each distinct value of an area field -> exact | close | none."""
    col_of = {f: resolved[col] for col, f in config.columns.items()}
    value = value_map(clean("s." + quote(col_of[fld])), config.values.get(fld, {}))
    refs = " UNION ALL ".join(
        f"SELECT {norm_area('name')} AS n, code::VARCHAR AS code FROM {t}" for t in tables
    )
    return f"""
WITH v AS (SELECT DISTINCT {value} AS value FROM {incoming} s),
n AS (SELECT value, {norm_area("value")} AS n,
             regexp_replace(value, '[^0-9]', '', 'g') AS code FROM v WHERE value IS NOT NULL),
refs AS ({refs}),
scored AS (
    SELECT n.value,
           bool_or(refs.n = n.n OR (n.code <> '' AND refs.code = n.code)) AS exact,
           max(jaro_winkler_similarity(refs.n, n.n)) AS best
    FROM n, refs GROUP BY n.value)
SELECT value, CASE WHEN exact THEN 'exact' WHEN best >= 0.85 THEN 'close' ELSE 'none' END AS match
FROM scored"""


def _delimiter_hint(config: SourceConfig, loaded: Loaded) -> str:
    if config.kind != "csv" or len(loaded.columns) != 1:
        return ""
    header = loaded.columns[0]
    for delim in (";", ",", "\t", "|"):
        if delim in header and delim != config.delimiter:
            shown = "\\t" if delim == "\t" else delim
            return (
                f" The header looks delimited by '{shown}', not"
                f" '{config.delimiter or 'auto'}': set delimiter = \"{shown}\"."
            )
    return ""


def _finish_batch(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    s: SourceSummary,
    started: dt.datetime,
    columns: list[str],
) -> None:
    con.execute(
        "INSERT INTO batches VALUES (?, ?, ?, current_localtimestamp(), 'ok', ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, NULL)",
        [s.batch_id, config.id, started, columns, s.read, s.staged, s.quarantined, s.new,
         s.changed, s.unchanged, s.withdrawn, s.warnings],
    )  # fmt: skip
    con.execute(
        """
INSERT INTO sources (id, kind, location, organization, organization_name, organization_type,
  personal, special_category, config_file, last_batch_id, last_ingested_at, legal_basis,
  purposes, retention)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_localtimestamp(), ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, location = excluded.location,
  organization = excluded.organization, organization_name = excluded.organization_name,
  organization_type = excluded.organization_type, personal = excluded.personal,
  special_category = excluded.special_category, config_file = excluded.config_file,
  last_batch_id = excluded.last_batch_id, last_ingested_at = excluded.last_ingested_at,
  legal_basis = excluded.legal_basis, purposes = excluded.purposes,
  retention = excluded.retention
""",
        [config.id, config.kind, config.location, config.organization, config.organization_name,
         config.organization_type, list(config.personal), list(config.special_category),
         str(config.config_file), s.batch_id, config.legal_basis, list(config.purposes),
         config.retention],
    )  # fmt: skip


def _record_failure(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    s: SourceSummary,
    started: dt.datetime,
    error: str,
) -> None:
    s.error = error
    with contextlib.suppress(duckdb.Error):  # the failure itself is what the caller needs
        con.execute(
            "INSERT INTO batches (batch_id, source, started_at, finished_at, status, read_rows,"
            " error) VALUES (?, ?, ?, current_localtimestamp(), 'failed', ?, ?)",
            [s.batch_id, config.id, started, s.read, error],
        )


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    release(con, _INCOMING)
    con.execute("".join(f"DROP TABLE IF EXISTS temp.{t};" for t in _TEMP_TABLES))


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    [(value,)] = con.execute(sql).fetchall()
    return int(value)


__all__ = ["READERS", "SourceSummary", "ingest_source"]
