"""Households (rumah tangga): group linked people into families.

Evidence, strongest first:

1. the KK (Kartu Keluarga, family card) number: people whose records carry the
   same KK are one household. A person's KK is the one most of their records
   carry, so one record with a mistyped NIK or KK does not move them; two KK
   numbers one typo apart held by the same person, or at the same address, are
   treated as one card;
2. for people with no KK anywhere: the household whose members share their exact
   address (street, number, RT/RW, kelurahan) or phone; the relationship to the
   head of family, when given, strengthens the evidence;
3. people with neither: grouped with others at the same address or phone, or alone.

When a family splits and members' records carry a new KK, they form a new household.
"""

from __future__ import annotations

import duckdb

from linkage.components import cluster
from linkage.model import HOME_KEY_SQL

__all__ = ["group_households"]


def group_households(con: duckdb.DuckDBPyConnection, records: str, persons: str, out: str) -> None:
    """Write `out(record_key, cluster_key)` from `persons(record_key, cluster_key)`."""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _hh_rec AS
            SELECT r.record_key, p.cluster_key AS person, r.kk_clean AS kk,
                   {HOME_KEY_SQL} || '|' || r.rt_clean || '|' || r.rw_clean AS address_key,
                   r.phone_clean AS phone, r.relationship, r.batch_id
            FROM {records} r JOIN {persons} p USING (record_key)"""
    )
    _canonical_kk(con)
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_person AS
           WITH counted AS (
               SELECT person, k.canonical AS kk, count(*) AS n, max(batch_id) AS latest
               FROM _hh_rec JOIN _hh_kk k ON k.node = _hh_rec.kk GROUP BY ALL),
           ranked AS (
               SELECT *, row_number() OVER (
                   PARTITION BY person ORDER BY n DESC, latest DESC, kk) AS rank
               FROM counted)
           SELECT p.person, 'K:' || r.kk AS household
           FROM (SELECT DISTINCT person FROM _hh_rec) p
           LEFT JOIN ranked r ON r.person = p.person AND r.rank = 1"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_attach AS
           WITH orphan AS (
               SELECT r.* FROM _hh_rec r JOIN _hh_person p USING (person)
               WHERE p.household IS NULL),
           anchored AS (
               SELECT r.*, p.household FROM _hh_rec r JOIN _hh_person p USING (person)
               WHERE p.household IS NOT NULL),
           shared AS (
               SELECT o.person, a.household, o.relationship FROM orphan o
               JOIN anchored a ON o.address_key = a.address_key
               UNION ALL
               SELECT o.person, a.household, o.relationship FROM orphan o
               JOIN anchored a ON o.phone = a.phone),
           votes AS (
               SELECT person, household,
                      sum(2 + CASE WHEN relationship IS NOT NULL THEN 1 ELSE 0 END) AS score
               FROM shared GROUP BY ALL),
           best AS (
               SELECT *, row_number() OVER (
                   PARTITION BY person ORDER BY score DESC, household) AS rank
               FROM votes)
           SELECT person, household FROM best WHERE rank = 1"""
    )
    con.execute(
        """UPDATE _hh_person SET household = a.household
           FROM _hh_attach a WHERE _hh_person.person = a.person
             AND _hh_person.household IS NULL"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_nodes AS
           SELECT DISTINCT coalesce(household, 'P:' || person) AS node FROM _hh_person"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_edges AS
           WITH loose AS (
               SELECT r.address_key, r.phone, 'P:' || p.person AS node
               FROM _hh_rec r JOIN _hh_person p USING (person) WHERE p.household IS NULL)
           SELECT DISTINCT a.node AS node_l, b.node AS node_r, 1.0 AS weight
           FROM loose a JOIN loose b ON a.address_key = b.address_key AND a.node < b.node
           UNION
           SELECT a.node, b.node, 1.0
           FROM loose a JOIN loose b ON a.phone = b.phone AND a.node < b.node"""
    )
    cluster(con, "_hh_nodes", "_hh_edges", "_hh_groups")
    con.execute(
        f"""CREATE OR REPLACE TABLE {out} AS
            SELECT r.record_key, g.cluster_key
            FROM _hh_rec r JOIN _hh_person p USING (person)
            JOIN _hh_groups g ON g.node = coalesce(p.household, 'P:' || p.person)"""
    )


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
    cluster(con, "_kk_nodes", "_kk_edges", "_kk_groups")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _hh_kk AS
           SELECT node, cluster_key AS canonical FROM _kk_groups"""
    )
