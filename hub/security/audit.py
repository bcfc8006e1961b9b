"""The audit log: every read or write of personal data, append-only and
hash-chained, in the `audit_log` table of the security database.

Each row's hash is an HMAC (key outside the database, see `hub.security.chain`)
over its own columns and the previous row's hash, so changing or removing a
row breaks the chain from that row on, and a chain recomputed without the key
does not verify; triggers refuse UPDATE and DELETE outright. The head is
exported to anchors files outside the database (`anchor`), so a tail cut off
the log is found by `verify` too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.shapes import AuditPage
from hub.security.chain import (
    GENESIS_HASH,
    Anchor,
    AnchorError,
    ChainConfig,
    keyed_hash,
    now_text,
    plain_hash,
)
from hub.security.db import SecurityDB
from hub.security.principal import Principal
from hub.settings import Settings
from schema.services import AuditEntry
from store import Conn

_COLUMNS = (
    "seq, ts, subject, organization, role, operation, person_ids, household_ids, purpose,"
    " prev_hash, hash"
)
_VERIFY_BATCH = 10_000
#: what appends serialise on (the chain's head)
_CHAIN = "audit-chain"


@dataclass(frozen=True)
class AuditEvent:
    subject: str
    organization: str
    role: str
    operation: str
    """What was done, e.g. `read:household`, `update:person`, `create:referral`."""
    person_ids: Sequence[str] = ()
    household_ids: Sequence[str] = ()
    purpose: str | None = None
    ts: datetime | None = None
    """When; the log's clock is used when None."""

    @classmethod
    def of(
        cls,
        principal: Principal,
        operation: str,
        person_ids: Iterable[str] = (),
        household_ids: Iterable[str] = (),
        purpose: str | None = None,
    ) -> AuditEvent:
        return cls(
            principal.subject,
            principal.organization,
            principal.role,
            operation,
            tuple(person_ids),
            tuple(household_ids),
            purpose,
        )


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    ts: datetime
    subject: str
    organization: str
    role: str
    operation: str
    person_ids: tuple[str, ...]
    household_ids: tuple[str, ...]
    purpose: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None
    checked: int
    """Rows that chained correctly before the first bad one (all rows when ok)."""
    reason: str | None = None
    head_hash: str = GENESIS_HASH
    """The hash of the last good row (what `anchor` exports)."""
    anchored_seq: int = 0
    """The newest exported anchor the log was checked against."""

    def message(self) -> str:
        """One line for people: what is wrong, or that all is well."""
        if self.ok:
            return (
                f"Audit chain intact: {self.checked} events; head {self.head_hash};"
                f" checked against the anchor at seq {self.anchored_seq}."
            )
        where = "" if self.first_bad_seq is None else f" at seq {self.first_bad_seq}"
        return (
            f"Audit chain broken{where}: {self.reason} ({self.checked} rows before it check out)."
        )


#: One audit_log row as the database returns it (not a `domain.shapes.Row`: a tuple, in
#: column order).
AuditLogRow = tuple[int, str, str, str, str, str, str, str, str | None, str, str]


def _ids(ids: Sequence[str]) -> str:
    return json.dumps([str(i) for i in ids])


