"""Why two records were linked: field-by-field evidence and match weights.

`link_evidence` holds, for every pair at or above the review band, one JSON object
per comparison: the comparison, the level that applied (as labelled in the model),
its match weight (log2 Bayes factor, Splink's `mw_` columns) and the two values.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from linkage._sql import first_row

__all__ = ["COMPARISON_VALUES", "explain_pair", "level_labels", "write_link_evidence"]

#: The standardised values shown next to each comparison's evidence.
COMPARISON_VALUES: dict[str, tuple[str, ...]] = {
    "nik": ("nik_clean",),
    "name": ("name_clean",),
    "birth_date": ("birth_date", "nik_birth_date"),
    "sex": ("sex",),
    "household": ("kk_clean", "home_key", "phone_clean"),
}


def level_labels(settings: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(comparison, gamma value, label) for every level of a saved Splink model."""
    out: list[tuple[str, int, str]] = []
    for comparison in settings.get("comparisons", []):
        name = comparison["output_column_name"]
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        for level in levels:
            null = bool(level.get("is_null_level"))
            gamma = -1 if null else len(non_null) - 1 - non_null.index(level)
            label = level.get("label_for_charts") or level.get("sql_condition", "")
            out.append((name, gamma, str(label)))
    return out


def _evidence_sql(settings: dict[str, Any], columns: set[str]) -> str:
    parts = []
    for comparison in settings.get("comparisons", []):
        name = comparison["output_column_name"]
        if f"gamma_{name}" not in columns:
            continue
        values = ", ".join(
            f'\'{col}\', [CAST("{col}_l" AS VARCHAR), CAST("{col}_r" AS VARCHAR)]'
            for col in COMPARISON_VALUES.get(name, ())
            if f"{col}_l" in columns
        )
        weight = f'"mw_{name}"' if f"mw_{name}" in columns else "NULL"
        if f"mw_tf_adj_{name}" in columns:
            weight = f'({weight} + coalesce("mw_tf_adj_{name}", 0))'
        parts.append(
            f"""json_object('comparison', '{name}',
                   'level', (SELECT label FROM _levels
                             WHERE comparison = '{name}' AND gamma = "gamma_{name}"),
                   'match_weight', round({weight}, 3),
                   'values', json_object({values}))"""
        )
    return "json_array(" + ", ".join(parts) + ")" if parts else "json_array()"


def write_link_evidence(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    threshold: float,
    pairs: str = "linkage_pairs",
) -> None:
    """(Re)build `link_evidence` from the scored pairs of the last run."""
    _register_levels(con, settings)
    columns = {row[0] for row in con.execute(f"DESCRIBE {pairs}").fetchall()}
    con.execute(
        f"""CREATE OR REPLACE TABLE link_evidence AS
            SELECT least(record_key_l, record_key_r) AS record_key_l,
                   greatest(record_key_l, record_key_r) AS record_key_r,
                   match_probability, match_weight,
                   {_evidence_sql(settings, columns)} AS evidence
            FROM {pairs} WHERE match_probability >= {float(threshold)}"""
    )


def explain_pair(
    con: duckdb.DuckDBPyConnection, record_key_a: str, record_key_b: str
) -> dict[str, Any] | None:
    """The evidence for a scored pair, or None when the model never compared them."""
    left, right = sorted((record_key_a, record_key_b))
    row = first_row(
        con,
        """SELECT match_probability, match_weight, evidence FROM link_evidence
           WHERE record_key_l = $l AND record_key_r = $r""",
        {"l": left, "r": right},
    )
    if row is None:
        return None
    return {
        "record_key_l": left,
        "record_key_r": right,
        "match_probability": row[0],
        "match_weight": row[1],
        "comparisons": json.loads(row[2]),
    }


def _register_levels(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _levels (comparison VARCHAR, gamma INTEGER, label VARCHAR)"
    )
    con.executemany("INSERT INTO _levels VALUES (?, ?, ?)", level_labels(settings))
