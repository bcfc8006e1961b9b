"""Residents' messages: the outbox keeps each one, once per status change; the
http sender POSTs it to a gateway (a real local HTTP server here), retries a
failure, records every attempt in the outbox, and sends after a stop or a
kill what was left unsent, exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from storetest import store_settings
from waiting import until

from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.app import create_app
from hub.notify import (
    SCHEMA,
    UNKEYED_RESEND_WINDOW,
    HttpSender,
    Outbox,
    OutboxSender,
    message_key,
    notifier_for,
)
from hub.settings import Settings, load_settings
from schema.context import Services
from schema.services import Notification
from store import Store

pytestmark = pytest.mark.anyio

MESSAGE = Notification(
    phone="6281234567890",
    text="Satupintu SP-23456789: ...",
    reference="SP-23456789",
    status="ASSIGNED",
)


class Gateway:
    """A fake SMS/WhatsApp gateway: answers 503 to the first `failures` posts;
    `accepted` holds the messages it answered 200 to (what reached residents)."""

    def __init__(self, failures: int, port: int = 0) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.received.append(body)
                failing = len(gateway.received) <= gateway.failures
                if not failing:
                    assert self.headers["Idempotency-Key"] == body["key"]
                    gateway.accepted.append(body)
                self.send_response(503 if failing else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    fake = Gateway(failures=1)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def message(number: int, status: str = "ASSIGNED") -> Notification:
    return Notification(
        phone="6281234567890",
        text=f"Satupintu SP-{number:08d}: ...",
        reference=f"SP-{number:08d}",
        status=status,
    )


def keys(bodies: list[dict[str, Any]]) -> list[str]:
    return sorted(b["key"] for b in bodies)


async def test_the_outbox_keeps_each_message_once(tmp_path: Path, store_backend: Store) -> None:
    sender = notifier_for(Settings(home=tmp_path, **store_settings(store_backend)))
    assert isinstance(sender, OutboxSender)
    await sender.send(MESSAGE)
    await sender.send(MESSAGE)  # the same status change handed over again
    [kept] = sender.outbox.messages()
    assert (kept["phone"], kept["reference"], kept["state"], kept["sender"]) == (
        "6281234567890",
        "SP-23456789",
        "queued",
        "outbox",
    )
    assert kept["key"] == message_key(MESSAGE) == "SP-23456789:ASSIGNED"


async def test_the_gateway_gets_the_message_after_a_retry(tmp_path: Path, gateway: Gateway) -> None:
    sender = notifier_for(Settings(home=tmp_path, notify_sender="http", notify_url=gateway.url))
    assert isinstance(sender, HttpSender)
    sender.backoff_s = 0.01
    await sender.start()
    await sender.send(MESSAGE)
    await sender.send(MESSAGE)  # once per status change: not posted again
    await sender.drain()
    body = {**vars(MESSAGE), "key": "SP-23456789:ASSIGNED"}
    assert gateway.received == [body] * 2 and gateway.accepted == [body]
    [kept] = sender.outbox.messages("SP-23456789")
    assert (kept["state"], kept["attempts"], kept["sent_at"] is not None) == ("sent", 2, True)
    await sender.stop()


async def test_a_gateway_that_stays_down_is_recorded_as_failed(tmp_path: Path) -> None:
    down = Gateway(failures=99)
    url = down.url
    down.server.server_close()  # nothing listens there any more
    sender = HttpSender(url, Outbox(tmp_path / "notify.sqlite"), attempts=2, backoff_s=0.01)
    await sender.send(MESSAGE)
    await sender.drain()
    [kept] = sender.outbox.messages()
    assert (kept["state"], kept["attempts"]) == ("failed", 2)
    assert kept["last_error"] and "6281234567890" not in kept["last_error"]
    await sender.stop()


async def test_messages_left_at_a_stop_are_sent_once_at_the_next_start(
    tmp_path: Path, gateway: Gateway
) -> None:
    gateway.failures = 10**6  # down while the hub runs
    # stop waits for the posts under way (the default 10 s bound): one cut off would
    # be left `sending` under its lease, not waiting as this test says
    first = HttpSender(gateway.url, Outbox(tmp_path / "notify.sqlite"), backoff_s=0.05)
    await first.start()
    sent = [message(n) for n in range(3)]
    for m in sent:
        await first.send(m)
        await first.send(m)
    await until(lambda: len(gateway.received) >= 3, "each message tried at least once")
    await first.stop()
    waiting = Outbox(tmp_path / "notify.sqlite")
    assert {m["state"] for m in waiting.messages()} <= {"queued", "retrying"}
    assert len(waiting.messages()) == 3
    waiting.close()
    gateway.failures = 0  # the gateway is back; the hub starts again
    again = HttpSender(gateway.url, Outbox(tmp_path / "notify.sqlite"), backoff_s=0.05)
    await again.start()
    await again.drain()
    assert keys(gateway.accepted) == sorted(message_key(m) for m in sent)
    assert {m["state"] for m in again.outbox.messages()} == {"sent"}
    await again.stop()


CHILD = """
import asyncio, sys
from graph.driver import GraphTarget, open_async_driver
from graph.repository import GraphRepository
from hub.app import create_app
from hub.notify import HttpSender, Outbox
from schema.services import Notification

