"""One way of sending a DCI callback (hub.dci.callbacks): the async answers'
worker and the notify pump take the same answers as delivered (a 2xx whose ack
is not ERR) and wait the same after a failure. A real HTTP receiver, both real
store back-ends (the `db` fixture); no graph."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving

from hub.dci.callbacks import pause_after, post_signed
from hub.dci.envelope import HubSigner, verify_envelope
from hub.dci.senders import SenderRegistry
from hub.dci.subscribe import REGISTER, Subscriptions
from hub.dci.transactions import Deliveries, Transaction, Transactions
from hub.security.db import SecurityDB

pytestmark = pytest.mark.anyio

ANSWER: dict[str, Any] = {
    "header": {
        "message_id": "a-1",
        "action": "on-search",
        "status": "succ",
        "sender_id": "satupintu",
    },
    "message": {"transaction_id": "t-1", "search_response": []},
}


async def _never(row: Transaction) -> tuple[str, dict[str, Any]]:
    raise AssertionError("the answer is stored: no search runs")


async def test_an_err_ack_is_not_a_delivery(db: SecurityDB) -> None:
    """A partner answering 200 with `ack_status: ERR` refused the callback: the
    worker keeps it and retries (before, any 2xx counted as delivered)."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    with receiving() as rec:
        rec.ack_status = "ERR"
        store = Transactions(db)
        store.add("c-err", "spmis", "s", "t-1", "search", ["r"], {"header": {}, "message": {}},
                  rec.base + "/registry/on-search", status="succ", answer=ANSWER)  # fmt: skip
        async with httpx.AsyncClient() as client:
            await Deliveries(store, _never, signer.sign).work(client, "c-err")
        _, body = rec.next(timeout=5)
        verify_envelope(body, lambda s, k: signer.private_key.public_key())  # signed when sent
        kept = store.get("c-err")
        assert kept is not None and kept.delivered_at is None and kept.given_up_at is None
        assert (kept.attempts, kept.last_error) == (1, "ack ERR")

        rec.ack_status = "ACK"  # the same function, called as the pump calls it
        async with httpx.AsyncClient() as client:
            sent = await post_signed(client, rec.base + "/registry/notify", ANSWER, signer.sign)
        assert sent.ok and rec.next(timeout=5)[0] == "/dci/registry/notify"


async def test_a_refused_url_is_never_posted_to(db: SecurityDB) -> None:
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    with receiving() as rec:
        async with httpx.AsyncClient() as client:
            sent = await post_signed(client, rec.base, ANSWER, signer.sign, lambda url: "http")
        assert (sent.ok, sent.refused) == (False, "http") and rec.calls == 0


async def test_the_pump_and_the_worker_wait_the_same_after_a_failure(db: SecurityDB) -> None:
    """One failure each: a subscription and a transaction are due again after
    the same pause (before, the pump waited 2 s and the worker 1 s)."""
    subscriptions, store = Subscriptions(db), Transactions(db)
    made = subscriptions.add("p", "sys:p", "t", "r", REGISTER, {}, None, "p", 0)
    store.add("c-1", "p", "s", "t", "search", ["r"], {"header": {}, "message": {}},
              "http://127.0.0.1:9/registry/on-search", status="succ", answer=ANSWER)  # fmt: skip
    before = datetime.now(UTC)
    for failures in (1, 2):
        held = store.claim("c-1")
        assert held is not None
        store.failed("c-1", "HTTP 500", held.lease_token)
        last = subscriptions.get(made.code)
        assert last is not None  # failed as its last claimer, whose token it still holds
        assert subscriptions.failed(made.code, "HTTP 500", token=last.lease_token)
        after = datetime.now(UTC)
        sub = subscriptions.get(made.code)
        assert sub is not None and sub.next_at is not None and sub.attempts == failures
        with db.read() as con:
            (txn_next,) = con.execute(
                "SELECT next_attempt_at FROM dci_transactions WHERE correlation_id = 'c-1'"
            ).fetchone()
        pause = timedelta(seconds=pause_after(failures))
        for due in (datetime.fromisoformat(sub.next_at), datetime.fromisoformat(txn_next)):
            assert before + pause <= due <= after + pause
        before = after


# --- a partner that answers slowly, or without end ------------------------------


@contextmanager
def partner_answering(
    body: Iterator[bytes], pause_s: float, written: list[int] | None = None
) -> Iterator[str]:
    """A partner's callback server that answers 200 at once, then sends `body`
    a chunk every `pause_s` (chunked: no length), until it ends or the hub hangs
    up; `written` gets the bytes of body it could send."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for chunk in body:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    if written is not None:
                        written[0] += len(chunk)
                    time.sleep(pause_s)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the hub hung up, as it should

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dci/registry/notify"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_partner_dripping_its_answer_is_given_up_on_as_a_whole() -> None:
    """One byte every 0.2 s never trips a timeout that counts each read (httpx's):
    the one worker (every partner's notify and answers, in turn) waited on it for as
    long as the partner liked. The whole POST has `timeout_s`; after it, a failure
    to retry. (The test's own 30 s bound only keeps a failing run from hanging.)"""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    with partner_answering(itertools.repeat(b" "), pause_s=0.2) as url:
        async with httpx.AsyncClient() as client:
            sent = await asyncio.wait_for(
                post_signed(client, url, ANSWER, signer.sign, timeout_s=1.0), 30
            )
    assert not sent.ok and sent.error is not None and "timed out" in sent.error


async def test_an_answer_without_end_is_not_read_to_its_end() -> None:
    """A 200 whose body has no end in sight (here 256 MiB, as fast as it goes):
    the hub read it all into memory. It reads what an ack can be
    (MAX_ANSWER_BYTES) and hangs up, so the partner sends a small part of it (what
    the sockets' buffers take); a 2xx that is no ack is delivered, as a 2xx
    without JSON always was."""
    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    total, written = 256 * 2**20, [0]
    chunks = itertools.repeat(b" " * 2**16, total // 2**16)
    with partner_answering(chunks, pause_s=0, written=written) as url:
        async with httpx.AsyncClient() as client:
            sent = await asyncio.wait_for(post_signed(client, url, ANSWER, signer.sign), 60)
        time.sleep(0.5)  # the partner's last write meets the closed connection
    assert sent.ok
    assert written[0] < total // 4


async def test_a_redirect_is_not_followed_and_no_other_scheme_is_posted_to(
    tmp_path: Path,
) -> None:
    """What held, kept: a partner answering 307 to an address inside the hub's
    network (here another local server standing for 169.254.169.254) is a failure to
    retry, never followed with the households; `file:`, `gopher:` or a callback
    without a host is never posted to (SenderRegistry.refused_callback)."""

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", inside)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    signer = HubSigner("satupintu", Ed25519PrivateKey.generate())
    with receiving() as metadata:
        inside = metadata.base + "/latest/meta-data"
        server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/dci/registry/on-search"
            async with httpx.AsyncClient() as client:
                sent = await post_signed(client, url, ANSWER, signer.sign)
        finally:
            server.shutdown()
            server.server_close()
        assert (sent.ok, sent.error) == (False, "HTTP 307") and metadata.calls == 0
    with SecurityDB(tmp_path / "security.sqlite") as sec:
        registry = SenderRegistry(sec)
        for url in ("file:///etc/passwd", "gopher://127.0.0.1:70/_", "https:///registry"):
            assert registry.refused_callback(url) is not None, url
