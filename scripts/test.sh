#!/usr/bin/env bash
# Set up, start a throw-away local Neo4j, run ruff, mypy and pytest, stop Neo4j.
# Graph tests talk to that real server; they fail (never skip) when it is down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

export HUB_HOME="${HUB_TEST_HOME:-$PWD/.hub-test}"
export HUB_NEO4J_PORT="${HUB_TEST_NEO4J_PORT:-7697}"
export HUB_NEO4J_HEAP="${HUB_NEO4J_HEAP:-2g}"
export HUB_NEO4J_PAGECACHE_MB="${HUB_NEO4J_PAGECACHE_MB:-512}"
unset HUB_CONFIG

if [ -z "${NEO4J_TEST_URI:-}" ]; then
  # a fixed test password, so tests and the server agree; the server is loopback-only
  export NEO4J_PASSWORD="${NEO4J_TEST_PASSWORD:-satupintu-test}"
  export NEO4J_TEST_PASSWORD="$NEO4J_PASSWORD"
  export NEO4J_TEST_URI="bolt://127.0.0.1:${HUB_NEO4J_PORT}"
  trap '.venv/bin/hub neo4j stop || true' EXIT
  .venv/bin/hub neo4j start

fi

echo "== ruff";  .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy";  .venv/bin/mypy
# two workers (HUB_TEST_WORKERS): one runs every test that uses the test Neo4j, in
# order; the other the tests that never touch it (tests/conftest.py groups them)
echo "== pytest"; .venv/bin/python -m pytest -q -n "${HUB_TEST_WORKERS:-2}" "$@"
