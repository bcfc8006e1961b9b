"""Running the `hub` command in tests: a fresh HUB_HOME pointed at the test Neo4j."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
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


#: how long `hub serve` may take to answer: imports, the linkage services and the
#: graph on a loaded 2-core machine (a bound on a hang, not a timing claim)
SERVE_BUDGET_S = 180.0

_RUNNING = re.compile(rb"Uvicorn running on http://[^:]+:(\d+)")


@contextmanager
def served(env: dict[str, str], *args: str) -> Iterator[str]:
    """`hub serve ARGS` in its own process, until /health answers 200: its base
    URL; stopped at the end. The server binds a free port itself (`--port 0`)
    and names it in its log: a port picked here and bound there could be taken
    in between (by an outgoing connection, another test's server), and the
    health check would then reach that other server."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        # a file, not a pipe nobody reads (a chatty server would stall on it)
        with log.open("ab") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "hub", "serve", "--port", "0", *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        try:
            yield _answering(proc, log)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def _answering(proc: subprocess.Popen[bytes], log: Path) -> str:
    """The server's base URL once its port is in the log and /health says 200."""

    def said() -> str:
        return log.read_bytes().decode(errors="replace")[-3000:]

    deadline = time.monotonic() + SERVE_BUDGET_S
    base = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"hub serve ended (code {proc.returncode}):\n{said()}")
        if base is None:
            found = _RUNNING.search(log.read_bytes())
            base = f"http://127.0.0.1:{int(found[1])}" if found else None
        if base is not None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    return base
        time.sleep(0.2)
    pytest.fail(f"hub serve did not answer /health in {SERVE_BUDGET_S:.0f} s:\n{said()}")