async def main():
    sender = HttpSender(sys.argv[1], Outbox(__import__("pathlib").Path(sys.argv[2])),
                        attempts=100, backoff_s=0.2, lease_s=1)
    await sender.start()
    for n in range(3):
        await sender.send(Notification("6281234567890", "teks", f"SP-{n:08d}", "ASSIGNED"))
    print("queued", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_messages_left_by_a_killed_hub_are_sent_once_at_the_next_start(
    tmp_path: Path,
) -> None:
    down = Gateway(failures=0)
    port = down.server.server_address[1]
    down.server.server_close()  # the gateway is unreachable while the hub runs
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, down.url, str(tmp_path / "notify.sqlite")],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert child.stdout is not None and child.stdout.readline().strip() == b"queued"
    os.kill(child.pid, signal.SIGKILL)  # no shutdown at all
    child.wait()
    back = Gateway(failures=0, port=port)
    thread = threading.Thread(target=back.server.serve_forever, daemon=True)
    thread.start()
    try:
        sender = HttpSender(back.url, Outbox(tmp_path / "notify.sqlite"), backoff_s=0.05)
        await sender.start()
        await sender.drain()
        assert keys(back.accepted) == [f"SP-{n:08d}:ASSIGNED" for n in range(3)]
        await sender.stop()
    finally:
        back.server.shutdown()
        back.server.server_close()


async def test_two_processes_share_the_outbox_and_post_each_row_once(
    tmp_path: Path, gateway: Gateway
) -> None:
    gateway.failures = 0
    one, two = (
        HttpSender(gateway.url, Outbox(tmp_path / "notify.sqlite"), backoff_s=0.05)
        for _ in range(2)
    )
    await one.start()
    await two.start()
    sent = [message(n) for n in range(20)]
    for n, m in enumerate(sent):
        await (one if n % 2 else two).send(m)
    await one.drain()
    await two.drain()
    assert keys(gateway.accepted) == sorted(message_key(m) for m in sent)
    await one.stop()
    await two.stop()


async def test_retention_blanks_the_phone_and_text_of_messages_done(store_backend: Store) -> None:
    box = Outbox(store_backend.database("notify"))
    (done, _), (waiting, _) = box.add(MESSAGE, "http"), box.add(message(1), "outbox")
    box.attempted(done, None)  # sent
    later = datetime.now(UTC) + timedelta(days=1)
    assert box.forget(later) == 1 and box.forget(later) == 0
    kept = {m["id"]: m for m in box.messages()}
    assert (kept[done]["phone"], kept[done]["text"]) == ("", "")
    assert kept[done]["reference"] == "SP-23456789" and kept[done]["state"] == "sent"
    # a message still waiting to go keeps what it needs to be sent
    assert kept[waiting]["phone"] == "6281234567890"
    # nothing done before the cut-off: nothing blanked
    assert box.forget(datetime.now(UTC) - timedelta(days=1)) == 0
    box.close()


def test_an_erasure_deletes_the_messages_of_a_persons_requests(store_backend: Store) -> None:
    box = Outbox(store_backend.database("notify"))
    box.add(message(1), "http")
    box.add(message(1, "ENDED"), "outbox")
    box.add(Notification("6289999999999", "teks", "AD-00000002", "FILED"), "outbox")
    box.add(Notification("6287777777777", "teks", "SP-00000003", "ASSIGNED"), "outbox")
    assert box.erase(["SP-00000001"], ["6289999999999"]) == 3
    assert [m["reference"] for m in box.messages()] == ["SP-00000003"]
    assert box.erase([], []) == 0
    box.close()