def _record(row: AuditLogRow) -> AuditRecord:
    seq, ts, subject, org, role, op, persons, households, purpose, prev, digest = row
    return AuditRecord(
        seq,
        datetime.fromisoformat(ts),
        subject,
        org,
        role,
        op,
        tuple(json.loads(persons)),
        tuple(json.loads(households)),
        purpose,
        prev,
        digest,
    )


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """The log in one security database. `chain` holds the HMAC key and the
    anchors files (default: beside the database, `keys/audit-key` and
    `audit-anchors.jsonl`). Opening a log that has no key yet makes the key and
    marks the rows so far as legacy (plain SHA-256), in the database and in a
    first anchor, so they keep verifying."""

    def __init__(
        self,
        db: SecurityDB,
        now: Callable[[], datetime] = _utcnow,
        chain: ChainConfig | None = None,
    ) -> None:
        self.db = db
        self._now = now
        self.chain = chain or ChainConfig.beside(db.path)
        if db.shared:  # every server must chain with the same key
            db.claim_key("audit", self.chain.key, self.chain.key_file or db.path)
        self._mark_keyed_start()

    @classmethod
    def from_settings(cls, settings: Settings, db: SecurityDB | None = None) -> AuditLog:
        return cls(
            db or SecurityDB.from_settings(settings), chain=ChainConfig.from_settings(settings)
        )

    def _mark_keyed_start(self) -> None:
        with self.db.write(lock=_CHAIN) as conn:
            marked = conn.execute("SELECT value FROM audit_meta WHERE name = 'legacy_until'")
            found = marked.fetchone()
            if found:
                self._first_anchor_here(conn, int(found[0]))
                return
            last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            seq, head = last.fetchone() or (0, GENESIS_HASH)
            try:
                anchors = self.chain.read_anchors()
            except AnchorError:
                return  # verify names it
            # Mark only a log that is new or meets its key for the first time: a
            # known key with no marker and no anchors means they were removed,
            # and marking now would bless whatever is in the database.
            if anchors or not (seq == 0 or self.chain.key_created):
                return
            conn.execute(
                "INSERT INTO audit_meta (name, value) VALUES ('legacy_until', ?)", (str(seq),)
            )
            if self.db.shared:
                conn.execute(
                    "INSERT INTO audit_meta (name, value) VALUES (?, '1')", (self._started,)
                )
            self.chain.write_anchor(Anchor(seq, head, now_text(self._now()), seq))

    def _first_anchor_here(self, conn: Conn, legacy_until: int) -> None:
        """A server joining a shared database from another home starts its
        anchors file where the keyed chain starts, as the first server's did
        (that blesses nothing the marker does not already say), once: the
        database remembers which anchors files were started, so a file deleted
        later is reported by verify, not started again."""
        if not self.db.shared:
            return
        started = conn.execute("SELECT 1 FROM audit_meta WHERE name = ?", (self._started,))
        if started.fetchone():
            return
        try:
            if self.chain.read_anchors():
                return
        except AnchorError:
            return  # verify names it
        start = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (legacy_until,))
        row = start.fetchone()
        head = GENESIS_HASH if legacy_until == 0 or row is None else str(row[0])
        conn.execute("INSERT INTO audit_meta (name, value) VALUES (?, '1')", (self._started,))
        self.chain.write_anchor(Anchor(legacy_until, head, now_text(self._now()), legacy_until))

    @property
    def _started(self) -> str:
        """The audit_meta row that says this home's anchors file was started."""
        return f"anchors_started:{self.chain.anchor_files[0].resolve()}"

    def _hash(self, row: Sequence[object], legacy_until: int) -> str:
        return (
            plain_hash(row) if int(str(row[0])) <= legacy_until else keyed_hash(self.chain.key, row)
        )

    def append(self, event: AuditEvent) -> str:
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[AuditEvent]) -> list[str]:
        """Append in one transaction (one fsync); returns the new rows' hashes."""
        batch = list(events)
        if not batch:
            return []
        for event in batch:
            if not event.operation:
                raise ValueError("An audit event needs an operation, e.g. 'read:household'.")
        with self.db.write(lock=_CHAIN) as conn:  # one head at a time, in every server
            last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            seq, prev = last.fetchone() or (0, GENESIS_HASH)
            rows: list[tuple[object, ...]] = []
            for event in batch:
                seq += 1
                ts = (event.ts or self._now()).astimezone(UTC).isoformat(timespec="microseconds")
                row: tuple[object, ...] = (
                    seq,
                    ts,
                    event.subject,
                    event.organization,
                    event.role,
                    event.operation,
                    _ids(event.person_ids),
                    _ids(event.household_ids),
                    event.purpose,
                    prev,
                )
                prev = keyed_hash(self.chain.key, row)
                rows.append((*row, prev))
            conn.executemany(
                f"INSERT INTO audit_log ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return [str(row[-1]) for row in rows]

    def verify(self) -> VerifyResult:
        """Check every row with the key (legacy rows with the old rule) and
        against every exported anchor: a changed row, a chain recomputed
        without the key, and a tail cut off after an anchor all fail here."""
        try:
            anchors = self.chain.read_anchors()
        except AnchorError as exc:
            return VerifyResult(False, None, 0, str(exc))
        if not anchors:
            files = ", ".join(str(p) for p in self.chain.anchor_files)
            return VerifyResult(
                False,
                None,
                0,
                f"no anchors in {files}: the exported heads"
                " are gone, so a rewritten or shortened log cannot be ruled out",
            )
        legacy_until = anchors[0].legacy_until
        with self.db.read() as conn:
            marked = conn.execute("SELECT value FROM audit_meta WHERE name = 'legacy_until'")
            row = marked.fetchone()
        if row is None or int(row[0]) != legacy_until:
            return VerifyResult(
                False,
                None,
                0,
                "the database's keyed-chain marker"
                f" ({None if row is None else row[0]}) differs from the anchors'"
                f" ({legacy_until}): the database was replaced or rewritten",
            )
        return self._walk(1, GENESIS_HASH, anchors, legacy_until)

    def _walk(
        self, start: int, prev: str, anchors: list[Anchor], legacy_until: int
    ) -> VerifyResult:
        by_seq = {a.seq: a for a in anchors if a.seq >= start}
        expected_seq, checked = start, 0
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?",
                    (expected_seq, _VERIFY_BATCH),
                ).fetchall()
            if not rows:
                break
            for row in rows:
                reason = self._check(row, expected_seq, prev, legacy_until)
                anchor = by_seq.get(row[0])
                if reason is None and anchor is not None and anchor.hash != row[10]:
                    reason = f"the row differs from the head exported at {anchor.ts}"
                if reason is not None:
                    return VerifyResult(False, row[0], checked, reason, head_hash=prev)
                expected_seq, prev, checked = row[0] + 1, row[10], checked + 1
        head_seq = expected_seq - 1
        last = max(anchors, key=lambda a: a.seq)
        if last.seq > head_seq:
            return VerifyResult(
                False,
                head_seq + 1,
                checked,
                f"rows {head_seq + 1}..{last.seq} are missing: the anchor"
                f" exported at {last.ts} names seq {last.seq}",
                head_hash=prev,
            )
        if last.seq == head_seq == 0 and last.hash != prev:
            return VerifyResult(False, None, 0, "the anchor at seq 0 does not match")
        return VerifyResult(True, None, checked, head_hash=prev, anchored_seq=last.seq)

    def _check(
        self, row: AuditLogRow, expected_seq: int, prev: str, legacy_until: int
    ) -> str | None:
        if row[0] != expected_seq:
            return f"rows {expected_seq}..{row[0] - 1} are missing"
        if row[9] != prev:
            return "prev_hash does not match the previous row's hash"
        if self._hash(row, legacy_until) != row[10]:
            return "the row's contents do not match its keyed hash"
        return None

    def anchor(self) -> Anchor:
        """Export the head (sequence, hash, time) to the anchors files, after
        checking the rows since the last anchor; unchanged heads are not
        written again. Raises `AnchorError` when that check fails: a broken
        chain must not be blessed."""
        anchors = self.chain.read_anchors()
        if not anchors:
            raise AnchorError("no anchors to continue from; run `hub audit verify`")
        last = max(anchors, key=lambda a: a.seq)
        with self.db.read() as conn:
            start = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (last.seq,))
            found = start.fetchone()
        if last.seq and (found is None or found[0] != last.hash):
            raise AnchorError(
                f"row {last.seq} no longer matches its anchor of {last.ts}; run `hub audit verify`"
            )
        result = self._walk(last.seq + 1, last.hash, anchors, last.legacy_until)
        if not result.ok:
            raise AnchorError(result.message())
        head_seq = last.seq + result.checked
        if head_seq == last.seq:
            return last
        anchor = Anchor(head_seq, result.head_hash, now_text(self._now()), last.legacy_until)
        self.chain.write_anchor(anchor)
        return anchor

    def subject_access_report(self, person_id: str) -> list[AuditRecord]:
        """Every event that read or changed this person's data, oldest first."""
        return self._involving("person_ids", person_id)

    def household_access_report(self, household_id: str) -> list[AuditRecord]:
        return self._involving("household_ids", household_id)

    def _involving(self, column: str, value: str) -> list[AuditRecord]:
        needle = json.dumps(str(value))
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        sql = (
            f"SELECT {_COLUMNS} FROM audit_log WHERE {column} LIKE ? ESCAPE '\\'"
            f" AND EXISTS (SELECT 1 FROM {self.db.dialect.json_each(f'audit_log.{column}')}"
            " WHERE value = ?)"
            " ORDER BY seq"
        )
        with self.db.read() as conn:
            rows = conn.execute(sql, (pattern, str(value))).fetchall()
        return [_record(row) for row in rows]

    def page(
        self,
        person_id: str | None = None,
        offset: int = 0,
        limit: int = 50,
        as_of: int | None = None,
    ) -> tuple[list[AuditRecord], int, int]:
        """Newest first, optionally only events involving one person, among the
        events up to seq `as_of` (default: the newest now); the total among
        them; and `as_of`. The log only grows, so the pages of one `as_of`
        stay put while events are added."""
        with self.db.read() as conn:
            if as_of is None:
                as_of = int(
                    conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]
                )
            where = " WHERE seq <= ?"
            params: tuple[object, ...] = (as_of,)
            if person_id is not None:
                persons = self.db.dialect.json_each("audit_log.person_ids")
                where += f" AND EXISTS (SELECT 1 FROM {persons} WHERE value = ?)"
                params = (as_of, str(person_id))
            total = conn.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM audit_log{where} ORDER BY seq DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [_record(row) for row in rows], int(total), as_of

    def tail(self, limit: int = 50) -> list[AuditRecord]:
        with self.db.read() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_record(row) for row in reversed(rows)]


