"""Running the `hub` command in tests: a fresh HUB_HOME pointed at the test Neo4j."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def hub_env(home: Path, neo4j: str | None = None) -> dict[str, str]:
    """The test process's environment without HUB_* settings, with HUB_HOME set
    and the hub pointed at the test Neo4j (or at `neo4j`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["HUB_HOME"] = str(home)
    env["NEO4J_URI"] = neo4j or os.environ.get("NEO4J_TEST_URI", "bolt://127.0.0.1:7687")
    env["NEO4J_USER"] = os.environ.get("NEO4J_TEST_USER", "neo4j")
    env["NEO4J_PASSWORD"] = os.environ.get("NEO4J_TEST_PASSWORD", "")
    env["COLUMNS"] = "200"
    return env


def run_hub(
    env: dict[str, str], *args: str, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def hub(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """Run `hub ARGS` and insist on exit `code`."""
    result = run_hub(env, *args)
    assert result.returncode == code, f"hub {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result
