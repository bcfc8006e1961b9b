"""`hub status [--json]`: sources, linkage, graph and health, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hubcli import hub_env
from hubcli import run_hub as hub

from simulator import generate_city


def test_empty_home_is_unhealthy_and_says_what_to_run(tmp_path: Path) -> None:
    result = hub(hub_env(tmp_path), "status", "--json")
    assert result.returncode == 1
    status = json.loads(result.stdout)
    assert status["duckdb"]["healthy"] is False
    assert "hub ingest" in status["duckdb"]["error"]
    assert status["sources"] == [] and status["neo4j"]["healthy"] is True


@pytest.mark.slow
def test_status_after_ingest_lists_every_source(tmp_path: Path) -> None:
    city = tmp_path / "city"
    generate_city(households=40, seed=2, out=city, foundations=2)
    env = hub_env(tmp_path / "home")
    assert hub(env, "ingest", "--config", str(city / "config")).returncode == 0
    result = hub(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    ids = {s["id"] for s in status["sources"]}
    assert {"dtks", "disdukcapil", "p3ke"} <= ids
    for s in status["sources"]:
        assert s["read"] == s["staged"] + s["quarantined"]
        assert s["last_ingested_at"] and s["last_attempt"] == "ok"
    assert status["duckdb"]["healthy"] and status["linkage"] == {"linked": False}
    assert isinstance(status["neo4j"]["nodes"], dict)
    text = hub(env, "status")
    assert text.returncode == 0 and "DuckDB healthy" in text.stdout and "dtks" in text.stdout
    assert "servers: read " in text.stdout  # the routing table (issue 17)


def test_unreachable_neo4j_is_reported_not_raised(tmp_path: Path) -> None:
    result = hub(hub_env(tmp_path, neo4j="bolt://127.0.0.1:1"), "status", "--json")
    assert result.returncode == 1
    status = json.loads(result.stdout)
    assert status["neo4j"]["healthy"] is False and status["neo4j"]["error"]
