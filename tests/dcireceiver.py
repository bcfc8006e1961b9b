"""A DCI partner's callback endpoint for tests: a real HTTP server on 127.0.0.1
that records each POST (path, JSON body) and acknowledges it as the
specification's `Response` ack; it answers 500 to the first `fail_first` POSTs,
to see the hub retry, and acks with `ack_status` (ERR: the partner refused it)."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from waiting import BUDGET_S


@dataclass
class Receiver:
    base: str
    got: queue.Queue[tuple[str, dict[str, Any]]] = field(default_factory=queue.Queue)
    fail_first: int = 0
    calls: int = 0
    ack_status: str = "ACK"

    def next(self, timeout: float = BUDGET_S) -> tuple[str, dict[str, Any]]:
        """The next POST received; queue.Empty after `timeout` seconds (a bound
        for callbacks the hub sends from its background worker)."""
        return self.got.get(timeout=timeout)


@contextmanager
def receiving() -> Iterator[Receiver]:
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = box[0]
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            rec.calls += 1
            if rec.calls <= rec.fail_first:
                self.send_response(500)
                self.end_headers()
                return
            rec.got.put((self.path, body))
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            ack = {
                "message": {"ack_status": rec.ack_status, "timestamp": stamp, "correlation_id": "x"}
            }
            data = json.dumps(ack).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/dci"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box[0]
    finally:
        server.shutdown()
        server.server_close()
