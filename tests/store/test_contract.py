"""What every store back-end promises several server processes (issue 17): the
audit chain stays one chain when two processes append at once, and one API key
has one rate-limit bucket across processes. Each test runs on SQLite files and
on PostgreSQL (`store_backend`); the processes are real ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from storetest import store_env

from hub.security.audit import AuditLog
from hub.security.db import SecurityDB
from store import Store

#: appends per process, one transaction each (so the two interleave)
APPENDS = 60
BURST = 25

#: A server process: wait for the go, append audit events one by one and spend the
#: shared bucket of one key; print what it was allowed.
_SERVER = """
import json, os, sys, time
from pathlib import Path
from hub.security.audit import AuditEvent, AuditLog
from hub.security.db import SecurityDB
from hub.security.ratelimit import RateLimit, RateLimiter, SharedBuckets
from store import open_store
from hub.settings import load_settings

name, home, appends, burst = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
store = open_store(load_settings(dict(os.environ, HUB_HOME=str(home))))
db = SecurityDB.on(store, home)
log = AuditLog(db)
limiter = RateLimiter(
    RateLimit(rate=0.001, burst=burst), shared=SharedBuckets(store.database("ratelimit"))
)
(home / f"ready-{name}").touch()
while not (home / "go").exists():
    time.sleep(0.005)
allowed = 0
for i in range(appends):
    log.append(AuditEvent(f"staff:{name}", "dinsos", "auditor", "read:person", [f"p{i}"]))
    allowed += limiter.try_acquire("key:shared") == 0.0
store.close()
print(json.dumps({"allowed": allowed}))
"""


def _run_two_servers(store: Store, home: Path) -> list[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(store_env(store), PYTHONPATH=str(Path.cwd()))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _SERVER, name, str(home), str(APPENDS), str(BURST)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    deadline = time.monotonic() + 60
    while not all((home / f"ready-{n}").exists() for n in ("a", "b")):
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        assert time.monotonic() < deadline, "the server processes did not start"
        time.sleep(0.01)
    (home / "go").touch()  # both start appending at once
    allowed = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        allowed.append(json.loads(out)["allowed"])
    return allowed


def test_two_processes_share_one_audit_chain_and_one_rate_limit_bucket(
    store_backend: Store, tmp_path: Path
) -> None:
    with SecurityDB.on(store_backend, tmp_path) as db:
        AuditLog(db)  # the chain's start and its key, before the servers open it
    allowed = _run_two_servers(store_backend, tmp_path)
    with SecurityDB.on(store_backend, tmp_path) as db:
        log = AuditLog(db)
        result = log.verify()
        assert result.ok, result.message()
        assert result.checked == 2 * APPENDS
        subjects = [r.subject for r in log.tail(2 * APPENDS)]
        assert [r.seq for r in log.tail(2 * APPENDS)] == list(range(1, 2 * APPENDS + 1))
    assert sorted(set(subjects)) == ["staff:a", "staff:b"]
    assert subjects.count("staff:a") == subjects.count("staff:b") == APPENDS
    # one bucket for the key in both processes: the burst once, not once each (its
    # refill, 0.001 a second, adds no whole token while they run)
    assert sum(allowed) == BURST
