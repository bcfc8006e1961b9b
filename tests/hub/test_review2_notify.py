"""Review finding (helper R, session 10): a claim's lease runs while the post
waits for a thread of the shared default executor (and its `attempted` waits
behind the other posts), so a backlog to a slow gateway is claimed and posted
again. Scaled down: posts of 0.4 s, 4 threads, a lease of 1 s stand for posts
of 2-5 s (a slow or down gateway), 6 threads (2 cores) and the 15 s default."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from hub.notify import HttpSender, Outbox
from schema.services import Notification

pytestmark = pytest.mark.anyio


async def test_a_backlog_to_a_slow_gateway_is_posted_once(tmp_path: Path) -> None:
    posted: Counter[str] = Counter()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            posted[body["key"]] += 1
            time.sleep(0.4)
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
    for n in range(24):
        box.add(Notification("628120000000", "t", f"SP-{n:08d}", "ASSIGNED"), "http")
    box.close()
    sender = HttpSender(url, Outbox(tmp_path / "notify.sqlite"), lease_s=1.0)
    try:
        await sender.start()
        await asyncio.wait_for(sender.drain(), timeout=60)
        twice = {k: c for k, c in posted.items() if c > 1}
        assert len(posted) == 24 and not twice, twice
    finally:
        await sender.stop()
        server.shutdown()
        server.server_close()
