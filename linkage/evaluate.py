"""Pairwise precision, recall and F1 of the identity map against a truth file.

The truth file (CSV or Parquet) has `source, source_record_id, person_truth_id,
household_truth_id`, as the synthetic city generator writes it. Only records
present in both the identity map and the truth are scored. A pair of records is
predicted when they share an id, and true when they share a truth id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from linkage._sql import first_row, table_exists
from linkage.errors import LinkageError, TruthFileError

__all__ = ["Evaluation", "Scores", "evaluate", "pairwise_scores"]

TRUTH_COLUMNS = ("source", "source_record_id", "person_truth_id", "household_truth_id")


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int


@dataclass(frozen=True)
class Evaluation:
    persons: Scores
    households: Scores
    records: int


def evaluate(
    con: duckdb.DuckDBPyConnection, truth: Path, identities: str = "identity_map"
) -> Evaluation:
    """Score `identities` (default: the identity map of the last `hub link`)."""
    if not table_exists(con, identities):
        raise LinkageError(f"no {identities} to evaluate: run `hub link` first")
    _load_truth(con, Path(truth))
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _scored AS
            SELECT i.person_id, i.household_id, t.person_truth_id, t.household_truth_id
            FROM {identities} i JOIN _truth t USING (source, source_record_id)"""
    )
    records = first_row(con, "SELECT count(*) FROM _scored")
    return Evaluation(
        persons=pairwise_scores(con, "_scored", "person_id", "person_truth_id"),
        households=pairwise_scores(con, "_scored", "household_id", "household_truth_id"),
        records=int(records[0]) if records else 0,
    )


def pairwise_scores(
    con: duckdb.DuckDBPyConnection, table: str, predicted: str, actual: str
) -> Scores:
    row = first_row(
        con,
        f"""WITH
            both_ AS (SELECT count(*) AS n FROM {table} GROUP BY {predicted}, {actual}),
            pred AS (SELECT count(*) AS n FROM {table} GROUP BY {predicted}),
            real AS (SELECT count(*) AS n FROM {table} GROUP BY {actual})
            SELECT (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM both_),
                   (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM pred),
                   (SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM real)""",
    )
    correct, predicted_pairs, true_pairs = (int(v) for v in row) if row else (0, 0, 0)
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, true_pairs, predicted_pairs, correct)


def _load_truth(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    if not path.is_file():
        raise TruthFileError(f"truth file {path} not found: give the truth.csv of a generated city")
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    options = "" if reader == "read_parquet" else ", all_varchar = true, header = true"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _truth AS SELECT * FROM {reader}($path{options})",
            {"path": str(path)},
        )
    except duckdb.Error as err:
        raise TruthFileError(f"cannot read truth file {path}: {err}") from err
    columns = {row[0] for row in con.execute("DESCRIBE _truth").fetchall()}
    missing = [c for c in TRUTH_COLUMNS if c not in columns]
    if missing:
        raise TruthFileError(
            f"truth file {path} lacks column(s) {', '.join(missing)}; "
            f"it needs {', '.join(TRUTH_COLUMNS)}"
        )
