"""GraphQL over HTTP media types.

Clients that accept `application/graphql-response+json` get it, with the
spec's status codes: a request error (the document does not parse or
validate: the response has no `data` entry) is 400; anything else is 200.
Clients that ask only for `application/json` get what they always had.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRAPHQL_RESPONSE = "application/graphql-response+json"


def wants_graphql_response(accept: str) -> bool:
    """True when the Accept header prefers graphql-response+json over json."""
    best: tuple[float, int] = (-1.0, 0)
    chosen = ""
    for index, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media in (GRAPHQL_RESPONSE, "application/json") and (q, -index) > best:
            best, chosen = (q, -index), media
    return chosen == GRAPHQL_RESPONSE and best[0] > 0


class GraphQLResponseMedia:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"accept"), "")
        if not wants_graphql_response(accept):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k.lower() not in (b"content-type", b"content-length")
            ]
            is_json = any(
                k.lower() == b"content-type" and v.startswith(b"application/json")
                for k, v in start.get("headers", [])
            )
            status = start["status"]
            if is_json:
                headers.append((b"content-type", f"{GRAPHQL_RESPONSE}; charset=utf-8".encode()))
                if status == 200 and body.lstrip().startswith(b'{"errors"'):
                    status = 400
            else:
                headers += [
                    (k, v) for k, v in start.get("headers", []) if k.lower() == b"content-type"
                ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, capture)
