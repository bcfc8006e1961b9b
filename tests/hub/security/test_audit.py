from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from storetest import INTEGRITY_ERRORS, security_again, tamper

from hub.security.audit import GENESIS_HASH, AuditEvent, AuditLog, AuditLogSink
from hub.security.db import SecurityDB
from hub.security.principal import Principal
from schema.services import AuditEntry

WORKER = Principal("staff:siti", "dinsos-bandung", "social_worker", "jwt")
FOUNDATION = Principal(
    "key:0123456789abcdef", "yayasan-a", "foundation", "api_key", "0123456789abcdef"
)


@pytest.fixture
def log(db: SecurityDB) -> AuditLog:
    return AuditLog(db, now=lambda: datetime(2026, 11, 2, 9, 30, tzinfo=UTC))


def fill(log: AuditLog) -> None:
    log.append(AuditEvent.of(WORKER, "read:household", ["p1", "p2"], ["h1"], "case review"))
    log.append_many(
        [
            AuditEvent.of(FOUNDATION, "read:household", ["p3"], ["h2"], "food aid"),
            AuditEvent.of(FOUNDATION, "create:referral", ["p1"], ["h1"], "referral"),
            AuditEvent.of(WORKER, "update:person", ["p10"], [], "correction"),
        ]
    )


def test_append_chains_and_verifies(log: AuditLog) -> None:
    first = log.append(AuditEvent.of(WORKER, "read:person", ["p1"], purpose="visit"))
    more = log.append_many([AuditEvent.of(WORKER, "read:person", ["p2"])] * 3)
    assert len({first, *more}) == 4
    records = log.tail()
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    result = log.verify()
    assert (result.ok, result.first_bad_seq, result.checked) == (True, None, 4)
    assert result.head_hash == more[-1]
    assert log.append_many([]) == []


def test_empty_log_verifies(log: AuditLog) -> None:
    result = log.verify()
    assert result.ok and result.checked == 0 and result.head_hash == GENESIS_HASH


def test_update_and_delete_are_refused(log: AuditLog, db: SecurityDB) -> None:
    fill(log)
    with db.read() as conn:
        with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
            conn.execute("UPDATE audit_log SET purpose = 'x' WHERE seq = 2")
        with pytest.raises(INTEGRITY_ERRORS, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE seq = 2")
    assert log.verify().ok


def test_tampering_with_a_row_is_detected(log: AuditLog, db: SecurityDB) -> None:
    fill(log)
    tamper(db, "UPDATE audit_log SET organization = 'someone-else' WHERE seq = 2")
    result = log.verify()
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 2, 1)
    assert result.reason is not None and "hash" in result.reason


def test_deleting_a_row_is_detected(log: AuditLog, db: SecurityDB) -> None:
    fill(log)
    tamper(db, "DELETE FROM audit_log WHERE seq = 3")
    result = log.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "missing" in str(result.reason)


def test_rewriting_a_hash_breaks_the_next_link(log: AuditLog, db: SecurityDB) -> None:
    fill(log)
    tamper(db, "UPDATE audit_log SET purpose = 'x', hash = 'f' || substr(hash, 2) WHERE seq = 1")
    assert log.verify().first_bad_seq == 1


def test_subject_access_report(log: AuditLog) -> None:
    fill(log)
    report = log.subject_access_report("p1")
    assert [(r.seq, r.organization, r.operation) for r in report] == [
        (1, "dinsos-bandung", "read:household"),
        (3, "yayasan-a", "create:referral"),
    ]
    assert report[0].purpose == "case review"
    assert report[0].ts == datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    assert [r.seq for r in log.subject_access_report("p10")] == [4]  # not a prefix match of p1
    assert log.subject_access_report("p%") == []
    assert [r.seq for r in log.household_access_report("h1")] == [1, 3]


def test_operation_is_required(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="operation"):
        log.append(AuditEvent.of(WORKER, ""))


