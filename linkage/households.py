"""Households (rumah tangga): group linked people into families, and say why.

Evidence, strongest first:

1. the KK (Kartu Keluarga, family card) number: people whose records carry the
   same KK are one household. A person with several KKs belongs to the card that
   other people also hold (a number held by one person only is a slip), on which
   they are head or spouse rather than child (a child who married has their own
   card; older snapshots such as DTKS and P3KE still list them as ANAK), and of
   those the newest (digits 7-12 are the issue date: a family that moved gets a
   new card). Two KK numbers one typo apart held by the same person, or at the
   same address, are treated as one card;
2. for people with no KK anywhere, each of their records votes for the household
   of other records (people with a KK) by:
   - the family block: a source lists a family together, so a row a few rows from
     a household's row in the same file, at the same RT/RW and kelurahan (and no
     other dwelling), is one of the family (weight 6);
   - the dwelling: street, house number, RT/RW and kelurahan (weight 3);
   - a shared phone (weight 2);
   - the surname of a household member at the same RT/RW and kelurahan (weight 1);
   and a relationship to the head (ISTRI, ANAK, ...) adds 1 to each vote.
   The household with the most votes wins;
3. people with neither: grouped with others at the same dwelling, in the same
   family block, or with the same phone, or alone.

When a family splits and members' records carry a new KK, they form a new household.

Every record's household link is kept in `household_evidence`: the rule that placed
its person (kk, family block, dwelling, phone, surname, alone), the record it was
joined through and the fields that agreed. `explain_household` reads it.
"""

from __future__ import annotations

from typing import Any

import duckdb

from linkage._sql import first_row, table_exists
from linkage.components import cluster
from linkage.model import HOME_KEY_SQL

__all__ = ["FAMILY_BLOCK_ROWS", "RULE_WEIGHTS", "explain_household", "group_households"]

#: How far apart (in rows of one file) two records of one listed family may be.
FAMILY_BLOCK_ROWS = 8

#: Vote weight of each rule that attaches a person without a KK to a household.
RULE_WEIGHTS: dict[str, int] = {"family block": 6, "dwelling": 3, "phone": 2, "surname": 1}

_KEYS = """, r.source, r.batch_id, r.row_number, r.last_name, r.kelurahan_code,
           CASE WHEN r.kelurahan_code IS NOT NULL AND r.rt_clean IS NOT NULL
                     AND r.rw_clean IS NOT NULL
                THEN r.kelurahan_code || '|' || r.rt_clean || '|' || r.rw_clean END AS block"""


def group_households(con: duckdb.DuckDBPyConnection, records: str, persons: str, out: str) -> None:
    """Write `out(record_key, cluster_key)` from `persons(record_key, cluster_key)`,
    and `household_evidence` for every record."""
    home = HOME_KEY_SQL.replace("street_clean", "r.street_clean").replace(
        "house_number_clean", "r.house_number_clean"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hh_rec AS
            SELECT r.record_key, p.cluster_key AS person, r.kk_clean AS kk,
                   {home} || '|' || coalesce(r.rt_clean, '') || '|'
                       || coalesce(r.rw_clean, '') || '|' || coalesce(r.kelurahan_code, '')
                       AS address_key,
                   r.phone_clean AS phone, r.relationship {_KEYS}
            FROM {records} r JOIN {persons} p USING (record_key)"""
    )
    _canonical_kk(con)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_person AS
           WITH counted AS (
               SELECT person, k.canonical AS kk, count(*) AS n, max(batch_id) AS latest,
                      max(CASE WHEN relationship IN ('KEPALA', 'ISTRI', 'SUAMI', 'PASANGAN')
                               THEN 2 WHEN relationship IS NOT NULL THEN 1 END) AS stage
               FROM _hh_rec JOIN _hh_kk k ON k.node = _hh_rec.kk GROUP BY ALL),
           cards AS (
               SELECT kk, count(*) AS holders,
                      try_strptime(substr(kk, 7, 6), '%d%m%y') AS issued
               FROM counted GROUP BY kk),
           ranked AS (
               SELECT counted.*, row_number() OVER (
                   PARTITION BY person
                   ORDER BY holders >= 2 DESC, stage DESC NULLS LAST, issued DESC NULLS LAST,
                            n DESC, latest DESC,
                            counted.kk) AS rank,
                   sum(n) OVER (PARTITION BY person) AS carried
               FROM counted JOIN cards USING (kk))
           SELECT p.person, 'K:' || r.kk AS household, r.kk, r.n, r.carried
           FROM (SELECT DISTINCT person FROM _hh_rec) p
           LEFT JOIN ranked r ON r.person = p.person AND r.rank = 1"""
    )
    _attach_orphans(con)
    _group_loose(con)
    con.execute(
        f"""CREATE OR REPLACE TABLE {out} AS
            SELECT r.record_key, g.cluster_key
            FROM _hh_rec r JOIN _hh_person p USING (person)
            JOIN _hh_groups g ON g.node = coalesce(p.household, 'P:' || p.person)"""
    )
    _write_evidence(con)


