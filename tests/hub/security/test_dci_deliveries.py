"""DCI callbacks are durable (hub.dci.transactions): a failed delivery is kept and
retried, a new worker (the next start, or another server) delivers what is
left, the search runs once, the records go once delivered, and the worker gives
up after MAX_ATTEMPTS, and two servers claiming at once never hand a delivery out
twice. A real HTTP receiver, both real store back-ends (the `db` fixture:
SQLite files and PostgreSQL); no graph."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving
from storetest import security_again
from waiting import BUDGET_S, until

from hub.dci.envelope import HubSigner, public_key_text, verify_envelope
from hub.dci.senders import SenderRegistry
from hub.dci.transactions import MAX_ATTEMPTS, Deliveries, Transaction, Transactions
from hub.security.db import SecurityDB

pytestmark = pytest.mark.anyio

ANSWER: dict[str, Any] = {
    "header": {
        "message_id": "a-1",
        "action": "on-search",
        "status": "succ",
        "sender_id": "satupintu",
    },
    "message": {
        "transaction_id": "t-1",
        "correlation_id": "c-1",
        "search_response": [
            {"reference_id": "r-1", "status": "succ", "data": {"reg_records": [{"@id": "x"}]}}
        ],
    },
}


async def test_a_failed_callback_is_kept_retried_and_delivered_by_the_next_worker(
    db: SecurityDB,
) -> None:
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    ran: list[str] = []

    async def run(row: Transaction) -> tuple[str, dict[str, Any]]:
        ran.append(row.correlation_id)
        return "succ", ANSWER

    with receiving() as rec:
        store = Transactions(db)
        request = {"header": {"message_id": "m-1"}, "message": {"transaction_id": "t-1"}}
        store.add(
            "c-1",
            "spmis",
            "system:spmis",
            "t-1",
            "search",
            ["r-1"],
            request,
            rec.base + "/registry/on-search",
        )
        rec.fail_first = 1
        before = datetime.now(UTC)
        async with httpx.AsyncClient() as client:
            await Deliveries(store, run, signer.sign).work(client, "c-1")
        failed = store.get("c-1")
        assert failed is not None
        assert (failed.attempts, failed.delivered_at, failed.status) == (1, None, "succ")
        assert failed.last_error is not None and "500" in failed.last_error
        assert failed.answer == ANSWER  # kept, records and all, for the next attempt
        # not before its pause of 1 s (counted from before it failed: a slow machine
        # taking seconds to get here does not make it due)
        assert store.due(before + timedelta(seconds=0.99)) == []
        assert store.due(datetime.now(UTC) + timedelta(seconds=2)) == ["c-1"]

        # the next start (a fresh worker) delivers it without running the search again
        async with httpx.AsyncClient() as client:
            await Deliveries(store, run, signer.sign).work(client, "c-1")
        path, body = rec.next(timeout=5)
        assert path == "/dci/registry/on-search" and ran == ["c-1"]
        verify_envelope(body, lambda s, k: signer.private_key.public_key())
        assert body["message"]["search_response"][0]["data"]["reg_records"] == [{"@id": "x"}]
        done = store.get("c-1")
        assert done is not None and done.delivered_at is not None and done.attempts == 2
        assert done.answer is not None
        assert "data" not in done.answer["message"]["search_response"][0]  # records dropped
        assert store.due(datetime.now(UTC) + timedelta(days=1)) == []
        assert not store.claim("c-1")  # nothing left to claim


def _answered(store: Transactions, correlation_id: str, callback: str) -> None:
    """An accepted search already run, its callback still to deliver."""
    answer = {**ANSWER, "message": {**ANSWER["message"], "correlation_id": correlation_id}}
    store.add(
        correlation_id,
        "spmis",
        "s",
        "t-" + correlation_id,
        "search",
        ["r"],
        {"header": {}, "message": {}},
        callback,
        status="succ",
        answer=answer,
    )


async def test_the_worker_gives_up_after_max_attempts(db: SecurityDB) -> None:
    store = Transactions(db)
    _answered(store, "c-2", "http://127.0.0.1:9/registry/on-search")
    for _ in range(MAX_ATTEMPTS):
        held = store.claim("c-2")
        assert held is not None
        assert store.failed("c-2", "connection refused", held.lease_token)
    gone = store.get("c-2")
    assert gone is not None and gone.given_up_at is not None and gone.attempts == MAX_ATTEMPTS
    assert store.due(datetime.now(UTC) + timedelta(days=1)) == []
    # households nobody will receive are not kept
    assert gone.answer is not None
    assert "data" not in gone.answer["message"]["search_response"][0]


async def test_two_servers_claiming_at_once_never_hand_a_delivery_out_twice(
    db: SecurityDB, tmp_path: Path
) -> None:
    """Two servers (each its own connections to the shared store) sweep the same
    due deliveries at the same moment: each is claimed by exactly one, and the
    partner receives each callback exactly once."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())

    async def never(row: Transaction) -> tuple[str, dict[str, Any]]:
        raise AssertionError("the answers are stored: no search runs again")

    with receiving() as rec, security_again(db, tmp_path) as other_db:
        servers = [Transactions(db), Transactions(other_db)]
        claims = [f"claim-{i}" for i in range(30)]
        for cid in claims:
            _answered(servers[0], cid, rec.base + "/registry/on-search")
        start = threading.Barrier(2)

        def sweep(store: Transactions) -> list[str]:
            due = store.due()
            start.wait()  # both have read the same due list; now both claim it
            return [cid for cid in due if store.claim(cid) is not None]

        got = await asyncio.gather(*(asyncio.to_thread(sweep, s) for s in servers))
        assert sorted(got[0] + got[1]) == sorted(claims)  # every one, none twice

        deliveries = [f"deliver-{i}" for i in range(12)]
        for cid in deliveries:
            _answered(servers[1], cid, rec.base + "/registry/on-search")
        workers = [Deliveries(s, never, signer.sign) for s in servers]
        due = servers[0].due()
        assert sorted(due) == sorted(deliveries)  # the claimed ones are held

        async def deliver(worker: Deliveries) -> None:
            async with httpx.AsyncClient() as client:
                for cid in due:
                    await worker.work(client, cid)

        await asyncio.gather(*(deliver(w) for w in workers))
        posted = Counter(rec.next(timeout=5)[1]["message"]["correlation_id"] for _ in due)
        assert rec.got.empty() and posted == Counter(deliveries)
        for cid in deliveries:
            row = servers[0].get(cid)
            assert row is not None and row.delivered_at is not None and row.attempts == 1


