from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import typer
from linkage_city import mini_city, stage
from typer.testing import CliRunner

from linkage import LinkageError, explain_pair, export_identities, run_linkage
from linkage.cli import make_linkage_commands
from linkage.explain import write_qa_report


@pytest.fixture
def linked(con: duckdb.DuckDBPyConnection, model_dir: Path) -> duckdb.DuckDBPyConnection:
    rows, _ = mini_city(households=30, seed=61)
    stage(con, rows)
    run_linkage(con, model_dir)
    return con


def test_every_link_is_explained_field_by_field(linked: duckdb.DuckDBPyConnection) -> None:
    left, right = linked.execute(
        "SELECT record_key_l, record_key_r FROM link_evidence ORDER BY match_probability DESC"
    ).fetchall()[0]
    explanation = explain_pair(linked, right, left)
    assert explanation is not None
    assert explanation["match_probability"] > 0.95
    by_name = {c["comparison"]: c for c in explanation["comparisons"]}
    assert set(by_name) == {"nik", "name", "birth_date", "sex", "household"}
    name = by_name["name"]
    assert name["level"] and isinstance(name["match_weight"], float)
    assert len(name["values"]["name_clean"]) == 2
    assert explain_pair(linked, "x:1", "y:2") is None


def test_qa_report_has_splink_charts_and_evaluation(
    linked: duckdb.DuckDBPyConnection, model_dir: Path, tmp_path: Path
) -> None:
    truth = tmp_path / "truth.csv"
    rows = linked.execute(
        "SELECT source, source_record_id FROM identity_map ORDER BY 1, 2"
    ).fetchall()
    with truth.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "source_record_id", "person_truth_id", "household_truth_id"])
        for source, record_id in rows:
            person = record_id.removeprefix("y-")
            writer.writerow([source, record_id, person, person.split("-")[0]])
    report = write_qa_report(linked, model_dir, tmp_path / "qa" / "linkage.html", truth=truth)
    page = report.read_text()
    for part in (
        "Match weights",
        "Waterfall",
        "Evaluation",
        "linkage-comparison-viewer.html",
        "linkage-cluster-studio.html",
    ):
        assert part in page
    assert (tmp_path / "qa" / "linkage-cluster-studio.html").stat().st_size > 1000


def test_export_identities_as_csv_and_parquet(
    linked: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    count = export_identities(linked, tmp_path / "out.csv")
    with (tmp_path / "out.csv").open() as handle:
        header = next(csv.reader(handle))
    assert header == [
        "source",
        "source_record_id",
        "person_id",
        "household_id",
        "match_probability",
    ]
    export_identities(linked, tmp_path / "out.parquet")
    parquet = linked.execute(
        f"SELECT count(*) FROM read_parquet('{tmp_path / 'out.parquet'}')"
    ).fetchall()
    assert parquet == [(count,)]
    with pytest.raises(LinkageError, match=r"\.csv or \.parquet"):
        export_identities(linked, tmp_path / "out.xlsx")


def test_cli_commands(linked: duckdb.DuckDBPyConnection, model_dir: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    make_linkage_commands(app, lambda: linked, lambda: model_dir)
    runner = CliRunner()
    result = runner.invoke(app, ["link"])
    assert result.exit_code == 0, result.output
    assert "households" in result.output
    assert runner.invoke(app, ["review", "list"]).exit_code == 0
    out = tmp_path / "ids.csv"
    result = runner.invoke(app, ["export", "identities", "--out", str(out)])
    assert result.exit_code == 0 and out.exists()
    result = runner.invoke(app, ["review", "decide", "nope", "same"])
    assert isinstance(result.exception, LinkageError)


def test_any_pair_can_be_explained_with_the_saved_model(
    linked: duckdb.DuckDBPyConnection, model_dir: Path
) -> None:
    a, b = "dtks:p0-0", "dtks:p5-1"
    assert explain_pair(linked, a, b) is None
    explanation = explain_pair(linked, a, b, model_dir=model_dir)
    assert explanation is not None
    assert explanation["match_probability"] < 0.5
    assert {c["comparison"] for c in explanation["comparisons"]} >= {"name", "birth_date"}
