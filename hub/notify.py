"""Residents' status messages (SMS or WhatsApp), behind one small interface
(`schema.services.Notifier`): the front desk hands each message to the
notifier the settings choose (`notify_sender`). Every message is written to
the outbox table (`$HUB_HOME/notify.sqlite`, or the shared PostgreSQL of
`HUB_DATABASE_URL`) first, with a state, and is sent
from there:

- "outbox" (the default): the row stays `queued`, for an office's own sender
  to pick up;
- "http": a pump in each server process claims due rows and POSTs each as
  JSON (`{"phone", "text", "reference", "status", "key"}`, and the header
  `Idempotency-Key: <key>`) to `notify_url`, an SMS/WhatsApp gateway's
  webhook. A failure is retried with a growing wait (`backoff_s`, doubled each
  time) up to `attempts` tries, then the row is `failed`; every attempt is
  recorded (`sent`, or `retrying`/`failed` with the last error).

Durable: a row is `queued` before anything is sent, so a message written
before a stop or a crash is sent when the hub starts again (`start` resends
what is due). Stopping (`stop`) waits up to `drain_s` for the posts under way,
and leaves the rest queued for the next start. A process claims a row before
it posts it (`sending`, with a lease of `lease_s`), so the workers of
`hub serve --workers N` never post one row twice; a claim whose process died
lapses and the row is sent again. A process claims only as many rows as it
has threads free to post them (`concurrency`, its own): a claimed row is being
posted, so its lease never lapses while it waits behind a slow gateway.

Idempotent: a message's key is its reference and status (`message_key`): one
status change gives one row, however often it is handed over. The gateway gets
the key too, so it can drop the one post that may repeat: a process killed
after the gateway answered and before the answer was recorded.

A failed send never fails the request that caused it.

A message's phone and text are personal data: `Outbox.forget` blanks them once
a message was sent or given up `notify_retention_days` ago (`hub retention`
runs it), keeping the row's reference, status and how the sending went; a
person's erasure deletes the rows of their requests and complaints
(`Outbox.erase`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from hub.settings import Settings
from journal.sqlite import Closeable, open_database, settings_database
from schema.services import Notification
from store.base import DATABASES, Ddl

if TYPE_CHECKING:
    from store.base import Conn, Database

log = logging.getLogger(__name__)

SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS outbox (
    id         INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    phone      TEXT NOT NULL,
    text       TEXT NOT NULL,
    reference  TEXT NOT NULL,
    status     TEXT NOT NULL,
    sender     TEXT NOT NULL,
    state      TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at    TEXT
)
"""
#: columns added since the first outbox; an older file gets them on open
_ADDED: Final = {
    "key": "TEXT",
    "next_at": "TEXT",
    "lease_until": "TEXT",
}
#: PostgreSQL's outbox: the same table, born with the added columns
_PG_SCHEMA: Final = SCHEMA.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY").replace(
    "    sent_at    TEXT\n", "    sent_at    TEXT,\n    key TEXT, next_at TEXT, lease_until TEXT\n"
)
#: a row as the outbox hands it out (a dict of these)
_COLUMNS: Final = (
    "id", "created_at", "phone", "text", "reference", "status", "sender", "state", "attempts",
    "last_error", "sent_at", *_ADDED,
)  # fmt: skip
_ROW: Final = ", ".join(_COLUMNS)
#: what an upgrade of old rows serialises on in PostgreSQL (servers starting at once)
_LOCK: Final = "notify-upgrade"
#: a message the old sender left queued or retrying, with no key (the sender kept
#: no record of a post that may have reached the gateway): sent once if younger
#: than this, else given up as `failed`, since a resident told days late of a
#: status change (twice, perhaps) is worse off than not told by this message
UNKEYED_RESEND_WINDOW: Final = timedelta(hours=24)
#: why an older unkeyed message was given up (its `last_error`)
UNKEYED_STALE: Final = (
    "not sent: left queued by the sender before the outbox had keys, older than "
    "the resend window (UNKEYED_RESEND_WINDOW)"
)
#: a message's states: waiting to go, being posted (claimed), retried later,
#: sent, given up
QUEUED: Final = "queued"
SENDING: Final = "sending"
RETRYING: Final = "retrying"
SENT: Final = "sent"
FAILED: Final = "failed"


def outbox_path(settings: Settings) -> Path:
    return settings.home / DATABASES["notify"]


def message_key(message: Notification) -> str:
    """One status change of one request or complaint: its public number and
    the status it reached (a status is reached once: steps only go forward)."""
    return f"{message.reference}:{message.status}"


