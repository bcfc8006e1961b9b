"""How the hub sends a signed DCI callback: one POST, one notion of success,
one retry schedule, used by the async answers' worker (hub.dci.transactions
`Deliveries`: on-search, txn/on-status, on-subscribe ...) and by the notify
pump (hub.dci.subscribe `NotifyPump`). Each caller keeps its own durable
bookkeeping (a transaction's row, a subscription's cursor).

- The envelope (`{header, message}`) is signed at sending time with the hub's key.
- A URL the sender registry refuses (`SenderRegistry.refused_callback`: not
  http(s), or http in production) is never posted to (`Sent.refused`).
- Delivered: a 2xx answer whose `Response` ack (when it sends one) is not
  `ack_status: ERR`. Anything else is retried: another status, no whole answer
  within `TIMEOUT_S` (the POST as a whole: a partner dripping its answer a byte
  at a time held the one worker, every partner's callbacks in turn, for as long
  as it liked), a connection that fails, an ERR ack.
- At most `MAX_ANSWER_BYTES` of an answer are read (an ack is a few hundred
  bytes): a partner's endless answer is not read into memory; a longer one is
  no ack.
- The pause after the n-th failure in a row: `pause_after(n)`, 1 s, 2 s, 4 s ...
  at most `MAX_PAUSE_S`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

#: how long the partner has to answer one POST, whole
TIMEOUT_S: Final = 10.0
#: the most of an answer read: an ack is a few hundred bytes
MAX_ANSWER_BYTES: Final = 64 * 1024
#: the pause after a first failure, doubled after each failure in a row
FIRST_PAUSE_S: Final = 1.0
#: the longest pause between two attempts
MAX_PAUSE_S: Final = 300.0

#: signs a callback's `{header, message}` for sending
Signer = Callable[[Mapping[str, Any]], dict[str, Any]]
#: why households may not be sent to a URL (None: they may)
UrlCheck = Callable[[str], str | None]


def pause_after(failures: int) -> float:
    """Seconds to wait after the `failures`-th failed attempt in a row."""
    return min(MAX_PAUSE_S, FIRST_PAUSE_S * 2.0 ** max(0, failures - 1))


@dataclass(frozen=True)
class Sent:
    """The outcome of one attempt: delivered (`ok`), failed and to be retried
    (`error`), or never sent to that URL (`refused`)."""

    error: str | None = None
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.refused is None


def _ack_refused(answer: bytes | None) -> bool:
    if answer is None:  # longer than an ack: the 2xx is the answer
        return False
    try:
        message = json.loads(answer).get("message")
    except (ValueError, AttributeError):  # no JSON ack: the 2xx is the answer
        return False
    return isinstance(message, Mapping) and message.get("ack_status") == "ERR"


async def _read_some(response: httpx.Response, limit: int) -> bytes | None:
    """The answer's body, or None once it is longer than `limit` (read no further)."""
    got = bytearray()
    async for chunk in response.aiter_bytes():
        got += chunk
        if len(got) > limit:
            return None
    return bytes(got)


async def post_signed(
    client: httpx.AsyncClient,
    url: str,
    content: Mapping[str, Any],
    sign: Signer,
    refused: UrlCheck | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Sent:
    """Sign `content` and POST it to `url` (see the module doc)."""
    reason = None if refused is None else refused(url)
    if reason is not None:
        return Sent(refused=reason)
    body = json.dumps(sign(content)).encode()
    headers = {"Content-Type": "application/json", "Accept-Encoding": "identity"}
    try:
        async with (
            asyncio.timeout(timeout_s),  # the whole POST, not each read
            client.stream("POST", url, content=body, headers=headers, timeout=timeout_s) as sent,
        ):
            status = sent.status_code
            answer = await _read_some(sent, MAX_ANSWER_BYTES) if 200 <= status < 300 else None
    except TimeoutError:
        return Sent(error=f"no whole answer within {timeout_s:g} s (timed out)")
    except httpx.HTTPError as exc:
        return Sent(error=f"{type(exc).__name__}: {exc}".rstrip(": "))
    if not 200 <= status < 300:
        return Sent(error=f"HTTP {status}")
    if _ack_refused(answer):
        return Sent(error="ack ERR")
    return Sent()


__all__ = [
    "FIRST_PAUSE_S",
    "MAX_ANSWER_BYTES",
    "MAX_PAUSE_S",
    "TIMEOUT_S",
    "Sent",
    "Signer",
    "UrlCheck",
    "pause_after",
    "post_signed",
]