async def test_the_hub_sends_at_start_what_a_stopped_hub_left(
    tmp_path: Path, gateway: Gateway
) -> None:
    gateway.failures = 0
    left = Outbox(tmp_path / "notify.sqlite")  # queued by the last run, never sent
    left.add(MESSAGE, "http")
    left.close()
    settings = load_settings(
        {"HUB_HOME": str(tmp_path), "HUB_NOTIFY_SENDER": "http", "HUB_NOTIFY_URL": gateway.url},
        toml_path=tmp_path / "none.toml",
    )
    # only the app's start and stop run: the graph is connected to, never asked
    driver = await open_async_driver(
        GraphTarget(
            uri=os.environ.get("NEO4J_TEST_URI", "bolt://127.0.0.1:7687"),
            user=os.environ.get("NEO4J_TEST_USER", "neo4j"),
            password=os.environ.get("NEO4J_TEST_PASSWORD", ""),
        )
    )
    app = create_app(settings, Services(repository=GraphRepository(driver, "neo4j")))
    async with app.router.lifespan_context(app):
        await until(lambda: gateway.accepted, "the gateway to accept what the last run left")
    await driver.close()
    assert keys(gateway.accepted) == [message_key(MESSAGE)]
    box = Outbox(tmp_path / "notify.sqlite")
    assert [m["state"] for m in box.messages()] == ["sent"]
    box.close()


async def test_a_backlog_to_a_slow_gateway_is_posted_once(tmp_path: Path) -> None:
    """A claim's lease runs while the post waits for a thread of the shared
    default executor (and its `attempted` waits behind the other posts), so a
    backlog to a slow gateway was claimed and posted again. Scaled down: posts
    of 0.2 s, 4 threads, a lease of 2 s stand for posts of 2-5 s (a slow or down
    gateway), 6 threads (2 cores) and the 15 s default. The backlog (64 rows, 3.2 s
    of posts) outlasts the lease, while one post has 1.8 s to spare: a loaded
    machine that stalls a post's thread for a second does not lapse its claim."""
    posted: Counter[str] = Counter()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posted[body["key"]] += 1
            time.sleep(0.2)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=4))
    url = f"http://127.0.0.1:{server.server_address[1]}/send"
    # what a stopped hub (or a gateway outage) left: the next start sends the backlog
    box = Outbox(tmp_path / "notify.sqlite")
    for n in range(64):
        box.add(Notification("628120000000", "t", f"SP-{n:08d}", "ASSIGNED"), "http")
    box.close()
    sender = HttpSender(url, Outbox(tmp_path / "notify.sqlite"), lease_s=2.0)
    try:
        await sender.start()
        await asyncio.wait_for(sender.drain(), timeout=60)
        twice = {k: c for k, c in posted.items() if c > 1}
        assert len(posted) == 64 and not twice, twice
    finally:
        await sender.stop()
        server.shutdown()
        server.server_close()


async def test_an_old_outboxs_waiting_messages_are_sent_once_or_given_up(
    tmp_path: Path, gateway: Gateway
) -> None:
    """An outbox the sender kept before messages had keys: what it left queued or
    retrying has no key. On upgrade the ones younger than the resend window are
    sent once; older ones (days late, perhaps sent already) and a repeat of one
    status change are `failed`, with the reason."""
    path = tmp_path / "notify.sqlite"
    now = datetime.now(UTC)
    young, old = now - timedelta(hours=1), now - UNKEYED_RESEND_WINDOW - timedelta(hours=1)
    with sqlite3.connect(path) as con:
        con.execute(SCHEMA)
        con.executemany(
            "INSERT INTO outbox (created_at, phone, text, reference, status, sender, state)"
            " VALUES (?, '6281234567890', 'Satupintu', ?, 'ASSIGNED', 'http', ?)",
            [
                (old.isoformat(), "SP-00000001", "queued"),
                (old.isoformat(), "SP-00000002", "retrying"),
                (young.isoformat(), "SP-00000003", "retrying"),
                (young.isoformat(), "SP-00000003", "queued"),  # the same change twice
                (young.isoformat(), "SP-00000004", "queued"),
                (old.isoformat(), "SP-00000005", "sent"),
            ],
        )
    con.close()
    gateway.failures = 0
    sender = HttpSender(gateway.url, Outbox(path), backoff_s=0.01)
    await sender.start()
    await sender.drain()
    found = sender.outbox.messages()
    await sender.stop()
    assert keys(gateway.accepted) == ["SP-00000003:ASSIGNED", "SP-00000004:ASSIGNED"]
    assert len(gateway.received) == 2
    states = {(m["id"], m["state"], m["last_error"] is not None) for m in found}
    assert states == {
        (1, "failed", True),
        (2, "failed", True),
        (3, "sent", False),
        (4, "failed", True),
        (5, "sent", False),
        (6, "sent", False),
    }, states
