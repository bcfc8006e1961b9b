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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from linkage._sql import scalar

__all__ = ["block_pairs", "blocked_pairs_sql", "rule_sql"]


def rule_sql(rule: Any, dialect: str = "duckdb") -> tuple[str, tuple[str, ...]]:
    """A blocking rule as (SQL over `l` and `r`, arrays to explode first): from a
    string, a saved rule's dict ({'blocking_rule': ..., 'arrays_to_explode': [...]})
    or a Splink rule creator (`block_on`)."""
    if isinstance(rule, str):
        return rule, ()
    if isinstance(rule, dict):
        return str(rule["blocking_rule"]), tuple(rule.get("arrays_to_explode") or ())
    made = rule.get_blocking_rule(dialect)
    return str(made.blocking_rule_sql), tuple(getattr(made, "array_columns_to_explode", ()))


def _side(table: str, arrays: tuple[str, ...]) -> str:
    if not arrays:
        return table
    exploded = ", ".join(f'unnest(list_distinct("{a}")) AS "{a}"' for a in arrays)
    kept = ", ".join(f'"{a}"' for a in arrays)
    return f"(SELECT * EXCLUDE ({kept}), {exploded} FROM {table})"


def blocked_pairs_sql(table: str, rules: Sequence[Any], unique_id: str = "record_key") -> str:
    """SELECT (match_key, join_key_l, join_key_r): each pair of `table` that a
    rule finds, once, with the index of the first rule that finds it
    (join_key_l < join_key_r, as Splink's dedupe_only)."""
    joins = []
    for number, rule in enumerate(rules):
        sql, arrays = rule_sql(rule)
        side = _side(table, arrays)
        joins.append(
            f"""SELECT {number} AS match_key, l.{unique_id} AS join_key_l,
                       r.{unique_id} AS join_key_r
                FROM {side} AS l JOIN {side} AS r
                  ON ({sql}) AND l.{unique_id} < r.{unique_id}"""
        )
    stacked = "\nUNION ALL\n".join(joins)
    return f"""SELECT CAST(min(match_key) AS VARCHAR) AS match_key, join_key_l, join_key_r
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
