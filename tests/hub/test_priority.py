"""Refresh commands run below the server's priority (HUB_REFRESH_NICE)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.errors import ConfigError
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
