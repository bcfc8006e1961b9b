"""What an attacking partner tried against the DCI API that must not work, with no
graph (the routes' checks, the sender registry, the subscriptions' store):

- a `sender_uri` that leaves the registered callback base through percent-encoded
  dot segments (`/dci/%2e%2e/other`), which the HTTP client sends as they are and a
  gateway in front of several partners resolves;
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving
from jwtissuer import ISSUER, Issuer
from starlette.applications import Starlette

from graph import GraphUnavailable
from hub.dci.envelope import DciRefusal, SignatureParts, public_key_text, sign_envelope
from hub.dci.routes import ON_SEARCH, SEARCH, callback_for
from hub.dci.senders import Sender, SenderRegistry
from hub.dci.service import MAX_ITEMS, DciCall, DciService, hub_signer, utc_now
from hub.dci.subscribe import (
    MAX_SUBSCRIPTIONS,
    REGISTER,
    NotifyPump,
    SubscribeRefusal,
    Subscriptions,
)
from hub.dci.subscribe_api import SUBSCRIBE, UNSUBSCRIBE, SubscribeApi
from hub.dci.transactions import Deliveries, Transaction, Transactions
from hub.security import JwtVerifier, Principal, RateLimit, RateLimiter
from hub.security.db import SecurityDB
from hub.settings import Settings

BASE = "https://gateway.example.org/spmis"


def _partner(sec: SecurityDB, callback: str | None = BASE) -> Sender:
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    return SenderRegistry(sec).add("spmis", key, "ORG-DINKES", "agency", callback)


def _call(sender: Sender, **header: str) -> DciCall:
    principal = Principal("system:spmis", sender.organization, sender.role, "jwt")
    parts = SignatureParts(sender.sender_id, sender.key_id, "ed25519", 0, 0, "", b"")
    head = {"sender_id": sender.sender_id, **header}
    return DciCall(SEARCH, {}, head, {"transaction_id": "t"}, sender, principal, parts)


@pytest.mark.parametrize(
    "sneaky",
    [
        "/%2e%2e/other/registry/on-search",
        "/%2E%2E/other/registry/on-search",
        "/.%2e/other/registry/on-search",
        "/..%2fother/registry/on-search",
        "/%2e/registry/on-search",
        "/..\\other/registry/on-search",
    ],
)
def test_a_sender_uri_cannot_leave_the_callback_base_by_encoded_dots(
    tmp_path: Path, sneaky: str
) -> None:
    with SecurityDB(tmp_path / "security.sqlite") as sec:
        sender = _partner(sec)
        with pytest.raises(DciRefusal) as refused:
            callback_for(_call(sender, sender_uri=BASE + sneaky), ON_SEARCH)
        assert refused.value.code == "err.sender_uri.invalid"
        # what lies under the base is still taken, dots inside a name too
        for fine in ("/registry/on-search", "/v1.0/on-search", "/a..b/on-search"):
            assert callback_for(_call(sender, sender_uri=BASE + fine), ON_SEARCH) == BASE + fine
        assert callback_for(_call(sender), ON_SEARCH) == BASE + ON_SEARCH


class ReadsAs:
    """The DCI service's GraphQL context factory, as the pump calls it: the graph
    is up (the round's probe, without a principal); a read as a sender is noted
    and goes no further (there is no graph here)."""

    def __init__(self) -> None:
        self.principals: list[Principal] = []

    def __call__(self, principal: Principal | None, purpose: str | None) -> Any:
        if principal is None:
            return None
        self.principals.append(principal)
        raise RuntimeError("no graph in this test")


@pytest.mark.anyio
async def test_a_sender_registered_again_for_another_organization_is_told_nothing(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    reads = ReadsAs()
    with receiving() as rec, SecurityDB(tmp_path / "security.sqlite") as sec:
        senders = SenderRegistry(sec)
        first = _partner(sec, rec.base)
        subscriptions = Subscriptions(sec)
        made = subscriptions.add(
            "spmis", "system:spmis", "t-1", "r-1", REGISTER, {}, None, "social_assistance", 0,
            organization=first.organization, role=first.role,
        )  # fmt: skip
        dci = DciService(settings, sec, senders, hub_signer(settings), None, None, reads, None)
        pump = NotifyPump(subscriptions, dci)
        senders.revoke("spmis")
        key = public_key_text(Ed25519PrivateKey.generate().public_key())
        senders.add("spmis", key, "ORG-YAYASAN", "foundation", rec.base)

        assert await pump.round() == 0
        assert reads.principals == [] and rec.calls == 0  # nothing read as it, nor sent
        ended = subscriptions.get(made.code)
        assert ended is not None and not ended.active

        # the same party with a new key (all its keys were revoked first) is still it
        again = subscriptions.add(
            "spmis", "system:spmis", "t-2", "r-1", REGISTER, {}, None, "social_assistance", 0,
            organization="ORG-YAYASAN", role="foundation",
        )  # fmt: skip
        senders.revoke("spmis")
        key = public_key_text(Ed25519PrivateKey.generate().public_key())
        senders.add("spmis", key, "ORG-YAYASAN", "foundation", rec.base)
        await pump.round()
        assert [(p.organization, p.role) for p in reads.principals] == [
            ("ORG-YAYASAN", "foundation")
        ]
        kept = subscriptions.get(again.code)
        assert kept is not None and kept.active


def _subscribe(sender_id: str, key: Ed25519PrivateKey, key_id: str, items: int) -> dict[str, Any]:
    """A signed subscribe message of `items` items, each for another kecamatan."""
    requests = [
        {
            "reference_id": f"r-{i}",
            "timestamp": utc_now(),
            "subscribe_criteria": {
                "reg_event_type": REGISTER,
                "notify_record_type": "ns:satupintu:RegistryRecordType:HouseholdEvent",
                "filter_type": "predicate",
                "filter": [
                    {"expression1": {"attribute_name": "kecamatan_code", "operator": "eq",
                                     "attribute_value": str(3273000 + i)}}
                ],
                "authorize": {"purpose": {"code": "social_assistance"}},
            },
        }
        for i in range(items)
    ]  # fmt: skip
    header = {
        "version": "1.0.0", "message_id": uuid.uuid4().hex, "message_ts": utc_now(),
        "action": "subscribe", "sender_id": sender_id, "total_count": items,
    }  # fmt: skip
    message = {"transaction_id": uuid.uuid4().hex, "subscribe_request": requests}
    return sign_envelope({"header": header, "message": message}, key, sender_id, key_id)


def _graph_down(principal: Principal | None, purpose: str | None) -> Any:
    raise GraphUnavailable("no graph in this test")


@pytest.mark.anyio
async def test_a_subscribe_message_holds_at_most_max_items_each_charged(tmp_path: Path) -> None:
    """Over MAX_ITEMS items: 400 and an ERR ack, nothing subscribed. Within it,
    each item takes a token, as a search's does: two messages of MAX_ITEMS
    items empty a bucket of 2 * MAX_ITEMS, and the next message is 429 (with a
    token a message, it would have gone on, here to the graph, which is down)."""
    settings = Settings(home=tmp_path)
    issuer = Issuer(tmp_path / "jwks.json")
    key = Ed25519PrivateKey.generate()
    with SecurityDB(tmp_path / "security.sqlite") as sec:
        senders = SenderRegistry(sec)
        sender = senders.add(
            "spmis", public_key_text(key.public_key()), "ORG-DINKES", "agency",
            "http://127.0.0.1:9/dci",
        )  # fmt: skip
        limiter = RateLimiter(RateLimit(rate=0.001, burst=2 * MAX_ITEMS))
        verifier = JwtVerifier(ISSUER, issuer.jwks_file)
        dci = DciService(
            settings, sec, senders, hub_signer(settings), verifier, limiter, _graph_down, None
        )
        api = SubscribeApi(dci)
        token = issuer.token(sub="system:spmis", org="ORG-DINKES", role="agency")
        transport = httpx.ASGITransport(app=Starlette(routes=api.routes()))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:

            async def post(items: int) -> httpx.Response:
                body = _subscribe("spmis", key, sender.key_id, items)
                headers = {"Authorization": f"Bearer {token}"}
                return await client.post(SUBSCRIBE, json=body, headers=headers)

            codes = [f"sub-{n}" for n in range(MAX_ITEMS + 1)]  # as the schema wants both
            end = {"transaction_id": "t", "timestamp": utc_now(), "subscription_codes": codes,
                   "sunscription_codes": codes}  # fmt: skip
            header = {
                "version": "1.0.0", "message_id": uuid.uuid4().hex, "message_ts": utc_now(),
                "action": "unsubscribe", "sender_id": "spmis", "total_count": len(codes),
            }  # fmt: skip
            body = sign_envelope({"header": header, "message": end}, key, "spmis", sender.key_id)
            other = issuer.token(sub="staff:other", org="ORG-DINKES", role="agency")
            auth = {"Authorization": f"Bearer {other}"}  # its own rate-limit bucket
            ending = await client.post(UNSUBSCRIBE, json=body, headers=auth)
            assert ending.status_code == 400, ending.text
            assert f"at most {MAX_ITEMS}" in ending.json()["message"]["error"]["message"]

            many = await post(MAX_ITEMS + 1)
            assert many.status_code == 400
            error = many.json()["message"]["error"]
            assert error["code"] == "err.request.bad"
            assert f"at most {MAX_ITEMS}" in error["message"]
            assert (await post(MAX_ITEMS)).status_code == 503  # taken; the graph is down
            assert (await post(MAX_ITEMS - 1)).status_code == 503
            assert (await post(1)).status_code == 429
        assert api.subscriptions.of_sender("spmis") == []


def test_a_sender_holds_at_most_max_subscriptions(db: SecurityDB) -> None:
    subscriptions = Subscriptions(db)

    def subscribe(n: int) -> str:
        return subscriptions.add(
            "spmis", "sys:p", "t", f"r-{n}", REGISTER, {"kecamatan_code": [str(n)]}, None,
            "p", 0,
        ).code  # fmt: skip

    codes = [subscribe(n) for n in range(MAX_SUBSCRIPTIONS)]
    with pytest.raises(SubscribeRefusal) as refused:
        subscribe(MAX_SUBSCRIPTIONS)
    assert refused.value.code == "rjct.notify_details.invalid"
    assert f"at most {MAX_SUBSCRIPTIONS}" in refused.value.message
    subscriptions.add("other", "sys:o", "t", "r", REGISTER, {}, None, "p", 0)  # its own count
    assert subscriptions.end("spmis", codes[0])  # an ended one frees a place
    subscribe(MAX_SUBSCRIPTIONS)


@pytest.mark.anyio
async def test_a_number_beyond_a_float_is_a_bad_request_not_a_server_error(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path)
    issuer = Issuer(tmp_path / "jwks.json")
    key = Ed25519PrivateKey.generate()
    with SecurityDB(tmp_path / "security.sqlite") as sec:
        senders = SenderRegistry(sec)
        sender = senders.add(
            "spmis", public_key_text(key.public_key()), "ORG-DINKES", "agency",
            "http://127.0.0.1:9/dci",
        )  # fmt: skip
        verifier = JwtVerifier(ISSUER, issuer.jwks_file)
        dci = DciService(settings, sec, senders, hub_signer(settings), verifier, None, None, None)
        token = issuer.token(sub="system:spmis", org="ORG-DINKES", role="agency")
        signed = _subscribe("spmis", key, sender.key_id, 1)
        text = json.dumps(signed).replace('"transaction_id": ', '"note": 1e400, "transaction_id": ')
        transport = httpx.ASGITransport(app=Starlette(routes=SubscribeApi(dci).routes()))
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            r = await client.post(
                SUBSCRIBE,
                content=text.encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        assert r.status_code == 400, r.text
        assert r.json()["message"]["error"]["code"] == "err.request.bad"
        assert "Infinity" in r.json()["message"]["error"]["message"]


@pytest.mark.anyio
async def test_a_sender_registered_again_gets_no_answer_owed_to_the_first_one(
    tmp_path: Path,
) -> None:
    """An async search accepted from ORG-DINKES's sender, not yet run, and an
    answer kept for it, not yet delivered; the sender id is then revoked and
    registered for a foundation. Neither is run as the foundation nor sent to it:
    both are given up, saying why."""
    ran: list[str] = []

    async def run(row: Transaction) -> tuple[str, dict[str, Any]]:
        ran.append(row.correlation_id)
        return "succ", {"header": {}, "message": {}}

    signer = hub_signer(Settings(home=tmp_path))
    with receiving() as rec, SecurityDB(tmp_path / "security.sqlite") as sec:
        senders = SenderRegistry(sec)
        first = _partner(sec, rec.base)
        store = Transactions(sec)
        request = {"header": {"message_id": "m"}, "message": {"transaction_id": "t"}}
        for cid, answer in (("pending", None), ("answered", {"header": {}, "message": {}})):
            store.add(
                cid, "spmis", "system:spmis", "t", "search", ["r"], request,
                rec.base + ON_SEARCH, status="pdng" if answer is None else "succ",
                answer=answer, organization=first.organization, role=first.role,
            )  # fmt: skip
        senders.revoke("spmis")
        key = public_key_text(Ed25519PrivateKey.generate().public_key())
        senders.add("spmis", key, "ORG-YAYASAN", "foundation", rec.base)
        async with httpx.AsyncClient() as client:
            worker = Deliveries(store, run, signer.sign, senders=senders)
            for cid in ("pending", "answered"):
                await worker.work(client, cid)
        assert ran == [] and rec.calls == 0
        for cid in ("pending", "answered"):
            row = store.get(cid)
            assert row is not None and row.given_up_at is not None and row.delivered_at is None
            assert row.last_error is not None and "ORG-YAYASAN" in row.last_error
