"""The security database's writers take turns in the kernel (`WriteTurn`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hub.security.db import SecurityDB, WriteTurn
from hub.security.ratelimit import RateLimit, SharedBuckets

# Another process asks for the turn without waiting: exit 0 when it got it, 1 when it is held.
_PROBE = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
sys.exit(0)
"""


def _free_in_another_process(lock: Path) -> bool:
    return subprocess.run([sys.executable, "-c", _PROBE, str(lock)]).returncode == 0


def test_a_security_write_holds_the_turn_against_other_processes(tmp_path: Path) -> None:
    db = SecurityDB(tmp_path / "security.sqlite")
    lock = tmp_path / "security.sqlite.lock"
    try:
        assert _free_in_another_process(lock)
        with db.write() as conn:
            conn.execute("INSERT INTO audit_meta (name, value) VALUES ('probe', '1')")
            assert not _free_in_another_process(lock)
        assert _free_in_another_process(lock)
    finally:
        db.close()


def test_a_rate_limit_take_holds_the_turn_of_its_own_file(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.sqlite"
    seen: list[bool] = []
    lock = tmp_path / "ratelimit.sqlite.lock"

    def clock() -> float:  # read inside the take: is the turn held then?
        seen.append(_free_in_another_process(lock))
        return 100.0

    buckets = SharedBuckets(path, clock=clock)
    try:
        taken, wait = buckets.take("key:a", 2.0, 1.0, RateLimit(rate=10, burst=5))
    finally:
        buckets.close()
    assert (taken, wait) == (2.0, 0.0)
    assert seen == [False]
    assert _free_in_another_process(lock)


def test_the_turn_is_reentrant_in_a_thread_and_released_once(tmp_path: Path) -> None:
    turn = WriteTurn(tmp_path / "x.sqlite")
    with turn.held():
        with turn.held():
            assert not _free_in_another_process(turn.path)
        assert not _free_in_another_process(turn.path)
    assert _free_in_another_process(turn.path)
    turn.close()
