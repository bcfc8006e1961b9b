"""Residents' status messages (SMS or WhatsApp), behind one small interface
(`schema.services.Notifier`): the front desk hands each message to the
notifier the settings choose (`notify_sender`):

- "outbox" (the default): the message is written to the outbox table
  (`$HUB_HOME/notify.sqlite`) as `queued`, for an office's own sender to pick up;
- "http": the message is also POSTed as JSON (`{"phone", "text", "reference",
  "status"}`) to `notify_url`, an SMS/WhatsApp gateway's webhook, in the
  background, up to `attempts` times; every attempt is recorded in the outbox
  (`sent`, or `failed` with the last error).

A failed send never fails the request that caused it.

A message's phone and text are personal data: `Outbox.forget` blanks them once
a message was sent or given up `notify_retention_days` ago (`hub retention`
runs it), keeping the row's reference, status and how the sending went.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import urllib.error
import urllib.request
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from hub.settings import Settings
from schema.services import Notification, Notifier

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


def outbox_path(settings: Settings) -> Path:
    return settings.home / "notify.sqlite"


class Outbox:
    """The outbox table: every message, with how its sending went."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(path, check_same_thread=False, timeout=30)
        self._con.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock, self._con:
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute(SCHEMA)

    def add(self, message: Notification, sender: str) -> int:
        with self._lock, self._con:
            cur = self._con.execute(
                "INSERT INTO outbox (created_at, phone, text, reference, status, sender, state) "
                "VALUES (?, ?, ?, ?, ?, ?, 'queued')",
                (_now(), message.phone, message.text, message.reference, message.status, sender),
            )
            return int(cur.lastrowid or 0)

    def attempted(self, message_id: int, error: str | None) -> None:
        """One attempt: sent (no error), or its error kept."""
        with self._lock, self._con:
            self._con.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, "
                "state = CASE WHEN ? IS NULL THEN 'sent' ELSE 'retrying' END, "
                "sent_at = CASE WHEN ? IS NULL THEN ? ELSE sent_at END WHERE id = ?",
                (error, error, error, _now(), message_id),
            )

    def gave_up(self, message_id: int) -> None:
        with self._lock, self._con:
            self._con.execute("UPDATE outbox SET state = 'failed' WHERE id = ?", (message_id,))

    def forget(self, before: datetime) -> int:
        """Blank the phone and text of messages done (sent or failed) before
        `before`; how many were blanked."""
        with self._lock, self._con:
            cur = self._con.execute(
                "UPDATE outbox SET phone = '', text = '' WHERE state IN ('sent', 'failed') "
                "AND created_at < ? AND (phone <> '' OR text <> '')",
                (before.astimezone(UTC).isoformat(),),
            )
            return int(cur.rowcount)

    def messages(self, reference: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._con.execute(
                "SELECT * FROM outbox WHERE ? IS NULL OR reference = ? ORDER BY id",
                (reference, reference),
            ).fetchall()
        return [dict(r) for r in rows]

    def close(self) -> None:
        self._con.close()


class OutboxSender:
    """Writes each message to the outbox, queued for the office's own sender."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def send(self, message: Notification) -> None:
        await asyncio.to_thread(self.outbox.add, message, "outbox")


class HttpSender:
    """POSTs each message to a gateway's webhook in the background, retrying,
    with every attempt recorded in the outbox."""

    def __init__(
        self,
        url: str,
        outbox: Outbox,
        *,
        attempts: int = 3,
        timeout_s: float = 5.0,
        backoff_s: float = 0.5,
    ) -> None:
        self.url, self.outbox = url, outbox
        self.attempts, self.timeout_s, self.backoff_s = attempts, timeout_s, backoff_s
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: Notification) -> None:
        message_id = await asyncio.to_thread(self.outbox.add, message, "http")
        task = asyncio.create_task(self._deliver(message_id, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the messages being sent (at shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, message_id: int, message: Notification) -> None:
        body = json.dumps(asdict(message)).encode()
        for attempt in range(1, self.attempts + 1):
            error = await asyncio.to_thread(self._post, body)
            await asyncio.to_thread(self.outbox.attempted, message_id, error)
            if error is None:
                return
            if attempt < self.attempts:
                await asyncio.sleep(self.backoff_s * attempt)
        await asyncio.to_thread(self.outbox.gave_up, message_id)

    def _post(self, body: bytes) -> str | None:
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            return type(exc).__name__
        return None if 200 <= status < 300 else f"HTTP {status}"


def notifier_for(settings: Settings, outbox: Outbox | None = None) -> Notifier:
    """The notifier the settings choose, writing to the hub's outbox."""
    box = outbox or Outbox(outbox_path(settings))
    if settings.notify_sender == "http" and settings.notify_url:
        return HttpSender(settings.notify_url, box)
    return OutboxSender(box)


def _now() -> str:
    return datetime.now(UTC).isoformat()


__all__ = ["HttpSender", "Outbox", "OutboxSender", "notifier_for", "outbox_path"]
