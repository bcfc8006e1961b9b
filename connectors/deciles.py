"""Staging a DTSEN decile file (a source with `content = "deciles"`).

Each row names a household by a member's NIK or its KK number, with the
household's DTSEN welfare decile (desil) and the DTSEN period (YYYY-MM) it is
of; its columns map to `canonical.DECILE_FIELDS`::

    id = "dtsen-desil-2026-11"
    kind = "xlsx"
    content = "deciles"
    location = "desil-november.xlsx"
    organization = "ORG-BPS-DTSEN"
    organization_type = "agency"
    [columns]
    NIK = "nik"
    NO_KK = "no_kk"
    DESIL = "welfare_decile"
    PERIODE = "dtsen_period"

A row is staged in `dtsen_deciles` or quarantined with its reason (first that
applies), set-based in DuckDB like every source:

- `no_identifying_field`: neither a valid NIK nor a valid KK number (the rules
  of `domain.sql`, one home with ingest, linkage and the API);
- `decile_out_of_range`: not a whole number from `DECILE_MIN` to `DECILE_MAX`
  (`domain.thresholds`);
- `invalid_period`: the DTSEN period is not YYYY-MM (a date YYYY-MM-DD is read
  as its month);
- `conflicting_decile`: the same NIK (or, without one, KK number) given
  different deciles for one period: every such row waits for the source to
  say which is right.

Read = staged + quarantined. A re-import replaces the source's rows, so the
same file gives the same table (idempotent); the decile reaches a household
through linkage (`linkage.output`, the households' `welfare_decile`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import duckdb

from connectors.base import Loaded, literal, quote
from connectors.config import SourceConfig
from connectors.mapping import clean, value_map
from domain import sql as rules
from domain.thresholds import DECILE_MAX, DECILE_MIN

if TYPE_CHECKING:
    from connectors.staging import SourceSummary

#: the staged rows of every decile file
TABLE: Final = "dtsen_deciles"
DDL: Final = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    source VARCHAR,
    batch_id BIGINT,
    row_number BIGINT,
    source_record_id VARCHAR,
    nik VARCHAR,
    no_kk VARCHAR,
    decile INTEGER,
    period VARCHAR
);"""
#: quarantine reasons of a decile file, in the order they are checked
REASONS: Final[tuple[str, ...]] = (
    "no_identifying_field",
    "decile_out_of_range",
    "invalid_period",
    "conflicting_decile",
)
_ROWS: Final = "_stg_d"


def stage_deciles(
    con: duckdb.DuckDBPyConnection,
    config: SourceConfig,
    loaded: Loaded,
    resolved: Mapping[str, str],
    summary: SourceSummary,
) -> None:
    """Validate every row, quarantine the bad ones and replace the source's staged
    rows with the good ones; inside the caller's transaction."""
    src = literal(config.id)
    column = {fld: resolved[col] for col, fld in config.columns.items()}

    def text(fld: str) -> str:
        if fld not in column:
            return "NULL::VARCHAR"
        return value_map(clean("s." + quote(column[fld])), config.values.get(fld, {}))

    sid = (
        text("source_record_id")
        if "source_record_id" in column
        else f"({loaded.row_expr})::VARCHAR"
    )
    for statement in rules.SETUP:  # the district list the NIK/KK checks read
        con.execute(statement)
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE {_ROWS} AS
WITH t AS (SELECT s.{loaded.rowid} AS src_rowid, {loaded.row_expr} AS row_number,
                  {text("nik")} AS r_nik, {text("no_kk")} AS r_kk,
                  {text("welfare_decile")} AS r_decile, {text("dtsen_period")} AS r_period,
                  {sid} AS source_record_id
           FROM {loaded.table} s),
d AS (SELECT *, {rules.id_digits("r_nik")} AS nik_digits,
             {rules.id_digits("r_kk")} AS kk_digits FROM t),
v AS (SELECT *, {rules.nik_valid("nik_digits")} AS nik_ok, {rules.kk_valid("kk_digits")} AS kk_ok,
             try_cast(r_decile AS INTEGER) AS decile,
             CASE WHEN regexp_full_match(r_period, '[0-9]{{4}}-(0[1-9]|1[0-2])(-[0-9]{{2}})?')
                  THEN left(r_period, 7) END AS period
      FROM d),
k AS (SELECT *, CASE WHEN nik_ok THEN 'nik:' || nik_digits
                     WHEN kk_ok THEN 'kk:' || kk_digits END AS who FROM v),
r AS (SELECT *, CASE
        WHEN who IS NULL THEN 'no_identifying_field'
        WHEN decile IS NULL OR decile NOT BETWEEN {DECILE_MIN} AND {DECILE_MAX}
            THEN 'decile_out_of_range'
        WHEN period IS NULL THEN 'invalid_period' END AS reason FROM k)
SELECT *, CASE WHEN reason IS NULL AND count(DISTINCT decile) FILTER (WHERE reason IS NULL)
                    OVER (PARTITION BY who, period) > 1
               THEN 'conflicting_decile' ELSE reason END AS why
FROM r"""
    )
    names = (
        f"{column.get('nik', '-')}, {column.get('no_kk', '-')}",
        column.get("welfare_decile", "-"),
        column.get("dtsen_period", "-"),
    )
    detail = f"""CASE why
        WHEN 'no_identifying_field' THEN 'columns ' || {literal(names[0])}
            || ': neither holds a valid NIK or KK number'
            || coalesce(' (' || concat_ws(', ', r_nik, r_kk) || ')', '')
        WHEN 'decile_out_of_range' THEN 'column ' || {literal(names[1])} || ': '
            || coalesce(r_decile, 'empty') || ' is not a decile {DECILE_MIN} to {DECILE_MAX}'
        WHEN 'invalid_period' THEN 'column ' || {literal(names[2])} || ': '
            || coalesce(r_period, 'empty') || ' is not a DTSEN period YYYY-MM'
        ELSE 'this NIK or KK number has another decile on another row for period ' || period
        END"""
    raw = "json_object(" + ", ".join(f"{literal(c)}, s.{quote(c)}" for c in loaded.columns) + ")"
    con.execute(
        f"""
INSERT INTO quarantine
SELECT {src}, {summary.batch_id}, m.row_number, m.source_record_id, m.why, {detail}, {raw}
FROM {_ROWS} m JOIN {loaded.table} s ON s.{loaded.rowid} = m.src_rowid
WHERE m.why IS NOT NULL"""
    )
    con.execute(f"DELETE FROM {TABLE} WHERE source = {src}")
    con.execute(
        f"""
INSERT INTO {TABLE}
SELECT {src}, {summary.batch_id}, row_number, source_record_id,
       CASE WHEN nik_ok THEN nik_digits END, CASE WHEN kk_ok THEN kk_digits END, decile, period
FROM {_ROWS} WHERE why IS NULL ORDER BY row_number"""
    )
    by_reason = con.execute(
        f"SELECT why, count(*) FROM {_ROWS} WHERE why IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    summary.quarantined_by_reason = {str(r): int(n) for r, n in by_reason}
    summary.quarantined = sum(summary.quarantined_by_reason.values())
    summary.staged = summary.read - summary.quarantined
    summary.new = summary.staged
    con.execute(f"DROP TABLE IF EXISTS temp.{_ROWS}")


__all__ = ["DDL", "REASONS", "TABLE", "stage_deciles"]
