"""Running the `hub` command in tests: a fresh HUB_HOME pointed at the test Neo4j."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from simulator import generate_city


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
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def hub(env: dict[str, str], *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """Run `hub ARGS` and insist on exit `code`."""
    result = run_hub(env, *args)
    assert result.returncode == code, f"hub {' '.join(args)}:\n{result.stderr[-3000:]}"
    return result


def linked_city(
    factory: pytest.TempPathFactory,
    name: str,
    *,
    households: int,
    seed: int,
    foundations: int,
    link_threshold: float | None = None,
) -> tuple[dict[str, str], Path]:
    """A generated city ingested and linked (with training) by the `hub` CLI in a fresh
    HUB_HOME: (the environment to run `hub` in, the city's folder). `link_threshold`
    (HUB_LINK_THRESHOLD, kept in the environment) sends more pairs to the review queue."""
    city = factory.mktemp(f"{name}-city")
    generate_city(households=households, seed=seed, out=city, foundations=foundations)
    env = hub_env(factory.mktemp(f"{name}-home"))
    if link_threshold is not None:
        env["HUB_LINK_THRESHOLD"] = str(link_threshold)
    hub(env, "ingest", "--config", str(city / "config"))
    hub(env, "link", "--train")
    return env, city


@contextmanager
def served(env: dict[str, str], *args: str) -> Iterator[str]:
    """`hub serve ARGS` on a free port in its own process, until /health answers
    200: its base URL; stopped at the end."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"hub serve at {base} did not answer /health")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