class Outbox:
    """The outbox table: every message, with how its sending went. Shared by
    the processes of one hub home (SQLite in WAL mode), or by every server on
    the shared PostgreSQL of `HUB_DATABASE_URL`."""

    def __init__(self, db: Database | Path, *, owner: Closeable | None = None) -> None:
        """`owner`: what `close` closes besides a file opened here (a store of
        the outbox's own)."""
        self._db, opened = open_database(db, "notify")
        self._owner = opened or owner
        self._db.apply([Ddl(sqlite=SCHEMA, postgres=_PG_SCHEMA)])
        have = self._db.columns("outbox")
        with self._db.write(lock=_LOCK) as con:
            for column, kind in _ADDED.items():
                if column not in have:
                    con.execute(f"ALTER TABLE outbox ADD COLUMN {column} {kind}")
            con.execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS outbox_key ON outbox (key) WHERE key IS NOT NULL"
            )
            con.execute("CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_at)")
            self._key_old_rows(con)

    @classmethod
    def of(cls, settings: Settings) -> Outbox:
        """The outbox of the store the settings name (`HUB_DATABASE_URL`)."""
        db, store = settings_database(settings, "notify")
        return cls(db, owner=store)

    def _key_old_rows(self, con: Conn) -> None:
        """The old sender's rows still to go (no key): those younger than
        `UNKEYED_RESEND_WINDOW` get their key and are sent once; older ones, and a
        second row of one status change, are `failed` with the reason."""
        bound = datetime.now(UTC) - UNKEYED_RESEND_WINDOW
        rows = con.execute(
            "SELECT id, created_at, phone, text, reference, status FROM outbox"
            " WHERE key IS NULL AND state IN (?, ?) ORDER BY id",
            (QUEUED, RETRYING),
        ).fetchall()
        taken = {
            str(k)
            for (k,) in con.execute("SELECT key FROM outbox WHERE key IS NOT NULL").fetchall()
        }
        for row_id, created_at, phone, text, reference, status in rows:
            key = message_key(Notification(phone, text, reference, status))
            created = datetime.fromisoformat(str(created_at))
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
            if created < bound or key in taken:
                reason = UNKEYED_STALE if created < bound else f"not sent: a repeat of {key}"
                con.execute(
                    "UPDATE outbox SET state = ?, last_error = ? WHERE id = ?",
                    (FAILED, reason, row_id),
                )
            else:
                taken.add(key)
                con.execute("UPDATE outbox SET key = ? WHERE id = ?", (key, row_id))

    def add(self, message: Notification, sender: str) -> tuple[int, bool]:
        """Keep a message, `queued` and due now: its row id, and whether it is new
        (False: this status change was kept before, and nothing is added)."""
        now = _now()
        with self._db.write() as con:
            row = con.execute(
                "INSERT INTO outbox (created_at, phone, text, reference, status, sender, state,"
                " key, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
                " RETURNING id",
                (
                    now,
                    message.phone,
                    message.text,
                    message.reference,
                    message.status,
                    sender,
                    QUEUED,
                    message_key(message),
                    now,
                ),
            ).fetchone()
            if row is not None:
                return int(row[0]), True
            row = con.execute(
                "SELECT id FROM outbox WHERE key = ?", (message_key(message),)
            ).fetchone()
            return int(row[0]), False

    def claim(self, sender: str, lease: timedelta, limit: int = 50) -> list[dict[str, Any]]:
        """Take the due rows of `sender` to post (at most `limit`): queued or
        retrying whose time has come, or claimed by a process whose lease
        lapsed. One statement: two processes never take the same row (SQLite
        holds the file's write lock; PostgreSQL locks the rows it picks and
        skips those another claimer holds). Each row as it was before the claim."""
        now = datetime.now(UTC)
        with self._db.write() as con:
            skip = "" if con.dialect.name == "sqlite" else " FOR UPDATE SKIP LOCKED"
            due = (
                "SELECT id FROM outbox WHERE sender = ? AND ("
                " (state IN (?, ?) AND coalesce(next_at, created_at) <= ?)"
                f" OR (state = ? AND lease_until < ?)) ORDER BY id LIMIT ?{skip}"
            )
            params = (sender, QUEUED, RETRYING, now.isoformat(), SENDING, now.isoformat(), limit)
            rows = con.execute(
                f"SELECT {_ROW} FROM outbox WHERE id IN ({due}) ORDER BY id", params
            ).fetchall()
            ids = [int(r[0]) for r in rows]
            if ids:
                con.execute(
                    f"UPDATE outbox SET state = ?, lease_until = ? WHERE id IN ({_marks(ids)})",
                    [SENDING, (now + lease).isoformat(), *ids],
                )
        return [dict(zip(_COLUMNS, r, strict=True)) for r in rows]

    def attempted(
        self, message_id: int, error: str | None, retry_at: datetime | None = None
    ) -> None:
        """One attempt: sent (no error), or its error kept and the row retried at
        `retry_at` (None: given up, `failed`)."""
        state = SENT if error is None else RETRYING if retry_at is not None else FAILED
        with self._db.write() as con:
            con.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ?,"
                " lease_until = NULL, next_at = ?, sent_at = CASE WHEN ? THEN ? ELSE sent_at END"
                " WHERE id = ?",
                (
                    error,
                    state,
                    retry_at.isoformat() if retry_at else None,
                    error is None,
                    _now(),
                    message_id,
                ),
            )

    def release(self, message_ids: Collection[int]) -> None:
        """Give back claimed rows not posted (the process is stopping): due again."""
        with self._db.write() as con:
            con.executemany(
                "UPDATE outbox SET state = CASE WHEN attempts = 0 THEN ? ELSE ? END,"
                " lease_until = NULL WHERE id = ? AND state = ?",
                [(QUEUED, RETRYING, i, SENDING) for i in message_ids],
            )

    def next_due(self, sender: str) -> datetime | None:
        """When the earliest row waiting for `sender` is due (a lapsing claim too)."""
        with self._db.read() as con:
            row = con.execute(
                "SELECT min(CASE WHEN state = ? THEN lease_until"
                " ELSE coalesce(next_at, created_at) END) FROM outbox"
                " WHERE sender = ? AND state IN (?, ?, ?)",
                (SENDING, sender, QUEUED, RETRYING, SENDING),
            ).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def forget(self, before: datetime) -> int:
        """Blank the phone and text of messages done (sent or failed) before
        `before`; how many were blanked."""
        with self._db.write() as con:
            cur = con.execute(
                "UPDATE outbox SET phone = '', text = '' WHERE state IN (?, ?) "
                "AND created_at < ? AND (phone <> '' OR text <> '')",
                (SENT, FAILED, before.astimezone(UTC).isoformat()),
            )
            return int(cur.rowcount)

    def erase(self, references: Collection[str], phones: Collection[str]) -> int:
        """Delete every message about these requests or complaints (their public
        numbers) or to these phones, whatever its state (an erased person is
        told nothing more); how many went."""
        refs, numbers = list(references), list(phones)
        if not refs and not numbers:
            return 0
        with self._db.write() as con:
            cur = con.execute(
                f"DELETE FROM outbox WHERE reference IN ({_marks(refs)})"
                f" OR phone IN ({_marks(numbers)})",
                [*refs, *numbers],
            )
            return int(cur.rowcount)

    def messages(self, reference: str | None = None) -> list[dict[str, Any]]:
        where, params = ("WHERE reference = ?", [reference]) if reference is not None else ("", [])
        with self._db.read() as con:
            rows = con.execute(f"SELECT {_ROW} FROM outbox {where} ORDER BY id", params).fetchall()
        return [dict(zip(_COLUMNS, r, strict=True)) for r in rows]

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()


