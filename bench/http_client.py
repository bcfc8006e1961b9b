"""A small HTTP/1.1 keep-alive client for the load benches.

On a 2-core machine the bench's clients run beside the server and Neo4j, so
every millisecond of CPU they spend per request is a millisecond the server
does not get. httpx spent about 0.9 ms per household-360 request (session 6,
`bench_refresh` at 100k households); this client writes the request bytes
itself and reads back one response (Content-Length or chunked), which costs a
fraction of that. It speaks only what the benches send: POST and GET with a
body, to one host, over plain TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class HTTPError(Exception):
    """The connection failed or the answer was not HTTP/1.1."""


class _Stale(Exception):
    """The server closed a kept-alive connection before answering."""


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"bench client speaks plain http only, not {base!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            reused = self._writer is not None
            try:
                return await self._exchange(method, path, body, headers or {})
            except (_Stale, ConnectionResetError, BrokenPipeError):
                await self.close()
                if attempt == 2 or not reused:
                    raise HTTPError(f"{method} {path}: the connection closed") from None
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                await self.close()
                raise HTTPError(f"{method} {path}: {exc!r}") from exc
        raise AssertionError("unreachable")

    async def _exchange(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._reader, self._writer
        assert reader is not None
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        first = await reader.readline()
        if not first:  # a kept-alive connection the server has since closed: send again
            raise _Stale
        status = int(first.split(b" ", 2)[1])
        length, chunked, close = -1, False, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if chunked:
            payload = bytearray()
            while size := int((await reader.readline()).split(b";")[0], 16):
                payload += await reader.readexactly(size + 2)
                del payload[-2:]
            await reader.readline()  # the empty trailer
            answer = bytes(payload)
        elif length >= 0:
            answer = await reader.readexactly(length)
        else:
            answer, close = await reader.read(), True
        if close:
            await self.close()
        return status, answer

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class Pool:
    """Connections to one base URL, reused; as many open as requests in flight."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._idle: list[Connection] = []
        self._all: list[Connection] = []

    async def post_json(self, path: str, document: Any, headers: dict[str, str]) -> tuple[int, Any]:
        """POST a JSON document; (status, the decoded answer or None)."""
        conn = self._idle.pop() if self._idle else self._open()
        try:
            status, body = await conn.request(
                "POST",
                path,
                json.dumps(document).encode(),
                {"Content-Type": "application/json", **headers},
            )
        finally:
            self._idle.append(conn)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, None

    def _open(self) -> Connection:
        conn = Connection(self.base)
        self._all.append(conn)
        return conn

    async def close(self) -> None:
        for conn in self._all:
            await conn.close()
        self._idle.clear()
        self._all.clear()


__all__ = ["Connection", "HTTPError", "Pool"]
