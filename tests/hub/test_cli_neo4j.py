"""`hub neo4j start|stop|status` against a second, throw-away local Neo4j."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

HUB = [sys.executable, "-m", "hub"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(home: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "HUB_"))}
    env |= {
        "HUB_HOME": str(home),
        "HUB_NEO4J_PORT": str(port),
        "HUB_NEO4J_HEAP": "512m",
        "HUB_NEO4J_PAGECACHE_MB": "64",
    }
    return subprocess.run([*HUB, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_start_twice_status_and_stop(tmp_path: Path) -> None:
    port = free_port()
    try:
        first = run(tmp_path, port, "neo4j", "start")
        assert first.returncode == 0, first.stderr
        assert "started" in first.stdout
        second = run(tmp_path, port, "neo4j", "start")
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        status = run(tmp_path, port, "neo4j", "status")
        assert status.returncode == 0
        assert "answering" in status.stdout
        assert (tmp_path / "logs" / "neo4j.pid").exists()
    finally:
        stopped = run(tmp_path, port, "neo4j", "stop")
    assert stopped.returncode == 0
    assert "stopped" in stopped.stdout
    after = run(tmp_path, port, "neo4j", "status")
    assert after.returncode == 1
    assert "not running" in after.stdout
    assert not (tmp_path / "logs" / "neo4j.pid").exists()


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = run(tmp_path, port, "neo4j", "start")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert f"port {port}" in result.stderr and "taken" in result.stderr


def test_missing_java_is_one_clear_line(tmp_path: Path) -> None:
    env = {
        "PATH": str(tmp_path),
        "HUB_HOME": str(tmp_path),
        "JAVA_HOME": str(tmp_path / "no"),
        "HUB_NEO4J_PORT": str(free_port()),
    }
    result = subprocess.run(
        [*HUB, "neo4j", "start"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "Java" in result.stderr


def test_unknown_option_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(tmp_path, free_port(), "neo4j", "start", "--frobnicate")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hub: error: No such option: --frobnicate (see `hub neo4j start --help`)"
    )


def test_stop_when_nothing_runs_is_harmless(tmp_path: Path) -> None:
    result = run(tmp_path, free_port(), "neo4j", "stop")
    assert result.returncode == 0
    assert "not running" in result.stdout
