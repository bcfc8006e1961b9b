"""The hub's own signed tokens (the dashboard's session and sign-in link): a
token verifies only with its secret, for its kind, before it expires, and
unaltered; the secret file is made once, private to its owner."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

from hub.security import TokenSigner, token_secret


def test_a_token_carries_its_payload_for_its_kind_only(tmp_path: Path) -> None:
    signer = TokenSigner(token_secret(tmp_path / "keys" / "secret"))
    token = signer.issue("session", {"org": "ORG-DINSOS", "role": "dinsos_admin"}, 60)
    payload = signer.verify(token, "session")
    assert payload is not None
    assert (payload["org"], payload["role"], payload["kind"]) == (
        "ORG-DINSOS",
        "dinsos_admin",
        "session",
    )
    assert signer.verify(token, "link") is None


def test_an_expired_altered_or_foreign_token_is_refused(tmp_path: Path) -> None:
    signer = TokenSigner(token_secret(tmp_path / "a"))
    other = TokenSigner(token_secret(tmp_path / "b"))
    assert signer.verify(signer.issue("link", {}, -1), "link") is None
    token = signer.issue("link", {"role": "social_worker"}, 60)
    assert other.verify(token, "link") is None
    body, mac = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "dinsos_admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    assert signer.verify(f"{forged}.{mac}", "link") is None
    for junk in (None, "", "no-dot", "a.b.c", f"{body}.{'0' * 64}", "!!!." + mac):
        assert signer.verify(junk, "link") is None


def test_the_secret_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "dashboard-secret"
    first = token_secret(path)
    assert len(first) == 32 and token_secret(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    signer = TokenSigner(first)
    token = signer.issue("session", {"exp": time.time() + 3600}, 60)
    assert signer.verify(token, "session") is not None  # issue sets its own expiry
