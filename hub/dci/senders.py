"""The registry of DCI partner senders, in the hub's security database
(`$HUB_HOME/security.sqlite`, or the PostgreSQL schema every server shares).

A sender is a partner system (an SPMIS, a benefit system) that calls the hub's
DCI endpoints. Each row is one of its signing keys: the `sender_id` of the
envelope header, the key id named in the signature's `keyId`, the ed25519
public key, the organization and role the sender acts as (what it may see is
that role's, in that organization), and the base URI of its callbacks
(`on-search`, `notify`). Rows are never deleted: revocation stamps
`revoked_at`, and from then on that key's signatures are refused.

`first_seen` remembers each (sender, message_id) so a replayed message is
refused (`rjct.message_id.duplicate`).

All SQL goes through `SecurityDB.read()`/`write()` in portable forms, so the
tables move with the security database to another store. What two servers
could race on is one step on both back-ends: registering a key (checked, then
inserted) and revoking hold the sender's lock (`write(lock=...)`), and a
message id is remembered by one `INSERT ... ON CONFLICT DO NOTHING`, so of two
servers receiving the same message at once exactly one accepts it.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.roles import Role
from hub.dci.envelope import (
    CLOCK_SKEW_S,
    MAX_LIFETIME_S,
    DciRefusal,
    key_id_of,
    public_key_from_text,
    public_key_text,
)
from hub.errors import HubError
from hub.security.db import SecurityDB
from hub.security.principal import parse_role
from store import Schema

TABLES: Schema = (
    """CREATE TABLE IF NOT EXISTS dci_senders (
        sender_id     TEXT NOT NULL,
        key_id        TEXT NOT NULL,
        public_key    TEXT NOT NULL,
        organization  TEXT NOT NULL,
        role          TEXT NOT NULL,
        callback_base TEXT,
        created_at    TEXT NOT NULL,
        revoked_at    TEXT,
        PRIMARY KEY (sender_id, key_id)
    )""",
    """CREATE TABLE IF NOT EXISTS dci_messages (
        sender_id   TEXT NOT NULL,
        message_id  TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (sender_id, message_id)
    )""",
)

_COLUMNS = (
    "sender_id, key_id, public_key, organization, role, callback_base, created_at, revoked_at"
)


#: how far the clocks of two servers sharing the store may differ (keep them on
#: NTP): a message id is remembered on the receiving server's clock and forgotten
#: on another's, which may run ahead
SERVER_CLOCK_SKEW_S = 300
#: how long a message id is remembered: as long as a signature can live, plus a
#: partner's clock skew either way, plus the skew between the hub's servers
MESSAGE_ID_KEEP_S = MAX_LIFETIME_S + 2 * CLOCK_SKEW_S + SERVER_CLOCK_SKEW_S


class SenderError(HubError):
    """A sender that cannot be added or changed as asked."""


@dataclass(frozen=True)
class Sender:
    sender_id: str
    key_id: str
    public_key: str
    """base64 of the 32 raw bytes of the ed25519 public key"""
    organization: str
    role: Role
    callback_base: str | None
    created_at: str
    revoked_at: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def key(self) -> Ed25519PublicKey:
        return public_key_from_text(self.public_key)

    def is_party(self, organization: str | None, role: str | None) -> bool:
        """Whether this sender, as registered now, is the party that acted as
        `organization` and `role` when it asked for something kept (a
        subscription, an async answer; None: made before that was kept). A sender
        id whose keys were all revoked and that is registered again for another
        organization or role is another party, owed nothing of the first one's."""
        if organization is None:
            return True
        return (self.organization, self.role) == (organization, role)

    def callback(self, path: str) -> str | None:
        """The URI of one of its callbacks, e.g. `/registry/on-search`."""
        if self.callback_base is None:
            return None
        return self.callback_base.rstrip("/") + "/" + path.lstrip("/")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _row(row: Sequence[object]) -> Sender:
    return Sender(
        sender_id=str(row[0]),
        key_id=str(row[1]),
        public_key=str(row[2]),
        organization=str(row[3]),
        role=parse_role(str(row[4])),
        callback_base=None if row[5] is None else str(row[5]),
        created_at=str(row[6]),
        revoked_at=None if row[7] is None else str(row[7]),
    )


def _lock(sender_id: str) -> str:
    """What changes to one sender's keys serialise on, in every server."""
    return f"dci-sender:{sender_id}"


