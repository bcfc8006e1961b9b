#!/usr/bin/env bash
# Set up, start a throw-away local Neo4j and a throw-away PostgreSQL, run ruff, mypy
# and pytest, stop both. Graph tests talk to that Neo4j and the store tests run on
# SQLite and on that PostgreSQL; they fail (never skip) when a server is down.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

export HUB_HOME="${HUB_TEST_HOME:-$PWD/.hub-test}"
export HUB_NEO4J_PORT="${HUB_TEST_NEO4J_PORT:-7697}"
export HUB_NEO4J_HEAP="${HUB_NEO4J_HEAP:-2g}"
export HUB_NEO4J_PAGECACHE_MB="${HUB_NEO4J_PAGECACHE_MB:-512}"
unset HUB_CONFIG HUB_DATABASE_URL HUB_DATABASE_SCHEMA

# What to stop on exit, in one trap: the test Neo4j and the test PostgreSQL.
stop_neo4j=""
pgdata=""
cleanup() {
  if [ -n "$stop_neo4j" ]; then .venv/bin/hub neo4j stop || true; fi
  if [ -n "$pgdata" ]; then
    pg_as_owner "$PGBIN/pg_ctl" -D "$pgdata/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdata"
  fi
}
trap cleanup EXIT

if [ -z "${NEO4J_TEST_URI:-}" ]; then
  # a fixed test password, so tests and the server agree; the server is loopback-only
  export NEO4J_PASSWORD="${NEO4J_TEST_PASSWORD:-satupintu-test}"
  export NEO4J_TEST_PASSWORD="$NEO4J_PASSWORD"
  export NEO4J_TEST_URI="bolt://127.0.0.1:${HUB_NEO4J_PORT}"
  stop_neo4j=1
  .venv/bin/hub neo4j start
fi

# PostgreSQL from Debian's package (scripts/setup.sh --test installs it): a cluster of
# its own in a temporary folder, on a Unix socket in that folder and a port no usual
# cluster takes (HUB_TEST_PG_PORT, 55433), never Debian's `main` cluster. PostgreSQL
# refuses to run as root, so as root it runs as the `postgres` user.
pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ -z "${HUB_TEST_DATABASE_URL:-}" ]; then
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "test: PostgreSQL's initdb is missing: run 'apt-get install postgresql' (scripts/setup.sh --test does as root)" >&2
    exit 1
  fi
  pgport="${HUB_TEST_PG_PORT:-55433}"
  pgdata=$(mktemp -d /tmp/satupintu-pg.XXXXXX)
  chmod 755 "$pgdata"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pgdata"; fi
  pg_as_owner "$PGBIN/initdb" -D "$pgdata/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
  pg_as_owner "$PGBIN/pg_ctl" -D "$pgdata/data" -w -l "$pgdata/log" \
    -o "-p $pgport -k $pgdata -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null
  export HUB_TEST_DATABASE_URL="postgresql://postgres@/postgres?host=$pgdata&port=$pgport"
  echo "== PostgreSQL for the store tests: $pgdata (port $pgport)"
fi

echo "== ruff";  .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy";  .venv/bin/mypy
# two workers (HUB_TEST_WORKERS): one runs every test that uses the test Neo4j, in
# order; the other the tests that never touch it (tests/conftest.py groups them)
echo "== pytest"; .venv/bin/python -m pytest -q -n "${HUB_TEST_WORKERS:-2}" "$@"
