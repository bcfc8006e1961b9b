"""How the hub sends a signed DCI callback: one POST, one notion of success,
one retry schedule, used by the async answers' worker (hub.dci.transactions
`Deliveries`: on-search, txn/on-status, on-subscribe ...) and by the notify
pump (hub.dci.subscribe `NotifyPump`). Each caller keeps its own durable
bookkeeping (a transaction's row, a subscription's cursor).

- The envelope (`{header, message}`) is signed at sending time with the hub's key.
- A URL the sender registry refuses (`SenderRegistry.refused_callback`: not
  http(s), or http in production) is never posted to (`Sent.refused`).
- Delivered: a 2xx answer whose `Response` ack (when it sends one) is not
  `ack_status: ERR`. Anything else is retried: another status, no answer within
  `TIMEOUT_S`, a connection that fails, an ERR ack.
- The pause after the n-th failure in a row: `pause_after(n)`, 1 s, 2 s, 4 s ...
  at most `MAX_PAUSE_S`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import httpx

#: how long the partner has to answer one POST
TIMEOUT_S: Final = 10.0
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


def _ack_refused(response: httpx.Response) -> bool:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):  # no JSON ack: the 2xx is the answer
        return False
    return isinstance(message, Mapping) and message.get("ack_status") == "ERR"


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
    try:
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json"}, timeout=timeout_s
        )
    except httpx.HTTPError as exc:
        return Sent(error=f"{type(exc).__name__}: {exc}".rstrip(": "))
    if not 200 <= response.status_code < 300:
        return Sent(error=f"HTTP {response.status_code}")
    if _ack_refused(response):
        return Sent(error="ack ERR")
    return Sent()


__all__ = [
    "FIRST_PAUSE_S",
    "MAX_PAUSE_S",
    "TIMEOUT_S",
    "Sent",
    "Signer",
    "UrlCheck",
    "pause_after",
    "post_signed",
]
