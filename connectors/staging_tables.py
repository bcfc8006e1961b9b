"""DuckDB staging tables and the views `linkage/` reads.

sources          one row per configured source and its last batch, with its
                 declared legal basis, purposes and retention rule (UU PDP)
batches          one row per ingest attempt (status ok | failed), with counts
raw_rows         raw values of every row that made a new record version, as a
                 JSON array lined up with `batches.columns` of its batch
records          every version of every record; never deleted
                 (`content_hash` in both is a 64-bit hash, see staging.content_hash)
services         service/benefit rows, per record version
quarantine       rejected rows with a reason code and a detail
dtsen_deciles    the rows of DTSEN decile files (connectors.deciles): NIK or KK
                 number, decile and DTSEN period; replaced on each import
erased_records   tombstones of erased records (source, SHA-256 of the record key,
                 when, cause): an erased record is not staged again
current_records  the latest version of each record, if it is active
current_services services of current records
current_quarantine  rejected rows of each source's latest successful batch
"""

from __future__ import annotations

import hashlib

import duckdb

from connectors.canonical import PERSON_FIELDS
from connectors.deciles import DDL as DECILES_DDL
from connectors.deciles import TABLE as DECILES_TABLE

PERSON_COLUMNS = ", ".join(PERSON_FIELDS)


def ensure_staging_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create what is missing; one catalog look-up when the schema is already in place.

    The last view carries a comment naming this code's DDL, so a changed DDL runs again.
    """
    marker = "satupintu staging " + hashlib.sha256(_DDL.encode()).hexdigest()[:16]
    tables = ", ".join(f"'{t}'" for t in _TABLES)
    [found] = con.execute(
        "SELECT (SELECT comment FROM duckdb_views() WHERE view_name = 'current_quarantine'"
        "        AND schema_name = 'main' AND database_name = current_database()),"
        "       (SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main'"
        f"        AND database_name = current_database() AND table_name IN ({tables}))"
    ).fetchall()
    if found == (marker, len(_TABLES)):
        return
    con.execute(_DDL)
    _hashes_as_numbers(con)
    con.execute(f"COMMENT ON VIEW current_quarantine IS '{marker}';")


def _hashes_as_numbers(con: duckdb.DuckDBPyConnection) -> None:
    """Staging written before content hashes were UBIGINT holds them as 16 hex digits."""
    old = con.execute(
        "SELECT table_name FROM duckdb_columns() WHERE schema_name = 'main'"
        " AND database_name = current_database() AND table_name IN ('records', 'raw_rows')"
        " AND column_name = 'content_hash' AND data_type = 'VARCHAR'"
    ).fetchall()
    for (table,) in old:
        con.execute(
            f"ALTER TABLE {table} ALTER content_hash TYPE UBIGINT"
            " USING ('0x' || content_hash)::UBIGINT"
        )


#: Columns of mostly distinct, usually filled text (ids, NIK, names, phones, raw rows):
#: DuckDB's zstd writes them several times faster than its default dictionary+FSST
#: analysis; raw rows come out less than half the size, ids and names a little larger.
#: Columns of few distinct values, or often empty, keep DuckDB's choice (forced zstd
#: spends a few MB per million rows even on an all-NULL column).
_ZSTD = " USING COMPRESSION zstd"
_DISTINCT = frozenset({"source_record_id", "nik", "full_name", "phone"})


def _ddl() -> str:
    person = ",\n    ".join(
        f"{name} {type_}{_ZSTD if name in _DISTINCT else ''}"
        for name, type_ in PERSON_FIELDS.items()
    )
    return f"""
CREATE SEQUENCE IF NOT EXISTS staging_batch_id START 1;
CREATE TABLE IF NOT EXISTS sources (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR,
    location VARCHAR,
    organization VARCHAR,
    organization_name VARCHAR,
    organization_type VARCHAR,
    personal VARCHAR[],
    special_category VARCHAR[],
    config_file VARCHAR,
    last_batch_id BIGINT,
    last_ingested_at TIMESTAMP,
    legal_basis VARCHAR,
    purposes VARCHAR[],
    retention VARCHAR
);
ALTER TABLE sources ADD COLUMN IF NOT EXISTS legal_basis VARCHAR;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS purposes VARCHAR[];
ALTER TABLE sources ADD COLUMN IF NOT EXISTS retention VARCHAR;
CREATE TABLE IF NOT EXISTS batches (
    batch_id BIGINT,
    source VARCHAR,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    status VARCHAR,
    columns VARCHAR[],
    read_rows BIGINT,
    staged_rows BIGINT,
    quarantined_rows BIGINT,
    new_records BIGINT,
    changed_records BIGINT,
    unchanged_records BIGINT,
    withdrawn_records BIGINT,
    warnings VARCHAR[],
    error VARCHAR
);
CREATE TABLE IF NOT EXISTS raw_rows (
    source VARCHAR,
    batch_id BIGINT,
    row_number BIGINT,
    content_hash UBIGINT,
    raw JSON{_ZSTD}
);
CREATE TABLE IF NOT EXISTS records (
    record_key VARCHAR{_ZSTD},
    source VARCHAR,
    organization VARCHAR,
    version INTEGER,
    batch_id BIGINT,
    row_number BIGINT,
    content_hash UBIGINT,
    status VARCHAR,
    valid_from TIMESTAMP,
    valid_to TIMESTAMP,
    {person},
    flags VARCHAR[]
);
CREATE TABLE IF NOT EXISTS services (
    record_key VARCHAR,
    source VARCHAR,
    organization VARCHAR,
    version INTEGER,
    batch_id BIGINT,
    row_number BIGINT,
    program VARCHAR,
    service_date DATE,
    amount DECIMAL(14,2),
    funder VARCHAR
);
CREATE TABLE IF NOT EXISTS erased_records (
    source VARCHAR,
    record_key_sha VARCHAR PRIMARY KEY,
    erased_at TIMESTAMP,
    cause VARCHAR
);
CREATE TABLE IF NOT EXISTS quarantine (
    source VARCHAR,
    batch_id BIGINT,
    row_number BIGINT,
    source_record_id VARCHAR,
    reason VARCHAR,
    detail VARCHAR,
    raw JSON
);
CREATE OR REPLACE VIEW current_records AS
SELECT record_key, source, organization, {PERSON_COLUMNS}, flags,
       batch_id, row_number, content_hash, version
FROM records WHERE valid_to IS NULL AND status = 'active';
CREATE OR REPLACE VIEW current_services AS
SELECT s.record_key, s.source, s.organization, s.program, s.service_date, s.amount, s.funder
FROM services s
JOIN records r ON r.record_key = s.record_key AND r.version = s.version
WHERE r.valid_to IS NULL AND r.status = 'active';
CREATE OR REPLACE VIEW current_quarantine AS
SELECT q.* FROM quarantine q
JOIN (SELECT source, max(batch_id) AS batch_id FROM batches WHERE status = 'ok' GROUP BY source) b
  ON q.source = b.source AND q.batch_id = b.batch_id;
"""


_DDL = _ddl() + DECILES_DDL
_TABLES = (
    "sources",
    "batches",
    "raw_rows",
    "records",
    "services",
    "quarantine",
    "erased_records",
    DECILES_TABLE,
)


__all__ = ["ensure_staging_tables"]
