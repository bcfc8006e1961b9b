"""A store the CLI cannot use, or a shared key it does not know, and a DCI
callback production refuses: `hub` says so in one line and exits 1, as for any
user error (hub.cli.USER_ERRORS), not as an unexpected bug with a traceback."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.dci.envelope import public_key_text
from hub.security.db import SecurityDB
from store.postgres import PgStore


def hub(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "NEO4J_"))}
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env={**clean, "HUB_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("hub: error: "), result.stderr
    assert "unexpected" not in lines[0] and "report it" not in lines[0]
    return lines[0]


def test_an_unreachable_store_is_one_line(tmp_path: Path) -> None:
    down = "postgresql://hub@/satupintu?host=/nonexistent&port=1"
    line = one_line(hub(tmp_path, "dci", "key", HUB_DATABASE_URL=down))
    assert "cannot be reached" in line


def test_a_key_the_shared_store_does_not_know_is_one_line(
    postgres_store: PgStore, tmp_path: Path
) -> None:
    with SecurityDB.on(postgres_store, tmp_path) as db:  # the first server's audit key
        db.claim_key("audit", secrets.token_bytes(32), tmp_path / "first")
    mine = tmp_path / "audit-key"
    mine.write_text(secrets.token_hex(32))
    line = one_line(
        hub(
            tmp_path / "home",
            "audit",
            "verify",
            HUB_DATABASE_URL=postgres_store.url,
            HUB_DATABASE_SCHEMA=postgres_store.schema,
            HUB_AUDIT_KEY_FILE=str(mine),
        )
    )
    assert "is not the audit key the other servers" in line


def test_senders_add_in_production_refuses_http_in_one_line(tmp_path: Path) -> None:
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    line = one_line(
        hub(
            tmp_path,
            *("dci", "senders", "add", "spmis", "--org", "dinkes", "--role", "agency"),
            *("--public-key", key, "--callback", "http://spmis.example.org/dci"),
            HUB_MODE="production",
        )
    )
    assert "not https" in line and "HUB_MODE=production" in line
