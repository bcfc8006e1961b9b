from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from linkage import TruthFileError, evaluate


def _identity_map(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """CREATE TABLE identity_map AS SELECT * FROM (VALUES
            ('s', '1', 'P1', 'H1'), ('s', '2', 'P1', 'H1'), ('s', '3', 'P1', 'H1'),
            ('s', '4', 'P2', 'H1'), ('s', '5', 'P3', 'H2'))
            AS t(source, source_record_id, person_id, household_id)"""
    )


def test_pairwise_scores_on_a_hand_made_truth(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    _identity_map(con)
    truth = tmp_path / "truth.csv"
    truth.write_text(
        "source,source_record_id,person_truth_id,household_truth_id\n"
        "s,1,A,X\ns,2,A,X\ns,3,B,X\ns,4,B,X\ns,5,C,Y\n"
    )
    result = evaluate(con, truth)
    # predicted person pairs: 12 13 23 (3); true: 12 34 (2); correct: 12 (1)
    assert result.persons.precision == pytest.approx(1 / 3)
    assert result.persons.recall == pytest.approx(1 / 2)
    assert result.persons.f1 == pytest.approx(0.4)
    # households: predicted {1,2,3,4},{5} = 6 pairs, true the same
    assert (result.households.precision, result.households.recall) == (1.0, 1.0)
    assert result.records == 5


def test_truth_without_the_needed_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    _identity_map(con)
    truth = tmp_path / "truth.csv"
    truth.write_text("source,source_record_id\ns,1\n")
    with pytest.raises(TruthFileError, match="person_truth_id"):
        evaluate(con, truth)
