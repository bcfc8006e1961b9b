"""DCI state is not kept forever (hub.dci.transactions, hub.dci.senders):
`hub retention apply` deletes the transactions finished more than
`dci_retention_days` ago, with the numbers searched, audited; txn-status finds
a search by an indexed query; a message id outlives the clock skew between
servers; in production households go to https callbacks only. Both real store
back-ends (the `db` fixture) where the store matters; no graph."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving
from starlette.requests import Request

from hub.dci.envelope import (
    CLOCK_SKEW_S,
    MAX_LIFETIME_S,
    HubSigner,
    SignatureParts,
    public_key_text,
)
from hub.dci.routes import SEARCH_ITEMS, SYNC_SEARCH
from hub.dci.senders import SERVER_CLOCK_SKEW_S, SenderError, SenderRegistry
from hub.dci.service import DciCall, DciService, Refused, hub_signer
from hub.dci.transactions import Deliveries, Transaction, Transactions
from hub.erasure import forget_dci
from hub.security import Principal, RateLimit, RateLimiter
from hub.security.audit import AuditLog
from hub.security.db import SecurityDB
from hub.settings import Settings

REQUEST = {"header": {"message_id": "m"}, "message": {"transaction_id": "t"}}


def _search(store: Transactions, cid: str, refs: list[str], *, delivered: bool) -> None:
    store.add(
        cid, "spmis", "system:spmis", f"t-{cid}", "search", refs, REQUEST, None,
        status="succ", answer={"header": {}}, delivered=delivered,
    )  # fmt: skip


def _age(db: SecurityDB, cid: str, days: int) -> None:
    then = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    with db.write() as con:
        con.execute(
            "UPDATE dci_transactions SET created_at = ?, delivered_at = CASE WHEN "
            "delivered_at IS NULL THEN NULL ELSE ? END WHERE correlation_id = ?",
            (then, then, cid),
        )


def test_finished_transactions_are_forgotten_after_the_retention_days(db: SecurityDB) -> None:
    store = Transactions(db)
    _search(store, "old", ["3171010101010001"], delivered=True)
    _search(store, "new", ["3171010101010002"], delivered=True)
    _search(store, "waiting", ["3171010101010003"], delivered=False)
    _age(db, "old", 31)
    _age(db, "waiting", 31)  # never delivered nor given up: still owed to the sender

    assert store.forget(datetime.now(UTC) - timedelta(days=30)) == 1

    assert (
        store.get("old") is None
        and store.find("spmis", "reference_id_list", ["3171010101010001"]) == []
    )
    assert store.get("new") is not None and store.get("waiting") is not None
    with db.read() as con:  # the reference index holds no number of a forgotten search
        refs = {
            r[0] for r in con.execute("SELECT reference_id FROM dci_transaction_refs").fetchall()
        }
    assert refs == {"3171010101010002", "3171010101010003"}


def test_txn_status_finds_a_search_by_its_ids_with_one_indexed_query(db: SecurityDB) -> None:
    store = Transactions(db)
    _search(store, "c-1", ["r-1", "r-2"], delivered=True)
    _search(store, "c-2", ["r-2"], delivered=True)
    store.add("c-3", "other", "system:other", "t-c-1", "search", ["r-1"], REQUEST, None)
    by_ref = store.find("spmis", "reference_id_list", ["r-2", "r-9"])
    assert {t.correlation_id for t in by_ref} == {"c-1", "c-2"}
    assert [t.correlation_id for t in store.find("spmis", "reference_id_list", "r-1")] == ["c-1"]
    assert [t.correlation_id for t in store.find("spmis", "transaction_id", "t-c-1")] == ["c-1"]
    assert [t.correlation_id for t in store.find("other", "correlation_id", "c-3")] == ["c-3"]
    assert store.find("spmis", "correlation_id", "c-3") == []  # another sender's
    if db.dialect.name == "sqlite":  # the plan uses the indexes, not a scan of the table
        with db.read() as con:
            plan = " ".join(
                str(r[-1])
                for r in con.execute(
                    "EXPLAIN QUERY PLAN SELECT correlation_id FROM dci_transaction_refs "
                    "WHERE sender_id = ? AND reference_id IN (?)",
                    ("spmis", "r-2"),
                ).fetchall()
            )
        assert "USING" in plan and "INDEX" in plan


def test_searches_stored_before_the_index_are_found_by_reference(db: SecurityDB) -> None:
    store = Transactions(db)
    _search(store, "c-1", ["r-1"], delivered=True)
    with db.write() as con:  # as a hub of the previous version left them
        con.execute("DELETE FROM dci_transaction_refs")
    again = Transactions(db)
    assert [t.correlation_id for t in again.find("spmis", "reference_id_list", ["r-1"])] == ["c-1"]


def test_retention_apply_forgets_dci_transactions_audited(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, dci_retention_days=7)
    db = SecurityDB.from_settings(settings)
    try:
        store = Transactions(db)
        _search(store, "old", ["3171010101010001"], delivered=True)
        _age(db, "old", 8)
        _search(store, "new", ["3171010101010002"], delivered=True)
    finally:
        db.close()

    assert forget_dci(settings, now=datetime.now(UTC)) == 1
    assert forget_dci(settings, now=datetime.now(UTC)) == 0  # nothing more: no second event

    log = AuditLog.from_settings(settings)
    try:
        events = [e for e in log.tail() if e.operation == "erase:retention"]
        assert len(events) == 1 and "1 DCI transactions deleted" in (events[0].purpose or "")
        assert "more than 7 days ago" in (events[0].purpose or "")
        assert "3171010101010001" not in (events[0].purpose or "")
        assert log.verify().ok
    finally:
        log.db.close()


def test_a_message_id_outlives_the_clock_skew_between_servers(db: SecurityDB) -> None:
    registry = SenderRegistry(db)
    received = datetime.now(UTC)
    assert registry.first_seen("spmis", "m-1", now=received)
    # the last moment a server whose clock is behind the receiver's may still take
    # the message as unexpired, seen by a server whose clock runs ahead: another
    # message's purge there must not forget m-1
    ahead = received + timedelta(
        seconds=MAX_LIFETIME_S + 2 * CLOCK_SKEW_S + SERVER_CLOCK_SKEW_S - 1
    )
    assert registry.first_seen("spmis", "m-2", now=ahead)
    assert not registry.first_seen("spmis", "m-1", now=ahead)
    later = ahead + timedelta(seconds=2)
    assert registry.first_seen("spmis", "m-3", now=later)
    assert registry.first_seen("spmis", "m-1", now=later)  # forgotten at last


# --- production sends households over https only ------------------------------


def test_production_refuses_an_http_callback_base_at_add(tmp_path: Path) -> None:
    partner = public_key_text(Ed25519PrivateKey.generate().public_key())
    with SecurityDB(tmp_path / "security.sqlite") as sec:
        production = SenderRegistry(sec, production=True)
        with pytest.raises(SenderError, match=r"not https.*HUB_MODE=production"):
            production.add("spmis", partner, "dinkes", "agency", "http://spmis.example.org/dci")
        production.add("spmis", partner, "dinkes", "agency", "https://spmis.example.org/dci")
        dev = SenderRegistry(sec)  # dev keeps http, for local receivers
        dev.add("local", partner, "dinkes", "agency", "http://127.0.0.1:9/dci")


@pytest.mark.anyio
async def test_production_never_sends_to_an_http_callback(tmp_path: Path) -> None:
    """A sender registered over http before the hub went to production: the
    search is not run and nothing is sent; the transaction is given up, saying why."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    ran: list[str] = []

    async def run(row: Transaction) -> tuple[str, dict[str, Any]]:
        ran.append(row.correlation_id)
        return "succ", {"header": {}, "message": {}}

    with receiving() as rec, SecurityDB(tmp_path / "security.sqlite") as sec:
        partner = public_key_text(Ed25519PrivateKey.generate().public_key())
        SenderRegistry(sec).add("spmis", partner, "dinkes", "agency", rec.base)
        store = Transactions(sec)
        store.add("c-1", "spmis", "system:spmis", "t-1", "search", ["r-1"], REQUEST,
                  rec.base + "/registry/on-search")  # fmt: skip
        senders = SenderRegistry(sec, production=True)
        async with httpx.AsyncClient() as client:
            await Deliveries(store, run, signer.sign, senders=senders).work(client, "c-1")
        assert ran == [] and rec.calls == 0
        row = store.get("c-1")
        assert row is not None and row.given_up_at is not None and row.delivered_at is None
        assert row.last_error is not None and "https" in row.last_error


