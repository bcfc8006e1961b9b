"""Candidate pairs for the person model, in one set-based DuckDB pass.

Splink blocks rule by rule, and keeps a pair of rule k only when no earlier rule
holds for it (`AND NOT (rule 1 OR ... OR rule k-1)` on every candidate): with
the model's seventeen rules most of the blocking time went to re-testing the
earlier rules. Here every rule is one equi-join over the few columns it reads,
the joins are stacked, and each pair is kept once with the first rule that
found it (`match_key`, as Splink numbers them). A rule with arrays to explode
(`block_on(..., arrays_to_explode=[...])`) joins one row per array element, so
"a word of the name in common" is an equi-join on the word. The pairs are the
same as Splink's; the table is handed to Splink
(`register_blocked_pairs_for_predict`), which scores them as it would its own.

Both engines block with this one definition: the Spark engine runs the same
statement in Spark SQL (`dialect="spark"`: rules written for DuckDB, such as a
saved model's, are translated by sqlglot, and arrays explode with `explode`), so
DuckDB and Spark score the same candidate pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from linkage._sql import scalar

__all__ = ["block_pairs", "blocked_pairs_sql", "rule_sql", "translate_sql"]


def rule_sql(rule: Any, dialect: str = "duckdb") -> tuple[str, tuple[str, ...]]:
    """A blocking rule as (SQL over `l` and `r` in `dialect`, arrays to explode
    first): from a string (written for DuckDB), a saved rule's dict
    ({'blocking_rule': ..., 'sql_dialect': ..., 'arrays_to_explode': [...]}) or a
    Splink rule creator (`block_on`)."""
    if isinstance(rule, str):
        return translate_sql(rule, "duckdb", dialect), ()
    if isinstance(rule, dict):
        written = str(rule.get("sql_dialect") or "duckdb")
        sql = translate_sql(str(rule["blocking_rule"]), written, dialect)
        return sql, tuple(rule.get("arrays_to_explode") or ())
    made = rule.get_blocking_rule(dialect)
    return str(made.blocking_rule_sql), tuple(getattr(made, "array_columns_to_explode", ()))


def translate_sql(sql: str, read: str, write: str) -> str:
    """`sql` (an expression) written for `read` as `write` reads it: DuckDB's
    "quoted" identifiers are Spark's `quoted` ones ("x" is a string in Spark)."""
    if read == write:
        return sql
    import sqlglot

    return str(sqlglot.transpile(sql, read=read, write=write)[0])


def _side(table: str, arrays: tuple[str, ...], dialect: str, columns: Sequence[str] | None) -> str:
    if not arrays:
        return table
    if dialect == "spark":
        if columns is None:
            raise ValueError("Spark blocking on arrays needs the table's columns")
        kept = ", ".join(f"`{c}`" for c in columns if c not in arrays)
        exploded = ", ".join(f"explode(array_distinct(`{a}`)) AS `{a}`" for a in arrays)
        return f"(SELECT {kept}, {exploded} FROM {table})"
    exploded = ", ".join(f'unnest(list_distinct("{a}")) AS "{a}"' for a in arrays)
    excluded = ", ".join(f'"{a}"' for a in arrays)
    return f"(SELECT * EXCLUDE ({excluded}), {exploded} FROM {table})"


def blocked_pairs_sql(
    table: str,
    rules: Sequence[Any],
    unique_id: str = "record_key",
    *,
    dialect: str = "duckdb",
    columns: Sequence[str] | None = None,
) -> str:
    """SELECT (match_key, join_key_l, join_key_r): each pair of `table` that a
    rule finds, once, with the index of the first rule that finds it
    (join_key_l < join_key_r, as Splink's dedupe_only). `dialect`: duckdb or
    spark; Spark needs the table's `columns` to explode an array."""
    joins = []
    for number, rule in enumerate(rules):
        sql, arrays = rule_sql(rule, dialect)
        side = _side(table, arrays, dialect, columns)
        joins.append(
            f"""SELECT {number} AS match_key, l.{unique_id} AS join_key_l,
                       r.{unique_id} AS join_key_r
                FROM {side} AS l JOIN {side} AS r
                  ON ({sql}) AND l.{unique_id} < r.{unique_id}"""
        )
    stacked = "\nUNION ALL\n".join(joins)
    text = "STRING" if dialect == "spark" else "VARCHAR"
    return f"""SELECT CAST(min(match_key) AS {text}) AS match_key, join_key_l, join_key_r
               FROM ({stacked}) GROUP BY join_key_l, join_key_r"""


def block_pairs(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rules: Sequence[Any],
    out: str,
    unique_id: str = "record_key",
) -> int:
    """Write `out(match_key, join_key_l, join_key_r)` (see `blocked_pairs_sql`);
    return its number of pairs."""
    con.execute(
        f"CREATE OR REPLACE TABLE {out} AS {blocked_pairs_sql(table, rules, unique_id)}"
    ).fetchall()
    return scalar(con, f"SELECT count(*) FROM {out}")