async def test_an_answer_kept_for_a_sender_revoked_since_is_never_sent(tmp_path: Path) -> None:
    """A search ran and its callback failed; Dinsos then revokes the partner.
    The retry must not send the households it read before the revocation."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())

    async def run(row: Transaction) -> tuple[str, dict[str, Any]]:
        return "succ", ANSWER

    with receiving() as rec, SecurityDB(tmp_path / "security.sqlite") as db:
        senders = SenderRegistry(db)
        partner = Ed25519PrivateKey.generate().public_key()
        senders.add("spmis", public_key_text(partner), "dinkes", "agency", rec.base)
        store = Transactions(db)
        store.add(
            "c-3",
            "spmis",
            "system:spmis",
            "t-3",
            "search",
            ["r-1"],
            {"header": {"message_id": "m-3"}, "message": {"transaction_id": "t-3"}},
            rec.base + "/registry/on-search",
        )
        rec.fail_first = 1
        async with httpx.AsyncClient() as client:
            await Deliveries(store, run, signer.sign, senders=senders).work(client, "c-3")
        kept = store.get("c-3")
        assert kept is not None and kept.answer == ANSWER and kept.given_up_at is None

        senders.revoke("spmis")
        async with httpx.AsyncClient() as client:
            await Deliveries(store, run, signer.sign, senders=senders).work(client, "c-3")
        assert rec.calls == 1 and rec.got.empty()  # only the first, failed, attempt
        gone = store.get("c-3")
        assert gone is not None and gone.given_up_at is not None and gone.delivered_at is None
        assert gone.last_error is not None and "revoked" in gone.last_error
        assert gone.answer is not None
        assert "data" not in gone.answer["message"]["search_response"][0]
        assert store.due(datetime.now(UTC) + timedelta(days=1)) == []


async def test_a_store_error_does_not_stop_the_worker(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The store failing for a moment (here: its table gone, then back) is logged
    and the worker carries on; before, the error left the task dead and no
    callback went out until the server was restarted."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())

    async def run(row: Transaction) -> tuple[str, dict[str, Any]]:
        return "succ", ANSWER

    with receiving() as rec, SecurityDB(tmp_path / "security.sqlite") as db:
        store = Transactions(db)
        worker = Deliveries(store, run, signer.sign, poll_s=0.05)
        with db.write() as con:
            con.execute("ALTER TABLE dci_transactions RENAME TO dci_transactions_away")
        task = asyncio.create_task(worker.run())
        try:
            await until(  # the worker has met the missing table
                lambda: task.done() or "dci_transactions" in caplog.text,
                "the worker to log the store's error",
            )
            assert not task.done(), task.exception()
            assert "dci_transactions" in caplog.text  # logged, with the store's reason
            with db.write() as con:
                con.execute("ALTER TABLE dci_transactions_away RENAME TO dci_transactions")
            store.add(
                "c-4",
                "spmis",
                "s",
                "t-4",
                "search",
                ["r"],
                {"header": {}, "message": {}},
                rec.base + "/registry/on-search",
            )
            worker.wake.set()
            path, _ = await asyncio.to_thread(rec.next, BUDGET_S)
            assert path == "/dci/registry/on-search"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_worker_whose_lease_ran_out_writes_nothing_over_the_next_holder(
    db: SecurityDB, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Worker A claims a search and runs it past its lease; worker B (another
    server) claims it then, runs it, delivers it. A's outcome (its answer, and
    so its POST) is refused by the fencing token and logged: the partner gets
    one callback, and the row says delivered, by B."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    with receiving() as rec, security_again(db, tmp_path) as other_db:
        # a lease of 10 ms stands for LEASE_S: A's search outlives it
        mine, theirs = Transactions(db, lease_s=0.01), Transactions(other_db, lease_s=60)
        mine.add("c-5", "spmis", "s", "t-5", "search", ["r"], {"header": {}, "message": {}},
                 rec.base + "/registry/on-search")  # fmt: skip

        async def b_runs(row: Transaction) -> tuple[str, dict[str, Any]]:
            return "succ", ANSWER

        async def a_runs_slowly(row: Transaction) -> tuple[str, dict[str, Any]]:
            await asyncio.sleep(0.05)  # A's lease lapses; B takes the row and delivers it
            async with httpx.AsyncClient() as client:
                await Deliveries(theirs, b_runs, signer.sign).work(client, "c-5")
            stale = {**ANSWER, "message": {**ANSWER["message"], "transaction_id": "stale"}}
            return "succ", stale

        async with httpx.AsyncClient() as client:
            await Deliveries(mine, a_runs_slowly, signer.sign).work(client, "c-5")
        posted = [rec.next(timeout=5)[1] for _ in range(rec.got.qsize())]
        assert [b["message"]["transaction_id"] for b in posted] == ["t-1"]  # B's, once
        row = mine.get("c-5")
        assert row is not None and row.delivered_at is not None and row.attempts == 1
        assert row.lease_token == 2
        assert "c-5: the answer not written" in caplog.text

        # the store itself: claim, lapse, claim again; the first token's writes are refused
        _answered(mine, "c-6", rec.base + "/registry/on-search")
        first = mine.claim("c-6")
        assert first is not None
        await asyncio.sleep(0.05)
        second = theirs.claim("c-6")
        assert second is not None and second.lease_token == first.lease_token + 1
        assert not mine.failed("c-6", "late", first.lease_token)
        assert not mine.delivered("c-6", first.lease_token)
        assert not mine.withdrawn("c-6", "late", first.lease_token)
        untouched = mine.get("c-6")
        assert untouched is not None and untouched.attempts == 0 and untouched.last_error is None
        assert untouched.delivered_at is None and untouched.given_up_at is None
        assert theirs.failed("c-6", "HTTP 500", second.lease_token)
        landed = mine.get("c-6")
        assert landed is not None and (landed.attempts, landed.last_error) == (1, "HTTP 500")


def test_a_store_made_before_the_fencing_token_gets_it_at_start(db: SecurityDB) -> None:
    store = Transactions(db)
    _answered(store, "c-7", "http://127.0.0.1:9/registry/on-search")
    with db.write() as con:  # the table as an older version made it
        con.execute("ALTER TABLE dci_transactions DROP COLUMN lease_token")
    again = Transactions(db)
    claimed = again.claim("c-7")
    assert claimed is not None and claimed.lease_token == 1


def test_a_store_made_before_the_party_was_kept_gets_it_at_start(db: SecurityDB) -> None:
    """A transaction kept before its sender's organization and role were (columns
    a later version adds) is read with None for both, which `Sender.is_party`
    takes as its sender's; a new one keeps them."""
    store = Transactions(db)
    _answered(store, "c-8", "http://127.0.0.1:9/registry/on-search")
    with db.write() as con:  # the table as an older version made it
        con.execute("ALTER TABLE dci_transactions DROP COLUMN organization")
        con.execute("ALTER TABLE dci_transactions DROP COLUMN role")
    again = Transactions(db)
    claimed = again.claim("c-8")
    assert claimed is not None and (claimed.organization, claimed.role) == (None, None)
    again.add(
        "c-9", "spmis", "s", "t-c-9", "search", ["r"], {"header": {}, "message": {}}, None,
        organization="ORG-BPJS", role="partner_system",
    )  # fmt: skip
    kept = again.get("c-9")
    assert kept is not None and (kept.organization, kept.role) == ("ORG-BPJS", "partner_system")