# --- the rate limit counts searches, not messages -----------------------------


def test_each_search_item_costs_one_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A bucket of 10: with one token a message, a partner would run 10 messages
    of 4 searches (40 searches) at once; with one a search, two messages (8).
    Refused after `receive` returned (over the limit by its items, or too many
    items), a message is logged as `receive` logs its refusals: one WARNING line
    on `hub.dci` with path, claimed sender, code and client, never the message."""
    with SecurityDB(tmp_path / "security.sqlite") as sec:
        settings = Settings(home=tmp_path)
        limiter = RateLimiter(RateLimit(rate=0.001, burst=10))
        dci = DciService(
            settings, sec, SenderRegistry(sec), hub_signer(settings), None, limiter, None, None
        )
        sender = SenderRegistry(sec).add(
            "spmis", public_key_text(Ed25519PrivateKey.generate().public_key()), "dinkes", "agency"
        )
        principal = Principal("system:spmis", "dinkes", sender.role, "jwt")
        items = [{"reference_id": f"r-{i}"} for i in range(4)]
        request = Request({"type": "http", "headers": [], "client": ("10.0.0.7", 40000)})
        claimed = "spmis" + "x" * 100  # as the header claims it: quoted and cut
        call = DciCall(
            SYNC_SEARCH, {}, {"sender_id": claimed}, {"search_request": items}, sender,
            principal, SignatureParts("spmis", sender.key_id, "ed25519", 0, 0, "", b""),
        )  # fmt: skip

        def message() -> None:  # as a message is received: its token, then its items'
            dci.charge(principal, 1, "on-search", call.header)
            dci.check_items(request, call, SEARCH_ITEMS, "on-search")

        message()
        message()
        with pytest.raises(Refused) as refused:
            message()
        assert refused.value.response.status_code == 429
        assert b"Too many requests" in bytes(refused.value.response.body)
        with pytest.raises(Refused) as refused:  # too many items: refused before any charge
            dci.check_items(
                request, replace(call, message={"search_request": items * 6}), SEARCH_ITEMS, None
            )
        assert refused.value.response.status_code == 400
        logged = [r for r in caplog.records if r.name == "hub.dci"]
        assert [r.levelname for r in logged] == ["WARNING", "WARNING"]
        assert [r.getMessage() for r in logged] == [
            f"DCI request refused: path={SYNC_SEARCH} sender_id={claimed[:64]!r} code={code}"
            " client=10.0.0.7"
            for code in ("err.request.too_many_requests", "rjct.total_count.limit_exceeded")
        ]
        assert "r-0" not in caplog.text and "Too many" not in caplog.text
        # a message of more searches than the bucket holds still runs when it is full
        big = replace(call, message={"search_request": [*items, *items, *items]})
        fresh = RateLimiter(RateLimit(rate=0.001, burst=10))
        dci.limiter = fresh
        dci.check_items(request, big, SEARCH_ITEMS, "on-search")
        assert fresh.try_acquire(principal.rate_limit_key) > 0
