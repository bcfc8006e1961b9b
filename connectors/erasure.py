"""Erasing records from staging (UU PDP: retention and the right to erasure).

Every version of an erased record goes, with its services, its raw rows, its
quarantined rows and the DTSEN decile rows naming its NIK; a tombstone keeps
only the source and the SHA-256 of the record key, so that the next delivery
of the same record is not staged again (staging drops it with a warning).
Retention rules per source (`retention` in the source TOML, see
connectors.config) pick records that are no longer delivered: "until
withdrawn" at once, "N months" once N months have passed since the source
last delivered them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb

from connectors.config import UNTIL_WITHDRAWN, retention_months
from connectors.staging_tables import ensure_staging_tables


def expired_records(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[tuple[str, str]]:
    """(record_key, rule) of every record its source's retention rule lets go."""
    ensure_staging_tables(con)
    rules = con.execute("SELECT id, retention FROM sources WHERE retention IS NOT NULL").fetchall()
    out: list[tuple[str, str]] = []
    for source, rule in rules:
        months = retention_months(rule)
        if rule != UNTIL_WITHDRAWN and months is None:
            continue
        cutoff = now if months is None else _months_before(now, months)
        rows = con.execute(
            """SELECT record_key FROM records WHERE source = ?
               GROUP BY record_key
               HAVING NOT bool_or(valid_to IS NULL AND status = 'active')
                  AND coalesce(max(valid_to) FILTER (WHERE status = 'active'),
                               max(valid_from)) <= ?
               ORDER BY record_key""",
            [source, cutoff],
        ).fetchall()
        out += [(key, f"{source}: {rule}") for (key,) in rows]
    return out


def _months_before(when: dt.datetime, months: int) -> dt.datetime:
    year, month = divmod(when.year * 12 + when.month - 1 - months, 12)
    day = min(when.day, 28)
    return when.replace(year=year, month=month + 1, day=day)


def erase_staged(
    con: duckdb.DuckDBPyConnection, record_keys: Sequence[str], cause: str, now: dt.datetime
) -> int:
    """Delete every trace of these records from staging and tombstone them; how
    many records had something to delete. Idempotent. Runs in the caller's
    transaction when there is one."""
    ensure_staging_tables(con)
    con.execute("CREATE OR REPLACE TEMP TABLE _erase (record_key VARCHAR)")
    con.execute("INSERT INTO _erase SELECT unnest(?::VARCHAR[])", [list(record_keys)])
    found = int(
        con.execute(  # type: ignore[index]
            "SELECT count(DISTINCT record_key) FROM records WHERE record_key IN"
            " (SELECT record_key FROM _erase)"
        ).fetchone()[0]
    )
    con.execute("""DELETE FROM raw_rows WHERE (source, batch_id, row_number) IN
                   (SELECT source, batch_id, row_number FROM records
                    WHERE record_key IN (SELECT record_key FROM _erase))""")
    con.execute("DELETE FROM services WHERE record_key IN (SELECT record_key FROM _erase)")
    con.execute(
        "DELETE FROM quarantine WHERE source || ':' || source_record_id IN"
        " (SELECT record_key FROM _erase)"
    )
    # a tombstone for every key asked for, staged or not (a record submitted
    # through the API and linked, not ingested yet, is only in the identity
    # map); the source is the key's prefix (`source:source_record_id`)
    con.execute(
        """INSERT INTO erased_records
                   SELECT DISTINCT coalesce(s.source, split_part(e.record_key, ':', 1)),
                          sha256(e.record_key), ?::TIMESTAMP, ?
                   FROM _erase e LEFT JOIN (SELECT DISTINCT record_key, source FROM records) s
                   USING (record_key) WHERE e.record_key LIKE '%:%'
                   ON CONFLICT DO NOTHING""",
        [now, cause],
    )
    # a DTSEN decile file's rows that name the person by NIK (a KK number names the
    # family, which is not erased with one member)
    con.execute(
        "DELETE FROM dtsen_deciles WHERE nik IN (SELECT nik FROM records"
        " WHERE record_key IN (SELECT record_key FROM _erase) AND nik IS NOT NULL)"
    )
    con.execute("DELETE FROM records WHERE record_key IN (SELECT record_key FROM _erase)")
    con.execute("DROP TABLE _erase")
    return found


__all__ = ["erase_staged", "expired_records"]
