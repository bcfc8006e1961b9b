"""Residents' messages: the outbox keeps each one; the http sender POSTs it to
a gateway (a real local HTTP server here), retries a failure, and records
every attempt in the outbox."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hub.notify import HttpSender, Outbox, OutboxSender, notifier_for
from hub.settings import Settings
from schema.services import Notification

pytestmark = pytest.mark.anyio

MESSAGE = Notification(
    phone="6281234567890",
    text="Satupintu SP-23456789: ...",
    reference="SP-23456789",
    status="ASSIGNED",
)


class Gateway:
    """A fake SMS/WhatsApp gateway: answers 503 to the first `failures` posts."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append(json.loads(body))
                failing = len(gateway.received) <= gateway.failures
                self.send_response(503 if failing else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    fake = Gateway(failures=1)
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


async def test_the_outbox_keeps_each_message(tmp_path: Path) -> None:
    sender = notifier_for(Settings(home=tmp_path))
    assert isinstance(sender, OutboxSender)
    await sender.send(MESSAGE)
    [kept] = sender.outbox.messages()
    assert (kept["phone"], kept["reference"], kept["state"], kept["sender"]) == (
        "6281234567890",
        "SP-23456789",
        "queued",
        "outbox",
    )


async def test_the_gateway_gets_the_message_after_a_retry(tmp_path: Path, gateway: Gateway) -> None:
    sender = notifier_for(Settings(home=tmp_path, notify_sender="http", notify_url=gateway.url))
    assert isinstance(sender, HttpSender)
    sender.backoff_s = 0.01
    await sender.send(MESSAGE)
    await sender.drain()
    assert gateway.received == [json.loads(json.dumps(vars(MESSAGE)))] * 2
    [kept] = sender.outbox.messages("SP-23456789")
    assert (kept["state"], kept["attempts"], kept["sent_at"] is not None) == ("sent", 2, True)


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


async def test_retention_blanks_the_phone_and_text_of_messages_done(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "notify.sqlite")
    done, waiting = box.add(MESSAGE, "http"), box.add(MESSAGE, "outbox")
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
