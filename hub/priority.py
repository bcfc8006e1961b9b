"""The batch commands yield the CPU to the server.

An office refreshes while `hub serve` answers partners. On a small machine the
refresh (DuckDB's set-based work, the loader's batches) would take every core
and the API's latency with it, so the commands that refresh data lower their
own scheduling priority by `refresh_nice` (`HUB_REFRESH_NICE`, default 10):
they still use every idle cycle, and are only slowed while the server is busy.

The server's own share of a refresh yields too: when a new staging generation
is published, each server process opens it and builds its real-time linker
(hundreds of thousands of records copied, indexed and scored for term
frequencies) in a thread of its own that runs at the same lowered priority
(`in_yielding_thread`); the DuckDB worker threads it starts inherit that.
Requests on the event loop keep the CPU meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Callable
from typing import TypeVar

from hub.settings import Settings

T = TypeVar("T")

# The `hub` commands that rewrite staging, the graph or the report files.
REFRESH_COMMANDS = frozenset({"generate", "ingest", "link", "load", "report"})


def yield_to_server(command: str | None, settings: Settings) -> int:
    """Lower this process's priority when `command` refreshes data; the
    niceness it runs at afterwards."""
    if command in REFRESH_COMMANDS and settings.refresh_nice:
        return os.nice(settings.refresh_nice)
    return os.nice(0)


async def in_yielding_thread(work: Callable[[], T], nice: int, name: str) -> T:
    """Run `work` in a new thread whose priority is lowered by `nice` (Linux
    schedules threads one by one), and await its result. A new thread, not the
    default pool's: a pool thread would keep the lowered priority for whatever
    it runs next (an audit write, a key look-up)."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not done.cancelled():
            outcome()

    def tell(outcome: Callable[[], None]) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, outcome)

    def run() -> None:
        try:
            if nice:
                me = threading.get_native_id()
                os.setpriority(os.PRIO_PROCESS, me, os.getpriority(os.PRIO_PROCESS, me) + nice)
            result = work()
        except BaseException as exc:
            tell(functools.partial(done.set_exception, exc))
        else:
            tell(functools.partial(done.set_result, result))

    threading.Thread(target=run, name=name, daemon=True).start()
    return await done