def _votes_sql(left: str, right: str) -> str:
    """(person, target, rule, via_record_key, fields) where a record of `left` agrees
    with a record of `right` by one of the household rules."""
    w = FAMILY_BLOCK_ROWS
    return f"""
        SELECT o.person, a.target, 'family block' AS rule, a.record_key AS via,
               'same file, ' || abs(o.row_number - a.row_number)
                   || ' rows apart, same RT/RW and kelurahan' AS fields
        FROM {left} o JOIN {right} a
          ON o.batch_id = a.batch_id AND o.block = a.block
         AND abs(o.row_number - a.row_number) <= {w} AND o.person <> a.person
         AND coalesce(o.address_key = a.address_key, true)
        UNION ALL
        SELECT o.person, a.target, 'dwelling', a.record_key,
               'street, house number, RT/RW, kelurahan'
        FROM {left} o JOIN {right} a
          ON o.address_key = a.address_key AND o.person <> a.person
        UNION ALL
        SELECT o.person, a.target, 'phone', a.record_key, 'phone ' || o.phone
        FROM {left} o JOIN {right} a ON o.phone = a.phone AND o.person <> a.person
        UNION ALL
        SELECT o.person, a.target, 'surname', a.record_key,
               'surname ' || o.last_name || ' at the same RT/RW and kelurahan'
        FROM {left} o JOIN {right} a
          ON o.block = a.block AND o.last_name = a.last_name AND o.person <> a.person"""


def _weights_sql() -> str:
    cases = " ".join(f"WHEN '{rule}' THEN {w}" for rule, w in RULE_WEIGHTS.items())
    return f"CASE rule {cases} END"


def _attach_orphans(con: duckdb.DuckDBPyConnection) -> None:
    """People without a KK join the household their records' neighbours vote for."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_orphan AS
           SELECT r.* FROM _hh_rec r JOIN _hh_person p USING (person)
           WHERE p.household IS NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_anchor AS
           SELECT r.*, p.household AS target FROM _hh_rec r JOIN _hh_person p USING (person)
           WHERE p.household IS NOT NULL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hh_votes AS
            WITH v AS ({_votes_sql("_hh_orphan", "_hh_anchor")})
            SELECT v.*, {_weights_sql()}
                   + CASE WHEN o.relationship IS NOT NULL THEN 1 ELSE 0 END AS score
            FROM v JOIN (SELECT person, max(relationship) AS relationship
                         FROM _hh_orphan GROUP BY 1) o USING (person)"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_attach AS
           WITH totals AS (
               SELECT person, target, sum(score) AS score,
                      arg_max(rule, score) AS rule, arg_max(via, score) AS via,
                      arg_max(fields, score) AS fields
               FROM _hh_votes GROUP BY ALL),
           best AS (
               SELECT *, row_number() OVER (
                   PARTITION BY person ORDER BY score DESC, target) AS rank
               FROM totals)
           SELECT person, target AS household, rule, via, fields, score
           FROM best WHERE rank = 1"""
    )
    con.execute(
        """UPDATE _hh_person SET household = a.household
           FROM _hh_attach a WHERE _hh_person.person = a.person
             AND _hh_person.household IS NULL"""
    )