class SenderRegistry:
    def __init__(self, db: SecurityDB, *, production: bool = False) -> None:
        self.db = db
        #: production mode (HUB_MODE=production): callbacks over https only
        self.production = production
        db.database.apply(TABLES)

    def refused_callback(self, uri: str) -> str | None:
        """Why households may not be sent to `uri`; None when they may. In
        production only https: an http callback would carry them in clear."""
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return f"a callback base is an http(s) URI, not {uri!r}"
        if self.production and parts.scheme != "https":
            return (
                f"callback {uri!r} is not https: in production (HUB_MODE=production) "
                "households are sent over https only; register the sender's https:// base"
            )
        return None

    def add(
        self,
        sender_id: str,
        public_key: str,
        organization: str,
        role: str,
        callback_base: str | None = None,
        key_id: str | None = None,
    ) -> Sender:
        """Register a sender's key (a second key of a known sender rotates: both
        hold until the old one is revoked). The key id defaults to the key's
        fingerprint (`envelope.key_id_of`)."""
        if not sender_id.strip() or "|" in sender_id:
            raise SenderError("a sender id is a non-empty name without '|'")
        checked_role = parse_role(role)
        if not organization.strip():
            raise SenderError("a sender acts for an organization: give --org")
        try:
            key = public_key_from_text(public_key)
        except ValueError as exc:
            raise SenderError(str(exc)) from None
        if callback_base is not None:
            refused = self.refused_callback(callback_base)
            if refused is not None:
                raise SenderError(refused)
        kid = key_id or key_id_of(key)
        if "|" in kid:
            raise SenderError("a key id has no '|'")
        sender = Sender(
            sender_id, kid, public_key_text(key), organization, checked_role, callback_base, _now()
        )
        with self.db.write(lock=_lock(sender_id)) as con:  # checked, then inserted
            if con.execute(
                "SELECT 1 FROM dci_senders WHERE sender_id = ? AND key_id = ?", (sender_id, kid)
            ).fetchone():
                raise SenderError(f"sender {sender_id!r} already has key {kid!r}")
            other = con.execute(
                "SELECT organization, role FROM dci_senders "
                "WHERE sender_id = ? AND revoked_at IS NULL",
                (sender_id,),
            ).fetchone()
            if other is not None and (other[0], other[1]) != (organization, checked_role):
                raise SenderError(
                    f"sender {sender_id!r} acts for {other[0]} ({other[1]}); "
                    "revoke its keys before registering it for another organization or role"
                )
            con.execute(
                f"INSERT INTO dci_senders ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sender.sender_id,
                    sender.key_id,
                    sender.public_key,
                    sender.organization,
                    sender.role,
                    sender.callback_base,
                    sender.created_at,
                    None,
                ),
            )
        return sender

    def list(self, include_revoked: bool = True) -> list[Sender]:
        where = "" if include_revoked else " WHERE revoked_at IS NULL"
        with self.db.read() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM dci_senders{where} ORDER BY sender_id, created_at"
            ).fetchall()
        return [_row(r) for r in rows]

    def get(self, sender_id: str, key_id: str) -> Sender | None:
        with self.db.read() as con:
            row = con.execute(
                f"SELECT {_COLUMNS} FROM dci_senders WHERE sender_id = ? AND key_id = ?",
                (sender_id, key_id),
            ).fetchone()
        return None if row is None else _row(row)

    def active(self, sender_id: str) -> Sender | None:
        """The sender's newest unrevoked key (for its organization, role and callbacks)."""
        with self.db.read() as con:
            row = con.execute(
                f"SELECT {_COLUMNS} FROM dci_senders WHERE sender_id = ? AND revoked_at IS NULL "
                "ORDER BY created_at DESC",
                (sender_id,),
            ).fetchone()
        return None if row is None else _row(row)

    def verifying_key(self, sender_id: str, key_id: str) -> Ed25519PublicKey:
        """envelope.KeyLookup: the key that verifies this sender's signatures;
        `err.sender_id.invalid` for an unknown or revoked sender or key."""
        sender = self.get(sender_id, key_id)
        if sender is None:
            raise DciRefusal(
                "err.sender_id.invalid", f"unknown sender {sender_id!r} (key {key_id!r})"
            )
        if sender.revoked:
            raise DciRefusal(
                "err.sender_id.invalid",
                f"sender {sender_id!r} key {key_id!r} was revoked at {sender.revoked_at}",
            )
        return sender.key()

    def revoke(self, sender_id: str, key_id: str | None = None) -> builtins.list[Sender]:
        """Revoke one key of a sender, or all its keys; the rows revoked now (of
        two revoking at once, each row is revoked, and reported, by one)."""
        query = "UPDATE dci_senders SET revoked_at = ? WHERE sender_id = ? AND revoked_at IS NULL"
        args: tuple[str, ...] = (_now(), sender_id)
        if key_id is not None:
            query += " AND key_id = ?"
            args = (*args, key_id)
        with self.db.write(lock=_lock(sender_id)) as con:
            rows = con.execute(f"{query} RETURNING {_COLUMNS}", args).fetchall()
        if not rows:
            which = f"key {key_id!r} of " if key_id else ""
            raise SenderError(f"no active {which}sender {sender_id!r} to revoke")
        return sorted((_row(r) for r in rows), key=lambda s: s.created_at)

    def first_seen(self, sender_id: str, message_id: str, now: datetime | None = None) -> bool:
        """Remember a message; False when this sender sent this message_id before.
        Ids older than `MESSAGE_ID_KEEP_S` are forgotten: a message that old is
        refused as expired, by every server whose clock is within
        `SERVER_CLOCK_SKEW_S` of the one that received it."""
        at = now or datetime.now(UTC)
        self.forget_messages(at - timedelta(seconds=MESSAGE_ID_KEEP_S))
        with self.db.write() as con:  # one statement: of two at once, one inserts
            cur = con.execute(
                "INSERT INTO dci_messages (sender_id, message_id, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT (sender_id, message_id) DO NOTHING",
                (sender_id, message_id, at.isoformat()),
            )
            return cur.rowcount == 1

    def forget_messages(self, before: datetime) -> int:
        """Forget the message ids received before `before`; how many."""
        # one purge at a time: two servers deleting the same rows could lock them in
        # different orders (PostgreSQL's synchronised scans) and deadlock
        with self.db.write(lock="dci-messages:purge") as con:
            cur = con.execute(
                "DELETE FROM dci_messages WHERE received_at < ?", (before.isoformat(),)
            )
            return max(cur.rowcount, 0)


__all__ = [
    "MESSAGE_ID_KEEP_S",
    "SERVER_CLOCK_SKEW_S",
    "TABLES",
    "Sender",
    "SenderError",
    "SenderRegistry",
]
