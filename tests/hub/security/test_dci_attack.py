"""What an attacking partner tried against the DCI API that must not work, with no
graph (the routes' checks, the sender registry, the subscriptions' store):

- a `sender_uri` that leaves the registered callback base through percent-encoded
  dot segments (`/dci/%2e%2e/other`), which the HTTP client sends as they are and a
  gateway in front of several partners resolves;
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.dci.envelope import DciRefusal, SignatureParts, public_key_text
from hub.dci.routes import ON_SEARCH, SEARCH, callback_for
from hub.dci.senders import Sender, SenderRegistry
from hub.dci.service import DciCall
from hub.security import Principal
from hub.security.db import SecurityDB

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
