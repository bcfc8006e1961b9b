"""The DCI endpoints as Starlette routes, for hub.app to mount.

Each feature adds its routes here, one line each in `dci_routes`.

Search and transaction status (the SR side of `social_api_v1.0.0.yaml`):

- `POST /registry/sync/search`: the signed `on-search` envelope in the answer;
- `POST /registry/search`: an ACK with our `correlation_id`, then a signed
  `POST <callback>/registry/on-search` (hub.dci.transactions delivers it, with
  retries, durable across restarts);
- `POST /registry/sync/txn/status`: the signed `txn-on-status` envelope;
- `POST /registry/txn/status`: an ACK, then `POST <callback>/registry/txn/on-status`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from hub.dci.envelope import DciRefusal
from hub.dci.search import OPERATIONS, SearchUnavailable, run_search
from hub.dci.service import DciCall, DciService, Refused, new_id
from hub.dci.subscribe_api import subscribe_routes
from hub.dci.transactions import Deliveries, Transaction, Transactions, without_records
from hub.security import Principal

SYNC_SEARCH = "/registry/sync/search"
SEARCH = "/registry/search"
SYNC_TXN_STATUS = "/registry/sync/txn/status"
TXN_STATUS = "/registry/txn/status"
ON_SEARCH = "/registry/on-search"
ON_STATUS = "/registry/txn/on-status"
#: a search message's list of searches
SEARCH_ITEMS = "search_request"


def callback_for(call: DciCall, path: str) -> str:
    """Where the answer of an async request goes: the header's `sender_uri` when
    it lies under the sender's registered callback base, else the base + `path`.
    A callback outside the registered base is refused: a signed request must not
    send households to an address the partner did not register."""
    base = call.sender.callback_base
    if base is None:
        raise DciRefusal(
            "err.sender_uri.invalid",
            f"sender {call.sender_id} has no registered callback base: ask Dinsos to add one",
            400,
        )
    uri = call.header.get("sender_uri")
    if not uri:
        return base.rstrip("/") + path
    try:  # as the HTTP client will send it: dot segments resolved (`/dci/../admin` is `/admin`)
        url: httpx.URL | None = httpx.URL(str(uri))
    except httpx.InvalidURL:
        url = None
    sent = str(url or "")
    if url is None or not sent.startswith(base.rstrip("/") + "/") or _climbs(url.path):
        raise DciRefusal(
            "err.sender_uri.invalid",
            f"sender_uri {uri!r} is not under the registered callback base {base!r}",
            400,
        )
    return sent


def _climbs(path: str) -> bool:
    """Whether a path still names a dot segment once decoded (`%2e%2e`, `..%2f`)
    or holds a backslash: the client sends it as it is, and the partner's server
    or a gateway in front of several partners may resolve it to another path."""
    decoded = unquote(path)
    return "\\" in decoded or any(part in (".", "..") for part in decoded.split("/"))


def dci_routes(dci: DciService) -> list[BaseRoute]:
    """Every DCI route of the app's one DciService (a feature that needs a
    worker beside the server appends it to `dci.workers` here)."""
    return [
        *search_routes(dci),
        *subscribe_routes(dci),  # subscribe, unsubscribe; the notify pump (hub.dci.subscribe)
    ]


def search_routes(dci: DciService) -> list[BaseRoute]:
    """Search and transaction status, sync and async."""
    store = Transactions(dci.security)
    dci.operations.update(OPERATIONS)

    def principal_of(row: Transaction) -> Principal | None:
        sender = dci.senders.active(row.sender_id)
        if sender is None:
            return None
        return Principal(row.subject, sender.organization, sender.role, "jwt")

    async def run_pending(row: Transaction) -> tuple[str, dict[str, Any]]:
        """An accepted async search, run now as its sender (as registered now:
        a sender revoked since is answered `rjct`, without records)."""
        request_header = row.request["header"]
        principal = await asyncio.to_thread(principal_of, row)
        if principal is None:
            head = dci.callback_header(
                "on-search", "rjct", request_header, reason="the sender was revoked"
            )
            return "rjct", {"header": head}
        outcome = await run_search(
            dci, principal, row.sender_id, row.request["message"], row.correlation_id
        )
        count = len(outcome.response["search_response"])
        head = dci.callback_header(
            "on-search",
            "succ" if outcome.succeeded else "rjct",
            request_header,
            total_count=count,
            completed_count=count,
        )
        return ("succ" if outcome.succeeded else "rjct"), {
            "header": head,
            "message": outcome.response,
        }

    deliveries = Deliveries(store, run_pending, dci.signer.sign, senders=dci.senders)
    dci.workers.append(deliveries.run)

    async def record(
        call: DciCall,
        correlation_id: str,
        kind: str,
        references: list[str],
        callback: str | None,
        **outcome: Any,
    ) -> None:
        """Keep the transaction (its request as received, for txn status and the
        deliveries worker); `outcome`: status, answer, delivered when known now."""
        await asyncio.to_thread(
            store.add,
            correlation_id,
            call.sender_id,
            call.principal.subject,
            str(call.message["transaction_id"]),
            kind,
            references,
            {"header": call.header, "message": call.message},
            callback,
            organization=call.sender.organization,
            role=call.sender.role,
            **outcome,
        )

    async def sync_search(request: Request) -> Response:
        try:
            call = await dci.receive(request, SYNC_SEARCH, sync_action="on-search")
            dci.check_items(request, call, SEARCH_ITEMS, "on-search")
        except Refused as refused:
            return refused.response
        correlation_id = new_id()
        try:
            outcome = await run_search(
                dci, call.principal, call.sender_id, call.message, correlation_id
            )
        except SearchUnavailable as exc:
            return dci.http_error(DciRefusal("err.service.unavailable", str(exc), 500))
        count = len(outcome.response["search_response"])
        status = "succ" if outcome.succeeded else "rjct"
        answer = {
            "header": dci.callback_header(
                "on-search", status, call.header, total_count=count, completed_count=count
            ),
            "message": outcome.response,
        }
        await record(
            call,
            correlation_id,
            "search",
            _references(call.message),
            None,
            status=status,
            answer=answer,
            delivered=True,
        )
        return JSONResponse(dci.signer.sign(answer))

    async def async_search(request: Request) -> Response:
        try:
            call = await dci.receive(request, SEARCH)
            dci.check_items(request, call, SEARCH_ITEMS, None)
            callback = callback_for(call, ON_SEARCH)
        except Refused as refused:
            return refused.response
        except DciRefusal as refusal:
            return JSONResponse(dci.ack(new_id(), "ERR", refusal), status_code=refusal.status)
        correlation_id = new_id()
        await record(call, correlation_id, "search", _references(call.message), callback)
        deliveries.wake.set()
        return JSONResponse(dci.ack(correlation_id))

    def status_answer(call: DciCall) -> dict[str, Any]:
        """The `txn-on-status` header and message for a status request."""
        asked = call.message["txnstatus_request"]
        if asked["txn_type"] != "search":
            head = dci.callback_header(
                "txn-on-status",
                "rjct",
                call.header,
                reason=f"txn_type {asked['txn_type']!r}: only search transactions are kept",
            )
            return {"header": head}
        found = store.find(call.sender_id, asked["attribute_type"], asked["attribute_value"])
        if not found:
            head = dci.callback_header(
                "txn-on-status",
                "rjct",
                call.header,
                reason=f"no search of {call.sender_id} with {asked['attribute_type']} "
                f"{asked['attribute_value']!r}",
            )
            return {"header": head}
        row = found[0]
        head = dci.callback_header(
            "txn-on-status", "succ", call.header, total_count=1, completed_count=1
        )
        return {
            "header": head,
            "message": {
                "transaction_id": str(call.message["transaction_id"]),
                "correlation_id": row.correlation_id,
                "txnstatus_response": {"txn_type": "search", "txn_status": _search_state(row)},
            },
        }

    async def sync_txn_status(request: Request) -> Response:
        try:
            call = await dci.receive(request, SYNC_TXN_STATUS, sync_action="txn-on-status")
        except Refused as refused:
            return refused.response
        return JSONResponse(dci.signer.sign(await asyncio.to_thread(status_answer, call)))

    async def async_txn_status(request: Request) -> Response:
        try:
            call = await dci.receive(request, TXN_STATUS)
            callback = callback_for(call, ON_STATUS)
        except Refused as refused:
            return refused.response
        except DciRefusal as refusal:
            return JSONResponse(dci.ack(new_id(), "ERR", refusal), status_code=refusal.status)
        answer = await asyncio.to_thread(status_answer, call)
        correlation_id = new_id()
        await record(
            call,
            correlation_id,
            "txn-status",
            [str(call.message["txnstatus_request"]["reference_id"])],
            callback,
            status=answer["header"]["status"],
            answer=answer,
        )
        deliveries.wake.set()
        return JSONResponse(dci.ack(correlation_id))

    return [
        Route(SYNC_SEARCH, sync_search, methods=["POST"]),
        Route(SEARCH, async_search, methods=["POST"]),
        Route(SYNC_TXN_STATUS, sync_txn_status, methods=["POST"]),
        Route(TXN_STATUS, async_txn_status, methods=["POST"]),
    ]


def _references(message: Mapping[str, Any]) -> list[str]:
    return [str(item["reference_id"]) for item in message.get(SEARCH_ITEMS) or []]


def _search_state(row: Transaction) -> dict[str, Any]:
    """A search's `SearchResponse` as status reports it: without records."""
    if row.answer is not None and isinstance(row.answer.get("message"), Mapping):
        return dict(without_records(row.answer)["message"])
    return {
        "transaction_id": row.transaction_id,
        "correlation_id": row.correlation_id,
        "search_response": [
            {"reference_id": ref, "timestamp": row.created_at, "status": row.status}
            for ref in row.reference_ids
        ]
        if row.answer is None
        else [],
    }


__all__ = ["callback_for", "dci_routes", "search_routes"]
