"""What makes the audit chain survive a rewrite of security.sqlite: a key and
anchors that live outside the database.

- The key: 32 random bytes in `$HUB_HOME/keys/audit-key` (hex, mode 0600),
  made once; `audit_key_file` in hub.toml / `HUB_AUDIT_KEY_FILE` puts it
  elsewhere. Each row's hash is HMAC-SHA256 under it, so a chain recomputed
  without the key does not verify.
- Rows written before the key existed keep their plain SHA-256 hashes: the
  first anchor marks how far they go (`legacy_until`) and their head.
- Anchors: append-only JSON lines (sequence, hash, time, legacy marker, and an
  HMAC over them) in `$HUB_HOME/audit-anchors.jsonl`, and also in
  `audit_anchor_dir` when set (a mount another machine keeps). A tail cut off
  the log, or a row changed before an anchored one, disagrees with them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hub.errors import ConfigError
from hub.settings import Settings

GENESIS_HASH = "0" * 64
ANCHORS_FILE = "audit-anchors.jsonl"
KEY_FILE = "audit-key"


def _payload(row: Sequence[object]) -> bytes:
    return json.dumps(list(row[:10]), ensure_ascii=False, separators=(",", ":")).encode()


def plain_hash(row: Sequence[object]) -> str:
    """The rule before the key (rows up to `legacy_until`): SHA-256 of seq..prev_hash."""
    return hashlib.sha256(_payload(row)).hexdigest()


def keyed_hash(key: bytes, row: Sequence[object]) -> str:
    return hmac.new(key, _payload(row), hashlib.sha256).hexdigest()


#: the shortest key a chain or digest is keyed with (the keys made here are 32 bytes)
MIN_KEY_BYTES = 32


def _read_key(path: Path) -> bytes:
    """The hex key in `path`; ValueError when it is not hex or too short (an
    empty file would key every HMAC with nothing)."""
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise ValueError(f"{path} does not hold a hex key; restore it from backup.") from exc
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(
            f"{path} holds a {len(key)}-byte key, not {MIN_KEY_BYTES} bytes or more;"
            " restore it from backup."
        )
    return key


def place_new_key_file(path: Path, content: bytes) -> bool:
    """Write `content` as the key file `path` (0600) unless one is there; whether
    this call placed it. It is written whole to a file of its own and then
    linked into place, so a process starting at the same moment reads the
    winner's key, never an empty file the winner has opened but not yet written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        try:
            os.link(fresh, path)  # fails when another process linked its key first
            return True
        except FileExistsError:
            return False
    finally:
        fresh.unlink()


def load_or_create_key(path: Path) -> tuple[bytes, bool]:
    """The key in `path`, made (0600, `place_new_key_file`) when missing; and
    whether it was made."""
    try:
        return _read_key(path), False
    except FileNotFoundError:
        pass
    made = place_new_key_file(path, secrets.token_hex(32).encode())
    return _read_key(path), made


#: how to make a shared hex key (the audit key, the desk NIK key) once
HEX_KEY_RECIPE = "`python -c 'import secrets; print(secrets.token_hex(32))' > FILE`, mode 0600"


def read_shared_key_file(path: Path | None, setting: str, recipe: str = HEX_KEY_RECIPE) -> bytes:
    """What is in a key file every server sharing one database must hold: read,
    never made here (a home that made its own would write what the others
    cannot verify). `recipe` says how to make it once."""
    if path is None:
        raise ConfigError(
            f"HUB_DATABASE_URL is set, so several servers share the state: set {setting}"
            f" to the key file they all use (make it once with {recipe})."
        )
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{setting} names {path}, which does not exist: copy the key file the other"
            " servers use (a server sharing HUB_DATABASE_URL never makes its own)."
        ) from None


def load_shared_key(path: Path | None, setting: str) -> bytes:
    """A hex key every server sharing one database must hold (`read_shared_key_file`
    refuses a missing setting or file), 32 bytes or more (`_read_key`)."""
    read_shared_key_file(path, setting)
    assert path is not None  # read_shared_key_file refused None
    try:
        return _read_key(path)
    except ValueError as exc:  # not hex, or too short
        raise ConfigError(str(exc)) from exc


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    ts: str
    legacy_until: int

    def mac(self, key: bytes) -> str:
        msg = f"{self.seq}|{self.hash}|{self.ts}|{self.legacy_until}".encode()
        return hmac.new(key, msg, hashlib.sha256).hexdigest()


class AnchorError(ValueError):
    """An anchors file that cannot be trusted (not signed with this key, not JSON)."""


@dataclass(frozen=True)
class ChainConfig:
    """The key and where the anchors go."""

    key: bytes
    anchor_files: tuple[Path, ...]
    key_created: bool = False
    key_file: Path | None = None

    @classmethod
    def beside(cls, db_path: Path) -> ChainConfig:
        """The default layout for a security database in a hub home."""
        home = db_path.parent
        key_file = home / "keys" / KEY_FILE
        key, created = load_or_create_key(key_file)
        return cls(key, (home / ANCHORS_FILE,), created, key_file)

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainConfig:
        if settings.database_url:
            key_file = settings.audit_key_file
            key, created = load_shared_key(key_file, "HUB_AUDIT_KEY_FILE"), False
        else:
            key_file = settings.audit_key_file or settings.keys_dir / KEY_FILE
            key, created = load_or_create_key(key_file)
        files = [settings.home / ANCHORS_FILE]
        if settings.audit_anchor_dir is not None:
            files.append(settings.audit_anchor_dir / ANCHORS_FILE)
        return cls(key, tuple(files), created, key_file)

    def write_anchor(self, anchor: Anchor) -> None:
        line = json.dumps(
            {
                "seq": anchor.seq,
                "hash": anchor.hash,
                "ts": anchor.ts,
                "legacy_until": anchor.legacy_until,
                "mac": anchor.mac(self.key),
            }
        )
        for path in self.anchor_files:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())

    def read_anchors(self) -> list[Anchor]:
        """Every anchor in every file, checked against the key, by sequence."""
        found: dict[tuple[int, str], Anchor] = {}
        for path in self.anchor_files:
            if not path.exists():
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                    anchor = Anchor(
                        int(raw["seq"]), str(raw["hash"]), str(raw["ts"]), int(raw["legacy_until"])
                    )
                    mac = str(raw["mac"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise AnchorError(f"{path} line {n} is not an anchor ({exc})") from exc
                if not hmac.compare_digest(mac, anchor.mac(self.key)):
                    raise AnchorError(f"{path} line {n} is not signed with this audit key")
                found.setdefault((anchor.seq, anchor.hash), anchor)
        anchors = sorted(found.values(), key=lambda a: (a.seq, a.ts))
        markers = {a.legacy_until for a in anchors}
        if len(markers) > 1:
            raise AnchorError(f"the anchors disagree on where keyed rows start: {sorted(markers)}")
        return anchors


def now_text(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


__all__ = [
    "ANCHORS_FILE",
    "GENESIS_HASH",
    "HEX_KEY_RECIPE",
    "KEY_FILE",
    "Anchor",
    "AnchorError",
    "ChainConfig",
    "keyed_hash",
    "load_or_create_key",
    "load_shared_key",
    "plain_hash",
    "read_shared_key_file",
]
