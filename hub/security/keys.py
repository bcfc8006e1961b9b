"""Per-organization API keys.

A key reads `sp_<key_id>_<secret>`. Only a salted SHA-256 of the secret is
stored: the secret is 256 random bits, so a slow hash (scrypt) would add cost
to every request without adding safety. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.roles import Role
from hub.security.db import SecurityDB
from hub.security.errors import (
    InvalidOrganizationError,
    KeyNotFoundError,
    KeyRevokedError,
)
from hub.security.principal import Principal, parse_role
from store import DB_ERRORS, Conn

_log = logging.getLogger(__name__)
KEY_PREFIX = "sp"
_ORG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")
_KEY_ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
_COLUMNS = "key_id, organization, role, label, created_at, revoked_at, last_used_at, replaces"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    organization: str
    role: Role
    label: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    replaces: str | None = None
    """The key this one was rotated from."""

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def parse_key(plaintext: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key, else None."""
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not _KEY_ID_PATTERN.match(parts[1]):
        return None
    if not parts[2]:
        return None
    return parts[1], parts[2]


def looks_like_api_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX + "_")


def _hash_secret(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode()).digest()


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _record(
    row: tuple[str, str, str, str | None, str, str | None, str | None, str | None],
) -> KeyRecord:
    key_id, org, role, label, created, revoked, used, replaces = row
    created_at = datetime.fromisoformat(created)
    return KeyRecord(
        key_id, org, parse_role(role), label, created_at, _dt(revoked), _dt(used), replaces
    )


class KeyStore:
    def __init__(
        self,
        db: SecurityDB,
        now: Callable[[], datetime] = utcnow,
        touch_interval: timedelta = timedelta(minutes=1),
    ) -> None:
        self.db = db
        self._now = now
        # last_used_at is written at most once per interval per key, so that
        # authenticating is a read, not a write, on almost every request; and
        # that write runs on a thread of its own, so the caller (the server's
        # event loop) never waits for SQLite's write lock.
        self._touch_interval = touch_interval
        self._touched: dict[str, datetime] = {}
        self._touch_lock = threading.Lock()
        self._toucher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="key-touch")
        self._touching: list[Future[None]] = []

    def create(
        self, organization: str, role: str, label: str | None = None
    ) -> tuple[KeyRecord, str]:
        checked_role = parse_role(role)
        _check_organization(organization)
        with self.db.write() as conn:
            return self._insert(conn, organization, checked_role, label, replaces=None)

    def _insert(
        self,
        conn: Conn,
        organization: str,
        role: Role,
        label: str | None,
        replaces: str | None,
    ) -> tuple[KeyRecord, str]:
        key_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        created_at = self._now()
        conn.execute(
            "INSERT INTO api_keys (key_id, organization, role, label, salt, secret_hash,"
            " created_at, replaces) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key_id,
                organization,
                role,
                label,
                salt,
                _hash_secret(salt, secret),
                _ts(created_at),
                replaces,
            ),
        )
        record = KeyRecord(key_id, organization, role, label, created_at, replaces=replaces)
        return record, f"{KEY_PREFIX}_{key_id}_{secret}"

    def list(self, include_revoked: bool = True) -> list[KeyRecord]:
        self._settle()
        sql = f"SELECT {_COLUMNS} FROM api_keys"
        if not include_revoked:
            sql += " WHERE revoked_at IS NULL"
        with self.db.read() as conn:
            rows = conn.execute(sql + " ORDER BY created_at, rowid").fetchall()
        return [_record(row) for row in rows]

    def get(self, key_id: str) -> KeyRecord:
        """The key as stored now (a last use still being written may be missing;
        `list` waits for those)."""
        with self.db.read() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)
            ).fetchone()
        if row is None:
            raise KeyNotFoundError(
                f"No API key with id {key_id!r}: run `hub keys list` to see the key ids."
            )
        return _record(row)

    def revoke(self, key_id: str) -> KeyRecord:
        with self.db.write() as conn:
            record = self._active(key_id)
            revoked_at = self._now()
            conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", (_ts(revoked_at), key_id)
            )
        return replace(record, revoked_at=revoked_at)

    def rotate(self, key_id: str) -> tuple[KeyRecord, str]:
        """A new key for the same organization, role and label; the old one is
        revoked in the same transaction."""
        with self.db.write() as conn:
            old = self._active(key_id)
            conn.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", (_ts(self._now()), key_id)
            )
            return self._insert(conn, old.organization, old.role, old.label, key_id)

    def _active(self, key_id: str) -> KeyRecord:
        record = self.get(key_id)
        if record.revoked_at is not None:
            raise KeyRevokedError(
                f"API key {key_id} was already revoked at {record.revoked_at:%Y-%m-%d %H:%M} UTC;"
                " create a new one with `hub keys create`."
            )
        return record

    def authenticate(self, plaintext: str) -> Principal | None:
        parsed = parse_key(plaintext)
        if parsed is None:
            return None
        key_id, secret = parsed
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT organization, role, salt, secret_hash FROM api_keys"
                " WHERE key_id = ? AND revoked_at IS NULL",
                (key_id,),
            ).fetchone()
        if row is None:
            return None
        organization, role, salt, stored = row
        if not hmac.compare_digest(_hash_secret(salt, secret), stored):
            return None
        self._touch(key_id)
        return Principal(f"key:{key_id}", organization, parse_role(role), "api_key", key_id)

    def _touch(self, key_id: str) -> None:
        now = self._now()
        with self._touch_lock:
            last = self._touched.get(key_id)
            if last is not None and now - last < self._touch_interval:
                return
            self._touched[key_id] = now
            self._touching = [f for f in self._touching if not f.done()]
            self._touching.append(self._toucher.submit(self._write_last_used, key_id, now))

    def _write_last_used(self, key_id: str, now: datetime) -> None:
        try:
            with self.db.write() as conn:
                conn.execute(
                    "UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (_ts(now), key_id)
                )
        except DB_ERRORS as exc:  # bookkeeping only: the request was authenticated
            _log.warning("could not record the last use of API key %s: %s", key_id, exc)

    def _settle(self) -> None:
        """Wait for last_used_at writes still queued, so `list` sees them. Never
        called while holding the write lock: the writes it waits for need it."""
        with self._touch_lock:
            pending, self._touching = self._touching, []
        for future in pending:
            future.result()


