#!/usr/bin/env bash
# Set up a fresh checkout: the .venv, the hub package with its dev tools, and the
# Maven-built local Neo4j launcher. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: $1 is not installed: $2" >&2; exit 1; }; }
need python3 "install Python 3.11+"
need java "install a JDK 17 or 21 (Neo4j 5.26 runs on both), or set NEO4J_URI to an external Neo4j"
need mvn "install Maven 3.8+ (it builds the local Neo4j launcher), or set NEO4J_URI"

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.satupintu-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing the hub and its dev tools into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  touch "$stamp"
fi
launcher_class=graph/launcher/target/classes/org/satupintu/neo4j/Launcher.class
launcher_src=graph/launcher/src/main/java/org/satupintu/neo4j/Launcher.java
if [ -z "${NEO4J_URI:-}" ] && { [ ! -f "$launcher_class" ] || [ "$launcher_src" -nt "$launcher_class" ] || [ graph/launcher/pom.xml -nt "$launcher_class" ]; }; then
  echo "setup: building the local Neo4j launcher (Maven; first time and after it changes)"
  (cd graph/launcher && mvn -q -B package -DskipTests)
fi
# The test command's own tools, from Debian's packages: headless Chromium for the browser
# tests and LibreOffice for the report's "opens in LibreOffice" check. `scripts/test.sh`
# asks for them with --test; they are installed as root, or through sudo when it needs no
# password, and a clear line says what to run when neither is possible.
if [ "${1:-}" = "--test" ]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium chromium-driver)
  command -v libreoffice >/dev/null || missing+=(libreoffice-calc)
  # PostgreSQL's server binaries: scripts/test.sh runs the store tests on a throw-away cluster
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      as_root=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      as_root=(sudo -n)
    else
      echo "setup: the tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}' once" >&2
      exit 1
    fi
    echo "setup: installing ${missing[*]} for the tests (Debian packages)"
    "${as_root[@]}" apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
  # axe-core, the accessibility checker the console's browser tests run in the page
  # (npm's package, into a git-ignored folder; the tests fail clearly without it)
  if [ ! -f .browser-tools/node_modules/axe-core/axe.min.js ]; then
    need npm "install Node.js and npm (apt-get install npm): the browser tests fetch axe-core with it"
    echo "setup: fetching axe-core for the browser tests (npm)"
    npm install --silent --no-audit --no-fund --prefix .browser-tools "axe-core@^4" >/dev/null
  fi
fi