class OutboxSender:
    """Writes each message to the outbox, queued for the office's own sender."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def send(self, message: Notification) -> None:
        await asyncio.to_thread(self.outbox.add, message, "outbox")

    async def start(self) -> None:
        """Nothing to resend: the office's sender reads the outbox."""

    async def stop(self) -> None:
        await asyncio.to_thread(self.outbox.close)


class HttpSender:
    """Sends the outbox's `http` rows to a gateway's webhook: a pump per
    process claims what is due, posts it, and records each attempt."""

    SENDER: Final = "http"

    def __init__(
        self,
        url: str,
        outbox: Outbox,
        *,
        attempts: int = 5,
        timeout_s: float = 5.0,
        backoff_s: float = 2.0,
        drain_s: float = 10.0,
        lease_s: float | None = None,
        sweep_s: float = 30.0,
        concurrency: int = 4,
    ) -> None:
        self.url, self.outbox = url, outbox
        #: posts under way at once, on threads of their own: a row is claimed only
        #: when a thread is free to post it, so its lease runs while it is posted,
        #: not while it waits (a slow gateway would see it again), and the app's
        #: shared executor is never filled with posts
        self.concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None
        self.attempts, self.timeout_s, self.backoff_s = attempts, timeout_s, backoff_s
        self.drain_s, self.sweep_s = drain_s, sweep_s
        #: how long a claim holds a row: a post's timeout and then some
        self.lease = timedelta(seconds=lease_s if lease_s is not None else timeout_s * 2 + 5)
        self._wake = asyncio.Event()
        self._stopping = False
        self._pump: asyncio.Task[None] | None = None
        self._posts: set[asyncio.Task[None]] = set()

    async def send(self, message: Notification) -> None:
        """Keep the message (once per status change), then wake the pump; started
        on first use when `start` was not called (a test, a script)."""
        await asyncio.to_thread(self.outbox.add, message, self.SENDER)
        if self._pump is None and not self._stopping:
            await self.start()
        self._wake.set()

    async def start(self) -> None:
        """Start the pump: it sends at once what an earlier run left unsent."""
        if self._pump is None:
            self._stopping = False
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="notify")
            self._pump = asyncio.create_task(self._run())

    async def drain(self) -> None:
        """Wait until nothing is due or being posted (tests; `stop` is bounded)."""
        while True:
            due = await asyncio.to_thread(self.outbox.next_due, self.SENDER)
            if due is None:
                return
            self._wake.set()
            await asyncio.sleep(min(0.05, self.backoff_s))

    async def stop(self) -> None:
        """Stop claiming; wait up to `drain_s` for the posts under way; what is
        left stays in the outbox for the next start."""
        self._stopping = True
        self._wake.set()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._posts:
            _, late = await asyncio.wait(set(self._posts), timeout=self.drain_s)
            for task in late:  # the lease lapses and the next start resends it
                task.cancel()
            if late:
                log.warning("%d messages were still being sent at shutdown", len(late))
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        await asyncio.to_thread(self.outbox.close)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            free = self.concurrency - len(self._posts)
            try:
                rows = (
                    await asyncio.to_thread(self.outbox.claim, self.SENDER, self.lease, free)
                    if free > 0
                    else []
                )
            except Exception:  # the store's error, whichever back-end (sqlite3, psycopg)
                log.exception("the outbox could not be read; trying again")
                rows = []
            for row in rows:
                if self._stopping:
                    await asyncio.to_thread(self.outbox.release, [int(row["id"])])
                    continue
                task = asyncio.create_task(self._deliver(row))
                self._posts.add(task)
                task.add_done_callback(self._posts.discard)
            await self._wait()

    async def _wait(self) -> None:
        """Until a message is added, the next row is due, or a sweep (another
        process's lapsed claim)."""
        wait = self.sweep_s
        if len(self._posts) >= self.concurrency:  # busy: a post's end wakes us
            due = None
        else:
            due = await asyncio.to_thread(self.outbox.next_due, self.SENDER)
        if due is not None:
            wait = min(wait, max(0.0, (due - datetime.now(UTC)).total_seconds()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))

    async def _deliver(self, row: dict[str, Any]) -> None:
        message = Notification(
            phone=str(row["phone"]),
            text=str(row["text"]),
            reference=str(row["reference"]),
            status=str(row["status"]),
        )
        loop = asyncio.get_running_loop()
        error = await loop.run_in_executor(self._pool, self._post, message, str(row["key"] or ""))
        tried = int(row["attempts"]) + 1
        retry_at = None
        if error is not None and tried < self.attempts:
            retry_at = datetime.now(UTC) + timedelta(seconds=self.backoff_s * 2 ** (tried - 1))
        await asyncio.to_thread(self.outbox.attempted, int(row["id"]), error, retry_at)
        if error is not None and retry_at is None:
            log.warning(
                "message for %s given up after %d tries: %s", message.reference, tried, error
            )
        # a thread is free now: let the pump count it before it wakes
        self._posts.discard(asyncio.current_task())
        self._wake.set()

    def _post(self, message: Notification, key: str) -> str | None:
        body = json.dumps({**asdict(message), "key": key}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            return type(exc).__name__
        return None if 200 <= status < 300 else f"HTTP {status}"


def notifier_for(settings: Settings, outbox: Outbox | None = None) -> OutboxSender | HttpSender:
    """The notifier the settings choose, writing to the hub's outbox (the
    server's store's; one of its own without it); the app starts it with the
    server and stops it at shutdown."""
    box = outbox or Outbox.of(settings)
    if settings.notify_sender == "http" and settings.notify_url:
        return HttpSender(settings.notify_url, box)
    return OutboxSender(box)


def _marks(values: Collection[object]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def _now() -> str:
    return datetime.now(UTC).isoformat()


__all__ = [
    "FAILED",
    "QUEUED",
    "RETRYING",
    "SENDING",
    "SENT",
    "HttpSender",
    "Outbox",
    "OutboxSender",
    "message_key",
    "notifier_for",
    "outbox_path",
]
