"""Refresh commands run below the server's priority (HUB_REFRESH_NICE)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from hub.errors import ConfigError
from hub.priority import in_yielding_thread
from hub.settings import load_settings

_PROBE = """
import os, sys
from hub.priority import yield_to_server
from hub.settings import load_settings
before = os.nice(0)
after = yield_to_server(sys.argv[1], load_settings(environ={{"HUB_REFRESH_NICE": "{nice}"}},
                                                      toml_path=__import__("pathlib").Path("none")))
print(after - before)
"""


def _lowered_by(command: str, nice: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(nice=nice), command],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


@pytest.mark.parametrize("command", ["ingest", "link", "load", "report", "generate"])
def test_refresh_commands_lower_their_priority_by_the_setting(command: str) -> None:
    assert _lowered_by(command, 7) == 7


@pytest.mark.parametrize("command", ["serve", "status", "demo", "keys"])
def test_the_server_and_interactive_commands_keep_their_priority(command: str) -> None:
    assert _lowered_by(command, 7) == 0


def test_zero_turns_it_off() -> None:
    assert _lowered_by("link", 0) == 0


def test_the_default_is_ten_and_a_bad_value_is_a_clear_error(tmp_path: Path) -> None:
    assert load_settings(environ={}, toml_path=tmp_path / "none.toml").refresh_nice == 10
    with pytest.raises(ConfigError, match="refresh_nice"):
        load_settings(environ={"HUB_REFRESH_NICE": "25"}, toml_path=tmp_path / "none.toml")


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_yielding_thread_runs_below_the_caller_and_the_caller_keeps_its_priority() -> None:
    before = _niceness()
    seen = asyncio.run(in_yielding_thread(_niceness, 5, "probe"))
    assert seen == min(19, before + 5)
    assert _niceness() == before  # the event loop's thread is untouched


def test_a_yielding_thread_hands_back_its_error() -> None:
    def fail() -> None:
        raise LookupError("no generation")

    with pytest.raises(LookupError, match="no generation"):
        asyncio.run(in_yielding_thread(fail, 3, "probe"))


def test_duckdb_threads_started_in_a_yielding_thread_inherit_its_priority() -> None:
    """A generation swap opens DuckDB in the yielding thread: its worker
    threads must not run at the server's priority."""

    tasks = Path(f"/proc/{os.getpid()}/task")

    def open_duckdb() -> list[int]:
        before = {t.name for t in tasks.iterdir()}
        con = duckdb.connect(config={"threads": 2})
        con.execute("SELECT sum(range) FROM range(2000000)").fetchall()
        started = [int(t.name) for t in tasks.iterdir() if t.name not in before]
        niceness = [os.getpriority(os.PRIO_PROCESS, t) for t in started]
        con.close()
        return niceness

    before = _niceness()
    niceness = asyncio.run(in_yielding_thread(open_duckdb, 4, "probe"))
    assert niceness and set(niceness) == {min(19, before + 4)}
