"""The DCI envelope's signature, the sender registry and the schema patches
(hub.dci.envelope, hub.dci.senders, hub.dci.schemas): no graph, no server. The
registry's tests run on both store back-ends (the `db` fixture), with two
servers racing to register, revoke and accept the same message."""

from __future__ import annotations

import base64
import json
import stat
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from referencing.exceptions import Unresolvable
from storetest import security_again
from typer.testing import CliRunner

from hub.dci.cli import make_dci_app
from hub.dci.envelope import (
    MAX_LIFETIME_S,
    DciRefusal,
    HubSigner,
    canonical_json,
    key_id_of,
    load_or_create_signing_key,
    public_key_text,
    raw_private_bytes,
    sign_envelope,
    verify_envelope,
)
from hub.dci.schemas import PATCHES, DciSchemas
from hub.dci.search import CriteriaError, household_filter, stated_purpose
from hub.dci.senders import SenderError, SenderRegistry
from hub.dci.service import hub_signer
from hub.security.db import SecurityDB
from hub.settings import Settings
from schema.extensions.input_limits import INPUT_LIMITS

runner = CliRunner()


def _header(sender: str = "spmis.example.org", message_id: str = "m-1") -> dict[str, Any]:
    return {
        "version": "1.0.0",
        "message_id": message_id,
        "message_ts": "2026-12-03T04:00:00Z",
        "action": "search",
        "sender_id": sender,
        "total_count": 1,
    }


def _search(query_type: str, query: Any) -> dict[str, Any]:
    return {
        "transaction_id": "t-1",
        "search_request": [
            {
                "reference_id": "r-1",
                "timestamp": "2026-12-03T04:00:00Z",
                "search_criteria": {"query_type": query_type, "query": query},
            }
        ],
    }


@pytest.fixture
def partner() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _registered(db: SecurityDB, partner: Ed25519PrivateKey) -> SenderRegistry:
    reg = SenderRegistry(db)
    reg.add(
        "spmis.example.org",
        public_key_text(partner.public_key()),
        "dinkes",
        "agency",
        "https://spmis.example.org/dci",
    )
    return reg


@pytest.fixture
def registry(db: SecurityDB, partner: Ed25519PrivateKey) -> SenderRegistry:
    """The registry on each store back-end, with one agency sender."""
    return _registered(db, partner)


@pytest.fixture
def keyring(tmp_path: Path, partner: Ed25519PrivateKey) -> Iterator[SenderRegistry]:
    """The same, on SQLite only, for the signature checks (what they test is the
    signature; the look-up is tested on both back-ends by the registry's own tests)."""
    with SecurityDB(tmp_path / "security.sqlite") as db:
        yield _registered(db, partner)


def _signed(partner: Ed25519PrivateKey, **kw: Any) -> dict[str, Any]:
    envelope = {
        "header": _header(),
        "message": _search("idtype-value", {"type": "NIK", "value": "1"}),
    }
    return sign_envelope(
        envelope, partner, "spmis.example.org", key_id_of(partner.public_key()), **kw
    )


def _refusal(envelope: dict[str, Any], registry: SenderRegistry, **kw: Any) -> DciRefusal:
    with pytest.raises(DciRefusal) as caught:
        verify_envelope(envelope, registry.verifying_key, **kw)
    return caught.value


def test_a_signed_envelope_verifies_and_names_its_sender(
    partner: Ed25519PrivateKey, keyring: SenderRegistry
) -> None:
    envelope = _signed(partner)
    assert envelope["signature"].startswith(
        'Signature: namespace="spdci",keyId="spmis.example.org|'
    )
    parts = verify_envelope(envelope, keyring.verifying_key)
    assert parts.sender_id == "spmis.example.org"
    assert parts.key_id == key_id_of(partner.public_key())
    # the specification's own spelling of the key parameter is read too
    assert (
        verify_envelope(
            {**envelope, "signature": envelope["signature"].replace("keyId=", "kidId=")},
            keyring.verifying_key,
        ).sender_id
        == "spmis.example.org"
    )
    # key order and spacing do not matter: the digest is over canonical JSON
    reordered = json.loads(json.dumps(envelope, sort_keys=True, indent=3))
    assert verify_envelope(reordered, keyring.verifying_key).key_id == parts.key_id


