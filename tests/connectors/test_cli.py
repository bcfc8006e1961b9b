"""`hub ingest` and `hub quarantine` through the Typer factory the hub CLI mounts."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import typer
from typer.testing import CliRunner

from connectors.cli import make_ingest_commands
from tests.connectors.conftest import BUDI, SITI, WriteSource, csv_text


def make_app(db: Path, config_dir: Path) -> typer.Typer:
    app = typer.Typer()
    make_ingest_commands(app, lambda: duckdb.connect(str(db)), default_config=config_dir)
    return app


def test_ingest_json_and_quarantine(write_source: WriteSource, tmp_path: Path) -> None:
    config = write_source(csv_text(BUDI, SITI, "A3;;;;;;;"))
    app = make_app(tmp_path / "hub.duckdb", config.config_file.parent)
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.stdout)
    assert (summary["source"], summary["read"], summary["staged"], summary["quarantined"]) == (
        "yayasan-001", 3, 2, 1,
    )  # fmt: skip
    result = runner.invoke(app, ["ingest", "--source", "yayasan-001"])
    assert result.exit_code == 0 and "yayasan-001" in result.stdout
    result = runner.invoke(app, ["quarantine", "--json"])
    [row] = json.loads(result.stdout)
    assert row["reason"] == "no_identifying_field" and row["row_number"] == 4
    result = runner.invoke(app, ["quarantine"])
    assert "no_identifying_field" in result.stdout


def test_ingest_failure_exits_non_zero_with_the_reason(
    write_source: WriteSource, tmp_path: Path
) -> None:
    config = write_source(b"")
    app = make_app(tmp_path / "hub.duckdb", config.config_file.parent)
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 1
    assert "empty" in result.output
    result = CliRunner().invoke(app, ["ingest", "--source", "nope"])
    assert result.exit_code == 1 and "no source with id 'nope'" in result.output