class _Batch:
    """The requests of one event loop waiting for the audit writer."""

    def __init__(self) -> None:
        self.waiting: list[tuple[list[AuditEvent], asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None


class AuditLogSink:
    """The AuditLog as the schema's `AuditSink`: database work off the event loop.

    Group commit: the requests that finish while a batch is being written wait
    together and go into the next transaction, one thread hop and one commit
    for all of them. `record` returns only once its own events are committed
    (or raises), so no response leaves before its audit record exists. Each
    event loop has its own queue and writer.
    """

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._batches: dict[asyncio.AbstractEventLoop, _Batch] = {}

    async def record(self, entries: Sequence[AuditEntry]) -> None:
        events = [
            AuditEvent(
                e.subject,
                e.organization,
                e.role,
                e.operation,
                e.person_ids,
                e.household_ids,
                e.purpose,
            )
            for e in entries
        ]
        if not events:
            return
        if not all(e.operation for e in events):  # refused here, not in a neighbour's batch
            raise ValueError("An audit event needs an operation, e.g. 'read:household'.")
        loop = asyncio.get_running_loop()
        batch = self._batches.get(loop)
        if batch is None:
            batch = self._batches[loop] = _Batch()
        done: asyncio.Future[None] = loop.create_future()
        batch.waiting.append((events, done))
        if batch.writer is None:
            batch.writer = loop.create_task(self._write_waiting(loop, batch))
        await done

    async def _write_waiting(self, loop: asyncio.AbstractEventLoop, batch: _Batch) -> None:
        try:
            while batch.waiting:
                taken, batch.waiting = batch.waiting, []
                try:
                    await asyncio.to_thread(
                        self.log.append_many, [e for events, _ in taken for e in events]
                    )
                except BaseException as exc:  # every request of the batch learns it
                    for _, done in taken:
                        if not done.done():
                            if isinstance(exc, asyncio.CancelledError):
                                done.cancel()
                            else:
                                done.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for _, done in taken:
                        if not done.done():
                            done.set_result(None)
        finally:
            for _, done in batch.waiting:  # only left when the writer was cancelled
                done.cancel()
            batch.writer = None
            if self._batches.get(loop) is batch:
                del self._batches[loop]

    async def entries(
        self, *, person_id: str | None, offset: int, limit: int, as_of: int | None = None
    ) -> AuditPage:
        records, total, snapshot = await asyncio.to_thread(
            self.log.page, person_id, offset, limit, as_of
        )
        return {"rows": [dict(vars(r)) for r in records], "total": total, "as_of": snapshot}


__all__ = [
    "GENESIS_HASH",
    "AuditEvent",
    "AuditLog",
    "AuditLogSink",
    "AuditRecord",
    "VerifyResult",
]