def test_a_changed_message_a_stranger_or_an_old_signature_is_refused(
    partner: Ed25519PrivateKey, keyring: SenderRegistry
) -> None:
    envelope = _signed(partner)
    tampered = json.loads(json.dumps(envelope))
    tampered["message"]["search_request"][0]["search_criteria"]["query"]["value"] = "2"
    assert _refusal(tampered, keyring).code == "err.signature.invalid"

    stranger = Ed25519PrivateKey.generate()
    forged = sign_envelope(
        {"header": envelope["header"], "message": envelope["message"]},
        stranger,
        "spmis.example.org",
        key_id_of(partner.public_key()),
    )
    assert _refusal(forged, keyring).code == "err.signature.invalid"

    unknown = sign_envelope(
        {"header": _header("nobody.example.org"), "message": envelope["message"]},
        stranger,
        "nobody.example.org",
        key_id_of(stranger.public_key()),
    )
    assert _refusal(unknown, keyring).code == "err.sender_id.invalid"

    old = _signed(partner, now=time.time() - 3600, ttl_s=300)
    refusal = _refusal(old, keyring)
    assert (refusal.code, "expired" in refusal.message) == ("err.signature.invalid", True)
    future = _signed(partner, now=time.time() + 3600)
    assert _refusal(future, keyring).code == "err.signature.invalid"

    assert _refusal({k: v for k, v in envelope.items() if k != "signature"}, keyring).code == (
        "err.signature.missing"
    )
    # a signature naming another sender than the header
    other = {**envelope, "header": {**envelope["header"], "sender_id": "someone.else"}}
    assert _refusal(other, keyring).code == "err.sender_id.invalid"


def test_a_revoked_sender_is_refused_and_a_message_id_counts_once(
    partner: Ed25519PrivateKey, registry: SenderRegistry
) -> None:
    envelope = _signed(partner)
    assert registry.first_seen("spmis.example.org", "m-1")
    assert not registry.first_seen("spmis.example.org", "m-1")
    assert registry.first_seen("other.example.org", "m-1")  # per sender
    revoked = registry.revoke("spmis.example.org")
    assert [s.revoked for s in revoked] == [True]
    refusal = _refusal(envelope, registry)
    assert refusal.code == "err.sender_id.invalid" and "revoked" in refusal.message
    with pytest.raises(SenderError):
        registry.revoke("spmis.example.org")


