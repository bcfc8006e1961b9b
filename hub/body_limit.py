"""A ceiling on request bodies: a body over `max_bytes` is refused with 413 before
any of it reaches authentication, GraphQL or a form parser.

The declared `Content-Length` is checked first; a body without one (chunked) is
read up to the limit and refused as soon as it passes it. Websocket messages are
capped by the server (`ws_max_size`, hub.server) with the same number.
"""

from __future__ import annotations

from typing import Final

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: 256 KiB: a GraphQL document (at most 2,000 tokens) with its variables, where no
#: string may pass 4,000 characters, fits many times over.
MAX_BODY_BYTES: Final = 256 * 1024


def too_large(max_bytes: int) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [
                {
                    "message": f"The request body is larger than {max_bytes:,} bytes; send less "
                    "(page through results, or split the work into several requests).",
                    "extensions": {"code": "PAYLOAD_TOO_LARGE", "limit": max_bytes},
                }
            ]
        },
        status_code=413,
    )


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0 or length > self.max_bytes:
                await too_large(self.max_bytes)(scope, receive, send)
                return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away: let the app see it
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await too_large(self.max_bytes)(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(bytes(body), message, receive), send)


def _replay(body: bytes, last: Message, receive: Receive) -> Receive:
    """A receive that hands the buffered body over once, then the original stream."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if last["type"] != "http.request":
                return last
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["MAX_BODY_BYTES", "BodyLimit", "too_large"]
