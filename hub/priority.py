"""The batch commands yield the CPU to the server.

An office refreshes while `hub serve` answers partners. On a small machine the
refresh (DuckDB's set-based work, the loader's batches) would take every core
and the API's latency with it, so the commands that refresh data lower their
own scheduling priority by `refresh_nice` (`HUB_REFRESH_NICE`, default 10):
they still use every idle cycle, and are only slowed while the server is busy.
"""

from __future__ import annotations

import os

from hub.settings import Settings

# The `hub` commands that rewrite staging, the graph or the report files.
REFRESH_COMMANDS = frozenset({"generate", "ingest", "link", "load", "report"})


def yield_to_server(command: str | None, settings: Settings) -> int:
    """Lower this process's priority when `command` refreshes data; the
    niceness it runs at afterwards."""
    if command in REFRESH_COMMANDS and settings.refresh_nice:
        return os.nice(settings.refresh_nice)
    return os.nice(0)