def test_the_registry_refuses_what_it_cannot_use(
    partner: Ed25519PrivateKey, registry: SenderRegistry
) -> None:
    key = public_key_text(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(SenderError, match="32 bytes"):
        registry.add("x", base64.b64encode(b"short").decode(), "dinkes", "agency")
    with pytest.raises(SenderError, match="http"):
        registry.add("x", key, "dinkes", "agency", "ftp://x")
    with pytest.raises(SenderError, match="acts for dinkes"):
        registry.add("spmis.example.org", key, "yayasan", "foundation")
    with pytest.raises(Exception, match="Unknown role"):
        registry.add("y", key, "dinkes", "superuser")
    second = registry.add("spmis.example.org", key, "dinkes", "agency")  # a second key rotates
    assert second.key_id != key_id_of(partner.public_key())
    assert registry.active("spmis.example.org") is not None


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread, released together; what each returned or raised."""
    start = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            out[i] = calls[i]()
        except Exception as exc:  # what the caller sees, kept to assert on
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_servers_at_once_register_revoke_and_accept_a_message_once(
    registry: SenderRegistry, db: SecurityDB, partner: Ed25519PrivateKey, tmp_path: Path
) -> None:
    with security_again(db, tmp_path) as other_db:
        other = SenderRegistry(other_db)
        # the same message reaching two servers at once is accepted by one
        ids = [f"m-{i}" for i in range(20)]
        seen = _at_once(
            lambda: [registry.first_seen("spmis.example.org", m) for m in ids],
            lambda: [other.first_seen("spmis.example.org", m) for m in ids],
        )
        assert [a + b for a, b in zip(*seen, strict=True)] == [1] * len(ids)

        # two registrations of one sender for two organizations: one holds, the
        # other is refused as a registration error (never a database error)
        for n in range(5):
            keys = [public_key_text(Ed25519PrivateKey.generate().public_key()) for _ in "ab"]
            added = _at_once(
                lambda k=keys[0], n=n: registry.add(f"race-{n}", k, "dinkes", "agency"),
                lambda k=keys[1], n=n: other.add(f"race-{n}", k, "yayasan", "foundation"),
            )
            assert sorted(type(a).__name__ for a in added) == ["Sender", "SenderError"]
            held = {(s.organization, s.role) for s in other.list() if s.sender_id == f"race-{n}"}
            assert len(held) == 1

        # two revoking at once: each key is revoked, and reported, by one of them
        second = registry.add(
            "spmis.example.org",
            public_key_text(Ed25519PrivateKey.generate().public_key()),
            "dinkes",
            "agency",
        )
        revoked = _at_once(
            lambda: registry.revoke("spmis.example.org"),
            lambda: other.revoke("spmis.example.org"),
        )
        lists = [r for r in revoked if isinstance(r, list)]
        refused = [r for r in revoked if isinstance(r, SenderError)]
        assert len(lists) + len(refused) == 2
        reported = sorted(s.key_id for got in lists for s in got)
        assert reported == sorted([second.key_id, key_id_of(partner.public_key())])
        assert all(s.revoked for s in registry.list() if s.sender_id == "spmis.example.org")


def test_jcs_writes_numbers_and_keys_as_rfc_8785() -> None:
    # RFC 8785 section 3.2.2.3 and appendix examples
    assert canonical_json({"b": 1, "a": [1.0, 0.5, 1e21, 1e-7, -0.0, "é\n"]}) == (
        '{"a":[1,0.5,1e+21,1e-7,0,"é\\n"],"b":1}'.encode()
    )
    # UTF-16 order: a surrogate pair (U+1F600) sorts before U+FB01, code points would not
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2, "a": 3}) == (
        '{"a":3,"\U0001f600":2,"\ufb01":1}'.encode()
    )


def test_the_hub_signing_key_is_made_once_private_and_verifies(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    signer = hub_signer(settings)
    path = settings.keys_dir / "dci-signing-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert hub_signer(settings).key_id == signer.key_id  # the same key on the next start
    answer = signer.sign({"header": {"sender_id": signer.sender_id}, "message": {"x": 1}})
    lookup = {(signer.sender_id, signer.key_id): signer.private_key.public_key()}
    assert verify_envelope(answer, lambda s, k: lookup[(s, k)]).sender_id == "satupintu"
    assert isinstance(signer, HubSigner)


@pytest.fixture
def dci_app(tmp_path: Path) -> tuple[typer.Typer, Settings]:
    settings = Settings(home=tmp_path / "home")
    return make_dci_app(lambda: settings), settings


def test_senders_cli_adds_lists_and_revokes(
    dci_app: tuple[typer.Typer, Settings], partner: Ed25519PrivateKey, tmp_path: Path
) -> None:
    app, settings = dci_app
    pem = tmp_path / "partner.pem"
    from cryptography.hazmat.primitives import serialization

    pem.write_bytes(
        partner.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    added = runner.invoke(
        app,
        [
            "senders",
            "add",
            "spmis.example.org",
            "--org",
            "dinkes",
            "--role",
            "agency",
            "--public-key-file",
            str(pem),
            "--callback",
            "https://spmis.example.org/dci",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = json.loads(runner.invoke(app, ["senders", "list", "--json"]).output)
    assert [(s["sender_id"], s["organization"], s["role"], s["revoked_at"]) for s in listed] == [
        ("spmis.example.org", "dinkes", "agency", None)
    ]
    assert listed[0]["public_key"] == public_key_text(partner.public_key())
    revoked = runner.invoke(app, ["senders", "revoke", "spmis.example.org"])
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(runner.invoke(app, ["senders", "list", "--json", "--active"]).output) == []
    key = json.loads(runner.invoke(app, ["key", "--json"]).output)
    assert key["sender_id"] == settings.dci_sender_id and key["algorithm"] == "ed25519"
    assert key["key_id"] == hub_signer(settings).key_id


# --- the specification's schemas and our patches ------------------------------


@pytest.fixture(scope="module")
def schemas() -> DciSchemas:
    return DciSchemas()


def _request(message: dict[str, Any], action: str = "search") -> dict[str, Any]:
    return {"signature": "s", "header": {**_header(), "action": action}, "message": message}


#: for each patch, a message the specification means to allow and its unpatched
#: schemas refuse (the path, the request)
PATCH_WITNESSES: dict[int, tuple[str, dict[str, Any]]] = {
    1: (
        "/registry/sync/txn/status",
        _request(
            {
                "transaction_id": "t-2",
                "txnstatus_request": {
                    "reference_id": "r-2",
                    "txn_type": "search",
                    "attribute_type": "reference_id_list",
                    "attribute_value": ["r-1"],
                },
            },
            "txn-status",
        ),
    ),
    3: (
        "/registry/sync/search",
        _request(
            _search(
                "predicate",
                [
                    {
                        "expression1": {
                            "attribute_name": "decile",
                            "operator": "le",
                            "attribute_value": 3,
                        }
                    }
                ],
            )
        ),
    ),
    4: (
        "/registry/sync/search",
        # ExpTemplate.yaml's own example: it is an IdentifierTypeValue too
        _request(
            _search(
                "expression",
                {
                    "type": "ns:org:QueryType:NoSql",
                    "value": {"expression": {"collection": "Group", "query": {}}},
                },
            )
        ),
    ),
    17: (
        "/registry/sync/txn/status",
        _request(
            {
                "transaction_id": "t-2",
                "txnstatus_request": {
                    "reference_id": "r-2",
                    "txn_type": "search",
                    "attribute_type": "transaction_id",
                    "attribute_value": "t-1",
                },
            },
            "txn-status",
        ),
    ),
}


def test_every_patch_has_a_witness() -> None:
    assert sorted(p.inconsistency for p in PATCHES) == sorted(PATCH_WITNESSES)


@pytest.mark.parametrize("number", sorted(PATCH_WITNESSES))
def test_each_patch_lets_through_what_the_unpatched_spec_refuses(
    number: int, schemas: DciSchemas
) -> None:
    path, request = PATCH_WITNESSES[number]
    assert schemas.validate_request(path, request) == []
    unpatched = DciSchemas(without=frozenset({number}))
    if number == 1:  # a dangling $ref: the request cannot be checked at all
        with pytest.raises(Unresolvable):
            unpatched.validate_request(path, request)
    else:
        assert unpatched.validate_request(path, request) != []


def test_the_schemas_still_refuse_what_is_wrong(schemas: DciSchemas) -> None:
    bad = _request(_search("idtype-value", {"type": "NIK", "value": "1"}))
    del bad["header"]["total_count"]
    bad["message"]["search_request"][0]["timestamp"] = "yesterday"
    problems = schemas.validate_request("/registry/sync/search", bad)
    assert any("total_count" in p for p in problems)
    assert any("date-time" in p for p in problems)
    wrong_action = _request(_search("idtype-value", {"type": "NIK", "value": "1"}), "notify")
    assert any(
        p.startswith("header/action")
        for p in schemas.validate_request("/registry/search", wrong_action)
    )


def test_a_signature_valid_for_too_long_is_refused(
    partner: Ed25519PrivateKey, keyring: SenderRegistry
) -> None:
    forever = _signed(partner, ttl_s=MAX_LIFETIME_S + 60)
    refusal = _refusal(forever, keyring)
    assert refusal.code == "err.signature.invalid" and "at most" in refusal.message


# --- search criteria -> the GraphQL HouseholdFilter ------------------------------------


def _predicates(*triples: tuple[str, str, Any], condition: str | None = None) -> dict[str, Any]:
    items = []
    for name, op, value in triples:
        items.append(
            {"expression1": {"attribute_name": name, "operator": op, "attribute_value": value}}
        )
    if condition is not None:
        items[0]["condition"] = condition
        items[0]["expression2"] = items.pop()["expression1"]
    return {"query_type": "predicate", "query": items}


def test_search_criteria_become_household_filters() -> None:
    assert household_filter(
        {"query_type": "idtype-value", "query": {"type": "nik", "value": "32"}}
    ) == {"nik": "32"}
    assert household_filter(
        {"query_type": "idtype-value", "query": {"type": "KK", "value": 32}}
    ) == {"noKk": "32"}
    assert household_filter(
        _predicates(
            ("kelurahan_code", "eq", "3273021004"), ("decile", "lt", 4), ("ppks", "eq", "P01")
        )
    ) == {"kelurahanCode": "3273021004", "maxDecile": 3, "ppks": "P01"}
    assert household_filter(
        _predicates(("rt", "eq", "001"), ("decile", "eq", 2), condition="and")
    ) == {"rt": "001", "decile": 2}


@pytest.mark.parametrize(
    ("criteria", "code"),
    [
        (
            {"query_type": "idtype-value", "query": {"type": "UIN", "value": "1"}},
            "rjct.search_criteria.invalid",
        ),
        (
            {"query_type": "expression", "query": {"type": "NoSql", "value": {}}},
            "rjct.search_criteria.invalid",
        ),
        (_predicates(("decile", "gt", 3)), "rjct.filter.invalid"),
        (_predicates(("income", "eq", 3)), "rjct.filter.invalid"),
        (
            _predicates(("rt", "eq", "001"), ("rw", "eq", "002"), condition="or"),
            "rjct.filter.invalid",
        ),
        (_predicates(("decile", "eq", 2), ("decile", "eq", 3)), "rjct.filter.invalid"),
        (_predicates(("decile", "le", 2.5)), "rjct.filter.invalid"),
    ],
)
def test_search_criteria_the_hub_cannot_answer_are_refused(
    criteria: dict[str, Any], code: str
) -> None:
    with pytest.raises(CriteriaError) as caught:
        household_filter(criteria)
    assert caught.value.code == code


def test_the_stated_purpose_records_the_consent_as_an_assertion_within_graphqls_limit() -> None:
    criteria = {
        "consent": {
            "ts": "2026-12-03T04:00:00Z",
            "purpose": {"code": "social_assistance", "text": "x" * 500},
            "ref_uri": "https://spmis.example.org/consent/42",
        }
    }
    stated = stated_purpose(criteria, "spmis.example.org", "t" * 32, "r-1")
    assert stated.startswith("social_assistance: DCI spmis.example.org txn ")
    assert "consent asserted by the sender: ts=2026-12-03T04:00:00Z, ref_uri=https://" in stated
    assert len(stated) == INPUT_LIMITS.string
    with pytest.raises(CriteriaError, match="PURPOSE_REQUIRED"):
        stated_purpose({"consent": {"ts": "2026-12-03T04:00:00Z"}}, "s", "t", "r")


def test_servers_starting_at_once_sign_with_the_one_key_made(tmp_path: Path) -> None:
    """Two processes making a new home's DCI signing key at once: the loser reads
    the winner's whole key, never an empty file it has opened but not written."""
    for attempt in range(20):
        path = tmp_path / f"home{attempt}" / "keys" / "dci-signing-key"
        start = threading.Barrier(4)

        def make(path: Path = path, start: threading.Barrier = start) -> bytes:
            start.wait()
            return raw_private_bytes(load_or_create_signing_key(path))

        with ThreadPoolExecutor(4) as pool:
            keys = list(pool.map(lambda _: make(), range(4)))
        assert len(set(keys)) == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
