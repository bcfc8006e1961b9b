"""DCI callbacks are durable (hub.dci.transactions): a failed delivery is kept and
retried, a new worker (the next start, or another server) delivers what is
left, the search runs once, the records go once delivered, and the worker gives
up after MAX_ATTEMPTS. A real HTTP receiver, a real SQLite store; no graph."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving

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
    tmp_path: Path,
) -> None:
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    ran: list[str] = []

    async def run(row: Transaction) -> tuple[str, dict[str, Any]]:
        ran.append(row.correlation_id)
        return "succ", ANSWER

    with receiving() as rec, SecurityDB(tmp_path / "security.sqlite") as db:
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
        async with httpx.AsyncClient() as client:
            await Deliveries(store, run, signer.sign).work(client, "c-1")
        failed = store.get("c-1")
        assert failed is not None
        assert (failed.attempts, failed.delivered_at, failed.status) == (1, None, "succ")
        assert failed.last_error is not None and "500" in failed.last_error
        assert failed.answer == ANSWER  # kept, records and all, for the next attempt
        assert store.due() == []  # not before its pause
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


async def test_the_worker_gives_up_after_max_attempts(tmp_path: Path) -> None:
    with SecurityDB(tmp_path / "security.sqlite") as db:
        store = Transactions(db)
        store.add(
            "c-2",
            "spmis",
            "s",
            "t-2",
            "search",
            ["r"],
            {"header": {}, "message": {}},
            "http://127.0.0.1:9/registry/on-search",
            status="succ",
            answer=ANSWER,
        )
        for _ in range(MAX_ATTEMPTS):
            assert store.claim("c-2")
            store.failed("c-2", "connection refused")
        gone = store.get("c-2")
        assert gone is not None and gone.given_up_at is not None
        assert store.due(datetime.now(UTC) + timedelta(days=1)) == []
        # households nobody will receive are not kept
        assert gone.answer is not None
        assert "data" not in gone.answer["message"]["search_response"][0]


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
            for _ in range(100):  # until the worker has met the missing table
                await asyncio.sleep(0.05)
                if task.done() or "dci_transactions" in caplog.text:
                    break
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
            path, _ = await asyncio.to_thread(rec.next, 10)
            assert path == "/dci/registry/on-search"
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
