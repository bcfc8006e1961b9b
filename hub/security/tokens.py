"""Short signed tokens the hub hands out itself: the dashboard's session cookie
and its one-time sign-in link. A token is `body.mac`: the JSON payload in
URL-safe base64 (no padding) and its HMAC-SHA256 under a secret kept in a
file next to the other keys (made once, mode 0600). Each token names its
`kind` and expires at `exp` (Unix seconds); `verify` refuses a token of
another kind, an expired one, and any whose MAC does not check out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any


def token_secret(path: Path) -> bytes:
    """The signing secret in `path`, made (32 random bytes, mode 0600) when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


class TokenSigner:
    """Issues and verifies the tokens signed with one secret."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()

    def issue(self, kind: str, payload: dict[str, Any], seconds: float) -> str:
        """A token of `kind` carrying `payload`, valid for `seconds` from now."""
        claims = {**payload, "kind": kind, "exp": time.time() + seconds}
        body = base64.urlsafe_b64encode(json.dumps(claims, sort_keys=True).encode())
        text = body.decode().rstrip("=")
        return f"{text}.{self._mac(text)}"

    def verify(self, token: str | None, kind: str) -> dict[str, Any] | None:
        """The payload of a valid, unexpired token of `kind`, else None."""
        if not token or token.count(".") != 1:
            return None
        body, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            padded = body + "=" * (-len(body) % 4)
            payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("kind") != kind:
            return None
        if float(payload.get("exp", 0)) < time.time():
            return None
        return payload


__all__ = ["TokenSigner", "token_secret"]