def _check_organization(organization: str) -> None:
    if not _ORG_PATTERN.match(organization):
        raise InvalidOrganizationError(
            f"Organization {organization!r} is not usable: use letters, digits and . _ : -"
            " (for example `dinsos-bandung` or `yayasan-harapan`)."
        )


# --- one-shot helpers for the CLI and scripts (each opens the database once) ---


def create_key(
    db_path: Path, org: str, role: str, label: str | None = None
) -> tuple[KeyRecord, str]:
    with SecurityDB(db_path) as db:
        return KeyStore(db).create(org, role, label)


def list_keys(db_path: Path, include_revoked: bool = True) -> list[KeyRecord]:
    with SecurityDB(db_path) as db:
        return KeyStore(db).list(include_revoked)


def revoke_key(db_path: Path, key_id: str) -> KeyRecord:
    with SecurityDB(db_path) as db:
        return KeyStore(db).revoke(key_id)


def rotate_key(db_path: Path, key_id: str) -> tuple[KeyRecord, str]:
    with SecurityDB(db_path) as db:
        return KeyStore(db).rotate(key_id)


def authenticate_key(db_path: Path, plaintext: str) -> Principal | None:
    with SecurityDB(db_path) as db:
        return KeyStore(db).authenticate(plaintext)


__all__ = [
    "KEY_PREFIX",
    "KeyRecord",
    "KeyStore",
    "authenticate_key",
    "create_key",
    "list_keys",
    "looks_like_api_key",
    "parse_key",
    "revoke_key",
    "rotate_key",
]