def test_appends_from_threads_and_two_connections_keep_one_chain(
    db: SecurityDB, tmp_path: Path
) -> None:
    other = security_again(db, tmp_path)  # as if a second server process
    logs = [AuditLog(db), AuditLog(other)]

    def work(i: int) -> None:
        for _ in range(25):
            logs[i % 2].append(AuditEvent.of(WORKER, "read:person", [f"p{i}"]))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    result = AuditLog(db).verify()
    assert result.ok and result.checked == 100


class _CountingLog(AuditLog):
    """An AuditLog that counts its transactions, can hold the first one until
    released, and can be made to fail."""

    def __init__(self, db: SecurityDB) -> None:
        super().__init__(db)
        self.transactions = 0
        self.fail = False
        self.writing = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def append_many(self, events: Iterable[AuditEvent]) -> list[str]:
        self.transactions += 1
        self.writing.set()
        self.release.wait(timeout=30)
        if self.fail:
            raise sqlite3.OperationalError("database is locked")
        return super().append_many(events)


def _entry(i: int) -> AuditEntry:
    return AuditEntry(
        WORKER.subject,
        WORKER.organization,
        WORKER.role,
        "read:household",
        (f"p{i}",),
        (f"h{i}",),
        "case review",
    )


@pytest.mark.anyio
async def test_sink_commits_requests_that_arrive_during_a_write_together(
    db: SecurityDB,
) -> None:
    log = _CountingLog(db)
    sink = AuditLogSink(log)
    log.release.clear()

    async def request(i: int) -> int:
        await sink.record([_entry(i)])
        # returning means this request's event is committed: it is in the log now
        assert any(r.person_ids == (f"p{i}",) for r in AuditLog(db).tail(limit=100))
        return i

    first = asyncio.ensure_future(request(0))
    while not log.writing.is_set():  # the first request's transaction is under way
        await asyncio.sleep(0.01)
    later = [asyncio.ensure_future(request(i)) for i in range(1, 40)]
    await asyncio.sleep(0.05)
    assert not first.done() and not any(t.done() for t in later)
    log.release.set()
    assert sorted(await asyncio.gather(first, *later)) == list(range(40))
    # one transaction for the first request; the 39 that came meanwhile, one more
    assert log.transactions == 2
    result = AuditLog(db).verify()
    assert result.ok and result.checked == 40


@pytest.mark.anyio
async def test_sink_refuses_an_event_without_operation_without_failing_others(
    db: SecurityDB,
) -> None:
    sink = AuditLogSink(AuditLog(db))
    bad = AuditEntry(WORKER.subject, WORKER.organization, WORKER.role, "", ("p9",), (), None)
    outcomes = await asyncio.gather(
        sink.record([_entry(1)]),
        sink.record([bad]),
        sink.record([_entry(2)]),
        return_exceptions=True,
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ValueError)
    assert sorted(r.person_ids for r in AuditLog(db).tail()) == [("p1",), ("p2",)]


@pytest.mark.anyio
async def test_sink_failure_reaches_every_waiting_request(db: SecurityDB) -> None:
    log = _CountingLog(db)
    sink = AuditLogSink(log)
    log.fail = True
    outcomes = await asyncio.gather(
        *(sink.record([_entry(i)]) for i in range(5)), return_exceptions=True
    )
    assert all(isinstance(o, sqlite3.OperationalError) for o in outcomes)
    log.fail = False
    await sink.record([_entry(9)])  # the sink recovers for the next request
    assert [r.person_ids for r in AuditLog(db).tail()] == [("p9",)]


def test_pages_of_one_snapshot_stay_put_while_the_log_grows(log: AuditLog) -> None:
    for i in range(5):
        log.append(AuditEvent.of(WORKER, "read:person", ["p1", f"x{i}"]))
    first, total, as_of = log.page("p1", offset=0, limit=2)
    assert (total, as_of, [r.seq for r in first]) == (5, 5, [5, 4])
    log.append(AuditEvent.of(WORKER, "read:auditLog", ["p1"]))  # reading the log is logged
    second, total, same = log.page("p1", offset=2, limit=2, as_of=as_of)
    assert (total, same, [r.seq for r in second]) == (5, 5, [3, 2])
    newest, total, now = log.page("p1", offset=0, limit=2)
    assert (total, now, newest[0].seq) == (6, 6, 6)
