"""Every command answers bad input with one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def hub(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "NEO4J_"))}
    env["HUB_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("ingest", "--config", "/no/such/sources"), 1, "/no/such/sources"),
        (("generate",), 2, "Missing option '--out'"),
        (("generate", "--out", "x", "--households", "0"), 2, "--households"),
        (("generate", "--out", "x", "--profile", "nope"), 2, "no profile 'nope'"),
        (("link",), 1, "run `hub ingest` first"),
        (("load",), 1, "hub ingest"),
        (("export", "identities", "--out", "ids.csv"), 1, "hub link"),
        (("keys", "create", "--org", "ORG-X", "--role", "superuser"), 1, "superuser"),
        (("frobnicate",), 2, "No such command"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    tmp_path: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    result = hub(tmp_path, *args)
    assert result.returncode == code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert says in lines[0]
    assert "Traceback" not in result.stderr


def test_keys_create_prints_the_key_alone_on_the_last_line(tmp_path: Path) -> None:
    result = hub(tmp_path, "keys", "create", "--org", "ORG-DINSOS", "--role", "social_worker")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("sp_") and " " not in last