def _group_loose(con: duckdb.DuckDBPyConnection) -> None:
    """`_hh_groups(node, cluster_key)`: households as they are, and people with no
    household grouped by the same rules among themselves."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_nodes AS
           SELECT DISTINCT coalesce(household, 'P:' || person) AS node FROM _hh_person"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_loose AS
            SELECT r.*, 'P:' || r.person AS target
            FROM _hh_rec r JOIN _hh_person p USING (person) WHERE p.household IS NULL"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hh_loose_votes AS
            WITH v AS ({_votes_sql("_hh_loose", "_hh_loose")})
            SELECT * FROM v WHERE rule <> 'surname'"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_edges AS
           SELECT DISTINCT 'P:' || person AS node_l, target AS node_r, 1.0 AS weight
           FROM _hh_loose_votes"""
    )
    cluster(con, "_hh_nodes", "_hh_edges", "_hh_groups")


def _write_evidence(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE OR REPLACE TABLE household_evidence AS
           WITH loose AS (
               SELECT person, arg_min(rule, rule) AS rule, arg_min(via, rule) AS via,
                      arg_min(fields, rule) AS fields
               FROM _hh_loose_votes GROUP BY 1)
           SELECT r.record_key,
                  CASE WHEN p.kk IS NOT NULL THEN 'kk'
                       WHEN a.person IS NOT NULL THEN a.rule
                       WHEN l.person IS NOT NULL THEN l.rule
                       ELSE 'alone' END AS rule,
                  coalesce(a.via, l.via) AS via_record_key,
                  CASE WHEN p.kk IS NOT NULL
                       THEN 'KK ' || p.kk || ' (shared with family; newest as head or spouse) on '
                            || p.n || ' of the person''s ' || p.carried || ' records with a KK'
                            || CASE WHEN r.kk IS NULL THEN '; this record has no KK'
                                    WHEN r.kk <> p.kk THEN '; this record has KK ' || r.kk
                                    ELSE '' END
                       WHEN a.person IS NOT NULL
                       THEN a.fields || ' (votes ' || a.score || ')'
                       WHEN l.person IS NOT NULL THEN l.fields
                       ELSE 'no KK, dwelling, family block or phone shared with anyone'
                  END AS detail
           FROM _hh_rec r JOIN _hh_person p USING (person)
           LEFT JOIN _hh_attach a USING (person)
           LEFT JOIN loose l USING (person)"""
    )


def explain_household(con: duckdb.DuckDBPyConnection, record_key: str) -> dict[str, Any] | None:
    """Why a record sits in its household: rule, the record it joined through, and
    the household's other records; None when the last `hub link` did not place it."""
    if not table_exists(con, "household_evidence"):
        return None
    row = first_row(
        con,
        """SELECT e.rule, e.via_record_key, e.detail, m.household_id
           FROM household_evidence e LEFT JOIN identity_map m USING (record_key)
           WHERE e.record_key = $k""",
        {"k": record_key},
    )
    if row is None:
        return None
    members = (
        [
            str(r[0])
            for r in con.execute(
                """SELECT record_key FROM identity_map WHERE household_id = $h
               AND record_key <> $k ORDER BY record_key""",
                {"h": row[3], "k": record_key},
            ).fetchall()
        ]
        if row[3] is not None
        else []
    )
    return {
        "record_key": record_key,
        "household_id": row[3],
        "rule": row[0],
        "via_record_key": row[1],
        "detail": row[2],
        "other_records": members,
    }


def _canonical_kk(con: duckdb.DuckDBPyConnection) -> None:
    """`_hh_kk(node, canonical)`: KK numbers one typo apart on one person or address."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _kk_nodes AS
           SELECT DISTINCT kk AS node FROM _hh_rec WHERE kk IS NOT NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _kk_edges AS
           WITH held AS (
               SELECT DISTINCT person, kk, address_key FROM _hh_rec WHERE kk IS NOT NULL)
           SELECT a.kk AS node_l, b.kk AS node_r, 1.0 AS weight
           FROM held a JOIN held b ON a.person = b.person AND a.kk < b.kk
           WHERE damerau_levenshtein(a.kk, b.kk) <= 1
           UNION
           SELECT a.kk, b.kk, 1.0
           FROM held a JOIN held b ON a.address_key = b.address_key AND a.kk < b.kk
           WHERE damerau_levenshtein(a.kk, b.kk) <= 1"""
    )
    cluster(con, "_kk_nodes", "_kk_edges", "_hh_kk_groups")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_kk AS
           SELECT node, cluster_key AS canonical FROM _hh_kk_groups"""
    )
