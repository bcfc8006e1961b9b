#!/usr/bin/env bash
# Set up, then `hub demo`: a synthetic Bandung is generated, ingested, linked and
# loaded into the local Neo4j, and the GraphQL server starts (Ctrl-C to stop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/hub demo "$@"
