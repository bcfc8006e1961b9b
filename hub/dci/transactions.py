"""DCI transactions and their callbacks, durable in the hub's security database
(`$HUB_HOME/security.sqlite`, or the PostgreSQL schema every server shares).

Each accepted search (sync or async) and async status request is a row keyed
by the hub's `correlation_id`. An async one is answered at once with an ACK;
the worker (`Deliveries.run`, started with the server) then runs it, keeps the
answer and POSTs it, signed at sending time, to the sender's callback
(hub.dci.callbacks `post_signed`, as the notify pump does), retrying with its
growing pause (1 s, 2 s, 4 s ... at most 5 min) up to `MAX_ATTEMPTS`.
What is not delivered when the server stops is delivered at the next start; a
row is claimed for `LEASE_S` before it is worked on, so two servers sharing the
store do not both send it: the claim is one conditional `UPDATE ... RETURNING`
(PostgreSQL re-checks a row's lease once the other claimer's update commits;
SQLite runs one writer at a time), and the outcome of an attempt (delivered,
or failed and when to retry) is read and written under the row's lock. Each
claim increments the row's `lease_token` (a fencing token, hub.dci.lease, the
notify pump's rule too) and every outcome
is written only while the token is still the claimer's: a worker whose lease
ran out (a search or a callback slower than `LEASE_S`) and whose row another
worker claimed since writes nothing, and says so in the log.

Once delivered, the records are dropped from the stored answer: `txn/status`
answers each request's status and counts, never the households again (a new
search reads them anew, and is audited anew). They are dropped too when the
worker gives up, and an answer kept for a sender revoked since is never sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from hub.dci.callbacks import Sent, Signer, pause_after, post_signed
from hub.dci.lease import TOKEN, TOKEN_DDL, Fence, add_columns
from hub.dci.senders import SenderRegistry
from hub.security.db import SecurityDB
from store import Schema

_log = logging.getLogger("hub.dci")

TABLES: Schema = (
    """CREATE TABLE IF NOT EXISTS dci_transactions (
        correlation_id  TEXT PRIMARY KEY,
        sender_id       TEXT NOT NULL,
        subject         TEXT NOT NULL,
        transaction_id  TEXT NOT NULL,
        action          TEXT NOT NULL,
        reference_ids   TEXT NOT NULL,
        status          TEXT NOT NULL,
        request         TEXT NOT NULL,
        answer          TEXT,
        callback        TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        lease_until     TEXT,
        delivered_at    TEXT,
        given_up_at     TEXT,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        lease_token     INTEGER NOT NULL DEFAULT 0,
        organization    TEXT,
        role            TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS dci_transactions_sender "
    "ON dci_transactions (sender_id, transaction_id)",
    # txn-status by a search's reference id: one row per (transaction, reference id)
    """CREATE TABLE IF NOT EXISTS dci_transaction_refs (
        sender_id      TEXT NOT NULL,
        reference_id   TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        PRIMARY KEY (sender_id, reference_id, correlation_id)
    )""",
    "CREATE INDEX IF NOT EXISTS dci_transaction_refs_txn ON dci_transaction_refs (correlation_id)",
    # retention: finished transactions by when they finished
    "CREATE INDEX IF NOT EXISTS dci_transactions_delivered ON dci_transactions (delivered_at)",
    "CREATE INDEX IF NOT EXISTS dci_transactions_given_up ON dci_transactions (given_up_at)",
)

MAX_ATTEMPTS = 10
LEASE_S = 120
_COLUMNS = (
    "correlation_id, sender_id, subject, transaction_id, action, reference_ids, status, "
    "request, answer, callback, attempts, delivered_at, given_up_at, last_error, created_at, "
    "lease_token, organization, role"
)
#: columns added after the table was first made: name -> DDL
_LATER = {TOKEN: TOKEN_DDL, "organization": "TEXT", "role": "TEXT"}
#: the claims' fencing token (hub.dci.lease)
_FENCE = Fence("dci_transactions", "correlation_id", "DCI transaction")


def _stamp(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).isoformat()


@dataclass(frozen=True)
class Transaction:
    correlation_id: str
    sender_id: str
    subject: str
    transaction_id: str
    action: str
    reference_ids: list[str]
    status: str
    """pdng (accepted, not run yet), succ or rjct (run: see the answer)"""
    request: dict[str, Any]
    """the request's header and message"""
    answer: dict[str, Any] | None
    """the callback's header and message (records dropped once delivered)"""
    callback: str | None
    attempts: int
    delivered_at: str | None
    given_up_at: str | None
    last_error: str | None
    created_at: str
    lease_token: int = 0
    """the claim's fencing token: the outcome methods write only while it is current"""
    organization: str | None = None
    role: str | None = None
    """what the sender acted as when it asked (None: made before it was kept)"""


