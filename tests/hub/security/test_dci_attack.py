"""What an attacking partner tried against the DCI API that must not work, with no
graph (the routes' checks, the sender registry, the subscriptions' store):

- a `sender_uri` that leaves the registered callback base through percent-encoded
  dot segments (`/dci/%2e%2e/other`), which the HTTP client sends as they are and a
  gateway in front of several partners resolves;
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving

from hub.dci.envelope import DciRefusal, SignatureParts, public_key_text
from hub.dci.routes import ON_SEARCH, SEARCH, callback_for
from hub.dci.senders import Sender, SenderRegistry
from hub.dci.service import DciCall, DciService, hub_signer
from hub.dci.subscribe import REGISTER, NotifyPump, Subscriptions
from hub.security import Principal
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
