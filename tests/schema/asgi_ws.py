"""A graphql-transport-ws client that talks to an ASGI app in process (httpx
speaks only HTTP): the app runs its real websocket route, authentication and
subscription resolvers, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from waiting import BUDGET_S

PROTOCOL = "graphql-transport-ws"


class WebSocketClosed(AssertionError):
    pass


class AsgiWebSocket:
    def __init__(self, app: Any, path: str = "/graphql") -> None:
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0"},
            "scheme": "ws",
            "http_version": "1.1",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "client": ("127.0.0.1", 50000),
            "server": ("hub", 80),
            "subprotocols": [PROTOCOL],
            "headers": [(b"host", b"hub"), (b"sec-websocket-protocol", PROTOCOL.encode())],
        }
        self._task = asyncio.ensure_future(app(scope, self._to_app.get, self._from_app.put))

    async def accept(self) -> None:
        await self._to_app.put({"type": "websocket.connect"})
        message = await self._next(BUDGET_S)
        if message["type"] != "websocket.accept":
            raise WebSocketClosed(f"not accepted: {message}")

    async def send(self, payload: dict[str, Any]) -> None:
        await self._to_app.put({"type": "websocket.receive", "text": json.dumps(payload)})

    async def receive(self, timeout: float = BUDGET_S) -> dict[str, Any]:
        message = await self._next(timeout)
        if message["type"] == "websocket.close":
            raise WebSocketClosed(f"closed: {message}")
        body: dict[str, Any] = json.loads(message.get("text") or message["bytes"])
        return body

    async def _next(self, timeout: float) -> dict[str, Any]:
        return await asyncio.wait_for(self._from_app.get(), timeout)

    async def close(self) -> None:
        await self._to_app.put({"type": "websocket.disconnect", "code": 1000})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 5)
        if not self._task.done():
            self._task.cancel()


@contextlib.asynccontextmanager
async def graphql_ws(app: Any, init: dict[str, Any]) -> AsyncIterator[AsgiWebSocket]:
    """An acknowledged graphql-transport-ws connection (`init` is the
    connection_init payload: the key and purpose)."""
    ws = AsgiWebSocket(app)
    try:
        await ws.accept()
        await ws.send({"type": "connection_init", "payload": init})
        ack = await ws.receive()
        if ack.get("type") != "connection_ack":
            raise WebSocketClosed(f"connection_init refused: {ack}")
        yield ws
    finally:
        await ws.close()