def _row(row: Sequence[Any]) -> Transaction:
    return Transaction(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        list(json.loads(row[5])),
        str(row[6]),
        json.loads(row[7]),
        None if row[8] is None else json.loads(row[8]),
        row[9],
        int(row[10]),
        row[11],
        row[12],
        row[13],
        str(row[14]),
        int(row[15]),
        row[16],
        row[17],
    )


def without_records(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A callback's header and message with every search item's `data` dropped."""
    message = answer.get("message")
    if not isinstance(message, Mapping):
        return dict(answer)
    slim = dict(message)
    if isinstance(slim.get("search_response"), list):
        slim["search_response"] = [
            {k: v for k, v in item.items() if k != "data"} for item in slim["search_response"]
        ]
    return {**answer, "message": slim}


def _lock(correlation_id: str) -> str:
    """What an attempt's outcome, read then written, serialises on."""
    return f"dci-transaction:{correlation_id}"


class Transactions:
    def __init__(self, db: SecurityDB, lease_s: float = LEASE_S) -> None:
        self.db = db
        #: how long a claim holds a transaction before another worker may take it
        self.lease = timedelta(seconds=lease_s)
        db.database.apply(TABLES)
        add_columns(db, "dci_transactions", _LATER)
        self._index_references()

    def _index_references(self) -> None:
        """Index the reference ids of searches stored before the index was
        (once: only while the index is empty and searches exist)."""
        with self.db.write(lock="dci-transactions:refs") as con:
            if con.execute("SELECT 1 FROM dci_transaction_refs LIMIT 1").fetchone():
                return
            con.execute(
                "INSERT INTO dci_transaction_refs (sender_id, reference_id, correlation_id) "
                f"SELECT t.sender_id, value, t.correlation_id FROM dci_transactions t, "
                f"{con.dialect.json_each('t.reference_ids')} WHERE t.action = 'search' "
                "ON CONFLICT (sender_id, reference_id, correlation_id) DO NOTHING"
            )

    def add(
        self,
        correlation_id: str,
        sender_id: str,
        subject: str,
        transaction_id: str,
        action: str,
        reference_ids: Sequence[str],
        request: Mapping[str, Any],
        callback: str | None,
        *,
        status: str = "pdng",
        answer: Mapping[str, Any] | None = None,
        delivered: bool = False,
        organization: str | None = None,
        role: str | None = None,
    ) -> None:
        """Keep a transaction; `organization` and `role`: what its sender acts as
        (`Sender.is_party`: nothing is run or sent for another party)."""
        now = _stamp()
        stored = None if answer is None else (without_records(answer) if delivered else answer)
        with self.db.write() as con:
            con.execute(
                "INSERT INTO dci_transactions (correlation_id, sender_id, subject, "
                "transaction_id, action, reference_ids, status, request, answer, callback, "
                "next_attempt_at, delivered_at, created_at, updated_at, organization, role) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    correlation_id,
                    sender_id,
                    subject,
                    transaction_id,
                    action,
                    json.dumps(list(reference_ids)),
                    status,
                    json.dumps(request),
                    None if stored is None else json.dumps(stored),
                    callback,
                    now,
                    now if delivered else None,
                    now,
                    now,
                    organization,
                    role,
                ),
            )
            if action == "search":  # found again by reference id (txn-status)
                con.executemany(
                    "INSERT INTO dci_transaction_refs (sender_id, reference_id, correlation_id) "
                    "VALUES (?, ?, ?) ON CONFLICT (sender_id, reference_id, correlation_id) "
                    "DO NOTHING",
                    [(sender_id, str(ref), correlation_id) for ref in dict.fromkeys(reference_ids)],
                )

    def get(self, correlation_id: str) -> Transaction | None:
        with self.db.read() as con:
            row = con.execute(
                f"SELECT {_COLUMNS} FROM dci_transactions WHERE correlation_id = ?",
                (correlation_id,),
            ).fetchone()
        return None if row is None else _row(row)

    def find(self, sender_id: str, attribute: str, value: Any) -> list[Transaction]:
        """The sender's own search transactions by `transaction_id`,
        `correlation_id` or `reference_id_list` (newest first): one indexed
        query, never a scan of the sender's transactions."""
        if attribute in ("transaction_id", "correlation_id"):
            where, args = f"{attribute} = ?", [str(value)]
        else:
            wanted = sorted({str(v) for v in value} if isinstance(value, list) else {str(value)})
            if not wanted:
                return []
            marks = ", ".join("?" for _ in wanted)
            where = (
                "correlation_id IN (SELECT correlation_id FROM dci_transaction_refs "
                f"WHERE sender_id = ? AND reference_id IN ({marks}))"
            )
            args = [sender_id, *wanted]
        with self.db.read() as con:
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM dci_transactions WHERE sender_id = ? "
                f"AND action = 'search' AND {where} ORDER BY created_at DESC",
                (sender_id, *args),
            ).fetchall()
        return [_row(r) for r in rows]

    def forget(self, before: datetime) -> int:
        """Delete the transactions finished before `before` (delivered, given up,
        or answered at once), with their requests (the numbers searched) and
        reference ids; a transaction still to be delivered is kept. How many went."""
        cutoff = _stamp(before)
        with self.db.write(lock="dci-transactions:forget") as con:
            rows = con.execute(
                "DELETE FROM dci_transactions WHERE delivered_at < ? OR given_up_at < ? "
                "RETURNING correlation_id",
                (cutoff, cutoff),
            ).fetchall()
            con.executemany(
                "DELETE FROM dci_transaction_refs WHERE correlation_id = ?",
                [(str(r[0]),) for r in rows],
            )
        return len(rows)

    def due(self, now: datetime | None = None) -> list[str]:
        """Correlation ids with work left whose time has come and that nobody holds."""
        at = _stamp(now)
        with self.db.read() as con:
            rows = con.execute(
                "SELECT correlation_id FROM dci_transactions "
                "WHERE callback IS NOT NULL AND delivered_at IS NULL AND given_up_at IS NULL "
                "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
                "ORDER BY next_attempt_at",
                (at, at),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def claim(self, correlation_id: str) -> Transaction | None:
        """Hold the transaction for the lease (`LEASE_S`): its row, with a new
        `lease_token`, when this caller got it; None when it is done, given up
        or held by another worker. One statement, so of several servers
        claiming at once exactly one gets it."""
        now = datetime.now(UTC)
        with self.db.write() as con:
            rows = con.execute(  # all fetched: the statement is done before COMMIT
                "UPDATE dci_transactions SET lease_until = ?, lease_token = lease_token + 1 "
                "WHERE correlation_id = ? AND delivered_at IS NULL AND given_up_at IS NULL "
                f"AND (lease_until IS NULL OR lease_until < ?) RETURNING {_COLUMNS}",
                (_stamp(now + self.lease), correlation_id, _stamp(now)),
            ).fetchall()
        return _row(rows[0]) if rows else None

    def answered(
        self, correlation_id: str, status: str, answer: Mapping[str, Any], token: int
    ) -> bool:
        """Keep the answer of a claimed transaction; False (nothing written) when
        `token` is not its lease's any more."""
        with self.db.write(lock=_lock(correlation_id)) as con:
            if _FENCE.taken_over(con, correlation_id, token, "the answer"):
                return False
            con.execute(
                "UPDATE dci_transactions SET status = ?, answer = ?, updated_at = ? "
                "WHERE correlation_id = ? AND lease_token = ?",
                (status, json.dumps(answer), _stamp(), correlation_id, token),
            )
        return True

    def delivered(self, correlation_id: str, token: int) -> bool:
        now = _stamp()
        with self.db.write(lock=_lock(correlation_id)) as con:
            if _FENCE.taken_over(con, correlation_id, token, "delivered"):
                return False
            found = con.execute(
                "SELECT answer FROM dci_transactions WHERE correlation_id = ?", (correlation_id,)
            ).fetchone()
            answer = None if found is None or found[0] is None else json.loads(found[0])
            slim = None if answer is None else without_records(answer)
            con.execute(
                "UPDATE dci_transactions SET delivered_at = ?, answer = ?, "
                "attempts = attempts + 1, lease_until = NULL, last_error = NULL, "
                "updated_at = ? WHERE correlation_id = ? AND lease_token = ?",
                (now, None if slim is None else json.dumps(slim), now, correlation_id, token),
            )
        return True

    def failed(self, correlation_id: str, error: str, token: int) -> bool:
        """One more failed attempt: try again after a pause, or give up (and
        drop the records: households nobody will receive are not kept). False
        (nothing written) when `token` is not the lease's any more."""
        with self.db.write(lock=_lock(correlation_id)) as con:
            if _FENCE.taken_over(con, correlation_id, token, "a failed attempt"):
                return False
            found = con.execute(
                "SELECT attempts, answer FROM dci_transactions WHERE correlation_id = ?",
                (correlation_id,),
            ).fetchone()
            attempts = (int(found[0]) if found else 0) + 1
            now = datetime.now(UTC)
            pause = pause_after(attempts)
            giving_up = attempts >= MAX_ATTEMPTS
            answer = None if found is None or found[1] is None else json.loads(found[1])
            if giving_up and answer is not None:
                answer = without_records(answer)
            con.execute(
                "UPDATE dci_transactions SET attempts = ?, last_error = ?, lease_until = NULL, "
                "next_attempt_at = ?, given_up_at = ?, answer = ?, updated_at = ? "
                "WHERE correlation_id = ? AND lease_token = ?",
                (
                    attempts,
                    error[:500],
                    _stamp(now + timedelta(seconds=pause)),
                    _stamp(now) if giving_up else None,
                    None if answer is None else json.dumps(answer),
                    _stamp(now),
                    correlation_id,
                    token,
                ),
            )
        return True

    def withdrawn(self, correlation_id: str, reason: str, token: int) -> bool:
        """Never to be sent (its sender was revoked): given up, records dropped.
        False (nothing written) when `token` is not the lease's any more."""
        now = _stamp()
        with self.db.write(lock=_lock(correlation_id)) as con:
            if _FENCE.taken_over(con, correlation_id, token, "withdrawn"):
                return False
            found = con.execute(
                "SELECT answer FROM dci_transactions WHERE correlation_id = ?",
                (correlation_id,),
            ).fetchone()
            answer = (
                None if found is None or found[0] is None else without_records(json.loads(found[0]))
            )
            con.execute(
                "UPDATE dci_transactions SET given_up_at = ?, last_error = ?, answer = ?, "
                "lease_until = NULL, updated_at = ? WHERE correlation_id = ? AND lease_token = ?",
                (
                    now,
                    reason[:500],
                    None if answer is None else json.dumps(answer),
                    now,
                    correlation_id,
                    token,
                ),
            )
        return True


#: runs a pending transaction: (its row) -> (status, the callback's header and message)
Runner = Callable[[Transaction], Awaitable[tuple[str, dict[str, Any]]]]


class Deliveries:
    """The worker that runs accepted async requests and delivers their callbacks."""

    def __init__(
        self,
        store: Transactions,
        run: Runner,
        sign: Signer,
        poll_s: float = 1.0,
        senders: SenderRegistry | None = None,
    ) -> None:
        self.store = store
        self.run_one = run
        self.sign = sign
        #: when given, an answer kept for a sender revoked since is never sent
        self.senders = senders
        self.poll_s = poll_s
        self.wake = asyncio.Event()

    async def run(self) -> None:
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    for correlation_id in await asyncio.to_thread(self.store.due):
                        await self.work(client, correlation_id)
                except Exception as exc:  # the store away for a moment: the next round retries
                    _log.error("DCI delivery worker: %s (trying again)", exc)
                self.wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), self.poll_s)

    async def work(self, client: httpx.AsyncClient, correlation_id: str) -> None:
        found = await asyncio.to_thread(self.store.claim, correlation_id)
        if found is None or found.callback is None:
            return
        token = found.lease_token  # every outcome below is written only while it holds
        refused = None if self.senders is None else self.senders.refused_callback(found.callback)
        if refused is not None:  # never sent there: not run, not retried
            await asyncio.to_thread(self.store.withdrawn, correlation_id, refused, token)
            return
        sender = (
            None
            if self.senders is None
            else await asyncio.to_thread(self.senders.active, found.sender_id)
        )
        if found.answer is not None and self.senders is not None and sender is None:
            # households read for a sender revoked since: not sent to it
            await asyncio.to_thread(
                self.store.withdrawn,
                correlation_id,
                f"sender {found.sender_id} was revoked: the answer was not sent",
                token,
            )
            return
        if sender is not None and not sender.is_party(found.organization, found.role):
            await asyncio.to_thread(
                self.store.withdrawn,
                correlation_id,
                f"sender {found.sender_id} acts for {sender.organization} ({sender.role}) now,"
                f" not {found.organization} ({found.role}), who asked: not run, not sent",
                token,
            )
            return
        try:
            answer = found.answer
            if answer is None:
                status, answer = await self.run_one(found)
                kept = await asyncio.to_thread(
                    self.store.answered, correlation_id, status, answer, token
                )
                if not kept:  # another worker holds it now: it runs and sends it
                    return
        except Exception as exc:  # the next attempt may run it: keep it, say why
            sent = Sent(error=str(exc) or type(exc).__name__)
        else:
            check = None if self.senders is None else self.senders.refused_callback
            sent = await post_signed(client, found.callback, answer, self.sign, check)
        if sent.refused is not None:
            await asyncio.to_thread(self.store.withdrawn, correlation_id, sent.refused, token)
        elif sent.error is not None:
            _log.warning(
                "DCI callback %s to %s failed: %s", correlation_id, found.callback, sent.error
            )
            await asyncio.to_thread(self.store.failed, correlation_id, sent.error, token)
        else:
            await asyncio.to_thread(self.store.delivered, correlation_id, token)


__all__ = ["MAX_ATTEMPTS", "TABLES", "Deliveries", "Transaction", "Transactions", "without_records"]
