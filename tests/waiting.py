"""Waiting in tests for what a background task, thread, process or server does.

Poll the condition until it holds, for as long as a loaded 2-core CI machine
may need (`BUDGET_S`), and fail saying what never happened. The budget is a
bound on a hang, never a timing claim: on an idle machine the condition holds
within milliseconds and the wait costs nothing more. Never sleep a guessed
time and then assert, and never poll a short while and then go on anyway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

#: how long a wait may take before the test fails: a full suite on 2 cores,
#: with Neo4j, DuckDB and the other xdist worker all busy, stalls for seconds
BUDGET_S = 60.0


def wait_until(
    check: Callable[[], T], what: str, budget_s: float = BUDGET_S, pause_s: float = 0.01
) -> T:
    """`check()` once it is truthy (its value); AssertionError naming `what`
    after `budget_s` seconds of falsy answers."""
    deadline = time.monotonic() + budget_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {budget_s:.0f} s: {what}")
        time.sleep(pause_s)


async def until(
    check: Callable[[], T | Awaitable[T]],
    what: str,
    budget_s: float = BUDGET_S,
    pause_s: float = 0.01,
) -> T:
    """`wait_until` in the event loop: `check` may be a coroutine function,
    and the loop runs the app's tasks between two looks."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s
    while True:
        found = check()
        if isinstance(found, Awaitable):
            found = await found
        if found:
            return found
        if loop.time() >= deadline:
            raise AssertionError(f"waited {budget_s:.0f} s: {what}")
        await asyncio.sleep(pause_s)
