"""The DCI Social Registry API against the session's served city (tests/console/
conftest.py): search by NIK, KK and predicate, sync and async (with a local
callback receiver), transaction status, and the refusals. Every request sent
and every answer and callback received is validated against the
specification's own JSON schemas (hub.dci.schemas), and every signed answer is
verified with the hub's public key."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from consolecity import City
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import Receiver, receiving

from hub.dci.envelope import key_id_of, public_key_text, sign_envelope, verify_envelope
from hub.dci.schemas import DciSchemas, schemas_at
from hub.dci.senders import SenderRegistry
from hub.dci.service import hub_signer, utc_now
from hub.security import SecurityDB
from hub.security.audit import AuditLog

pytestmark = pytest.mark.graph

DINSOS = "ORG-DINSOS"
AGENCY = "ORG-DCI-AGENCY"


# --- a partner's side: its keys, its callback receiver --------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as rec:
        yield rec


@dataclass(frozen=True)
class Partner:
    sender_id: str
    organization: str
    key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id_of(self.key.public_key())


@dataclass(frozen=True)
class Dci:
    city: City
    schemas: DciSchemas
    dinsos: Partner
    agency: Partner
    revoked: Partner

    def token(self, partner: Partner, organization: str | None = None) -> str:
        return self.city.staff_token(
            sub=f"system:{partner.sender_id}",
            org=organization or partner.organization,
            role="agency",
        )

    def envelope(
        self,
        partner: Partner,
        action: str,
        message: dict[str, Any],
        *,
        message_id: str | None = None,
        signed_as: Partner | None = None,
        **header: Any,
    ) -> dict[str, Any]:
        head = {
            "version": "1.0.0",
            "message_id": message_id or uuid.uuid4().hex,
            "message_ts": utc_now(),
            "action": action,
            "sender_id": partner.sender_id,
            "receiver_id": "satupintu",
            "total_count": 1,
            **header,
        }
        signer = signed_as or partner
        return sign_envelope(
            {"header": head, "message": message}, signer.key, partner.sender_id, signer.key_id
        )

    def post(
        self, path: str, body: dict[str, Any], token: str | None, validate: bool = True
    ) -> httpx.Response:
        if validate:
            assert self.schemas.validate_request(path, body) == [], "we sent an invalid request"
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        r = httpx.post(self.city.base + path, json=body, headers=headers, timeout=60)
        assert self.schemas.validate_response(path, r.json(), r.status_code) == [], r.text
        return r

    def verified(self, body: dict[str, Any]) -> dict[str, Any]:
        """A signed answer from the hub, its signature checked with the hub's key."""
        signer = hub_signer(self.city.settings)
        verify_envelope(body, lambda s, k: signer.private_key.public_key())
        assert body["header"]["sender_id"] == signer.sender_id
        return body


@pytest.fixture(scope="module")
def dci(city: City, receiver: Receiver) -> Dci:
    suffix = uuid.uuid4().hex[:6]  # ids that cannot clash with another module's
    partners = {
        name: Partner(f"{name}-{suffix}.dci.test", org, Ed25519PrivateKey.generate())
        for name, org in (("dinsos", DINSOS), ("agency", AGENCY), ("revoked", AGENCY))
    }
    roles = {"dinsos": "social_worker", "agency": "agency", "revoked": "agency"}
    with SecurityDB.from_settings(city.settings) as db:
        registry = SenderRegistry(db)
        for name, p in partners.items():
            registry.add(
                p.sender_id,
                public_key_text(p.key.public_key()),
                p.organization,
                roles[name],
                receiver.base,
            )
        registry.revoke(partners["revoked"].sender_id)
    return Dci(city, schemas_at(), partners["dinsos"], partners["agency"], partners["revoked"])


def _search(*criteria: dict[str, Any], purpose: str = "social_assistance") -> dict[str, Any]:
    return {
        "transaction_id": uuid.uuid4().hex,
        "search_request": [
            {
                "reference_id": f"ref-{i}",
                "timestamp": utc_now(),
                "search_criteria": {
                    "version": "1.0.0",
                    "reg_event_type": "REGISTER",
                    "response_entity": "Group",
                    "consent": {
                        "ts": utc_now(),
                        "purpose": {"text": "bansos verification", "code": purpose},
                        "ref_uri": "https://spmis.example.org/consent/42",
                    },
                    "pagination": {"page_size": 100, "page_number": 1},
                    **c,
                },
            }
            for i, c in enumerate(criteria)
        ],
    }


def _by_id(kind: str, value: str) -> dict[str, Any]:
    return {"query_type": "idtype-value", "query": {"type": kind, "value": value}}


def _where(*predicates: tuple[str, str, Any]) -> dict[str, Any]:
    return {
        "query_type": "predicate",
        "query": [
            {
                "seq_num": i + 1,
                "expression1": {"attribute_name": n, "operator": op, "attribute_value": v},
            }
            for i, (n, op, v) in enumerate(predicates)
        ],
    }


def _household_ids(item: dict[str, Any]) -> list[str]:
    return [g["@id"].rsplit(":", 1)[1] for g in item["data"]["reg_records"]]


@pytest.fixture(scope="module")
def admin(city: City) -> str:
    """One Dinsos API key for the module's GraphQL reads."""
    return city.key("dinsos_admin")


@pytest.fixture(scope="module")
def samples(city: City, admin: str) -> list[dict[str, Any]]:
    """Households with a KK and a member's NIK, read through GraphQL as Dinsos."""
    q = """{ households(first: 30, filter: {maxDecile: 4}) { edges { node {
        id noKk kelurahanCode members { id nik } } } } }"""
    edges = city.graphql(admin, q, purpose="social_assistance")["data"]["households"]["edges"]
    return [e["node"] for e in edges if e["node"]["noKk"] and e["node"]["members"][0]["nik"]]


@pytest.fixture(scope="module")
def sample(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return samples[0]


def test_sync_search_by_nik_and_kk_finds_the_household_as_graphql_does(
    dci: Dci, sample: dict[str, Any]
) -> None:
    nik = sample["members"][0]["nik"]
    body = dci.envelope(
        dci.dinsos, "search", _search(_by_id("NIK", nik), _by_id("KK", sample["noKk"]))
    )
    r = dci.post("/registry/sync/search", body, dci.token(dci.dinsos))
    assert r.status_code == 200, r.text
    answer = dci.verified(r.json())
    assert answer["header"]["action"] == "on-search"
    assert answer["header"]["status"] == "succ", answer
    assert answer["header"]["receiver_id"] == dci.dinsos.sender_id
    by_nik, by_kk = answer["message"]["search_response"]
    assert answer["message"]["transaction_id"] == body["message"]["transaction_id"]
    assert [by_nik["status"], by_kk["status"]] == ["succ", "succ"]
    assert _household_ids(by_nik) == [sample["id"]] and _household_ids(by_kk) == [sample["id"]]
    group = by_nik["data"]["reg_records"][0]
    # a social worker sees identifiers unmasked, as in GraphQL
    assert {"@type": "Identifier", "identifier_type": "KK", "identifier_value": sample["noKk"]} in (
        group["group_identifier"]
    )
    niks = {
        m["member_identifier"][0]["identifier_value"]
        for m in group["member_list"]
        if "member_identifier" in m  # a member without a NIK has none
    }
    assert nik in niks
    # the read is in the audit log, as the sender's organization and role, with the
    # stated purpose, the DCI transaction and the consent it asserted (not verified)
    log = AuditLog.from_settings(dci.city.settings)
    mine = [
        e
        for e in log.household_access_report(sample["id"])
        if body["message"]["transaction_id"] in (e.purpose or "")
    ]
    assert {e.operation for e in mine} >= {"read:dciSearch"}
    event = next(e for e in mine if e.operation == "read:dciSearch")
    assert (event.organization, event.role) == (DINSOS, "social_worker")
    assert event.subject == f"system:{dci.dinsos.sender_id}"
    assert event.purpose is not None and event.purpose.startswith("social_assistance [")
    assert "consent asserted by the sender" in event.purpose


def test_predicate_search_answers_what_graphql_answers(dci: Dci, sample: dict[str, Any]) -> None:
    kel = sample["kelurahanCode"]
    body = dci.envelope(
        dci.dinsos, "search", _search(_where(("kelurahan_code", "eq", kel), ("decile", "le", 4)))
    )
    r = dci.post("/registry/sync/search", body, dci.token(dci.dinsos))
    item = dci.verified(r.json())["message"]["search_response"][0]
    assert item["status"] == "succ", item.get("status_reason_message")
    q = """query($k: String) { households(first: 100, filter: {kelurahanCode: $k, maxDecile: 4})
        { totalCount edges { node { id } } } }"""
    expected = dci.city.graphql(dci.city.key("social_worker"), q, k=kel)["data"]["households"]
    assert item["pagination"]["total_count"] == expected["totalCount"] >= 1
    assert _household_ids(item) == [e["node"]["id"] for e in expected["edges"]]
    assert sample["id"] in _household_ids(item)


def test_a_consent_assertion_opens_nothing_and_special_ppks_is_refused(
    dci: Dci, city: City, admin: str, sample: dict[str, Any]
) -> None:
    ppks = city.graphql(admin, "{ ppksCategories { code specialCategory } }")
    special = next(p["code"] for p in ppks["data"]["ppksCategories"] if p["specialCategory"])
    plain = next(p["code"] for p in ppks["data"]["ppksCategories"] if not p["specialCategory"])
    body = dci.envelope(
        dci.agency,
        "search",
        _search(
            _by_id("KK", sample["noKk"]),  # consent asserted: still not opened
            _where(("ppks", "eq", special)),  # refused, not answered empty
            _where(("ppks", "eq", plain)),  # allowed (agencies see non-special PPKS)
            _where(("ppks", "eq", "NO-SUCH-PPKS")),  # the same refusal as special
        ),
    )
    r = dci.post("/registry/sync/search", body, dci.token(dci.agency))
    kk, special_item, plain_item, unknown = dci.verified(r.json())["message"]["search_response"]
    assert kk["status"] == "succ" and kk["data"]["reg_records"] == []
    assert (special_item["status"], special_item["status_reason_code"]) == (
        "rjct",
        "rjct.search_criteria.invalid",
    )
    assert plain_item["status"] == "succ"
    assert unknown["status"] == "rjct"
    assert unknown["status_reason_code"] == special_item["status_reason_code"]
    # the social worker's sender may search by the special PPKS
    again = dci.envelope(dci.dinsos, "search", _search(_where(("ppks", "eq", special))))
    sw = dci.post("/registry/sync/search", again, dci.token(dci.dinsos))
    assert dci.verified(sw.json())["message"]["search_response"][0]["status"] == "succ"


def test_a_consent_receipt_opens_a_household_to_the_agency_masked(
    dci: Dci, city: City, admin: str, samples: list[dict[str, Any]]
) -> None:
    other = samples[1]  # not `sample`, which must stay closed to the agency
    person = other["members"][0]
    mutation = """mutation($c: ConsentInput!) { recordConsent(consent: $c) { id } }"""
    consent = {
        "personId": person["id"],
        "organization": AGENCY,
        # a consent opens the household when it covers these (README "Consent receipts")
        "categories": ["IDENTITY", "HOUSEHOLD", "PROBLEMS", "PROGRAMS", "SERVICES"],
        "purpose": "social_assistance",
        "validUntil": "2099-01-01T00:00:00Z",
    }
    recorded = city.graphql(admin, mutation, c=consent)
    assert "errors" not in recorded, recorded
    body = dci.envelope(dci.agency, "search", _search(_by_id("KK", other["noKk"])))
    r = dci.post("/registry/sync/search", body, dci.token(dci.agency))
    item = dci.verified(r.json())["message"]["search_response"][0]
    assert _household_ids(item) == [other["id"]]
    group = item["data"]["reg_records"][0]
    kk = next(i for i in group["group_identifier"] if i["identifier_type"] == "KK")
    assert kk["identifier_value"] != other["noKk"] and "*" in kk["identifier_value"]
    niks = [
        m["member_identifier"][0]["identifier_value"]
        for m in group["member_list"]
        if "member_identifier" in m
    ]
    assert niks and all("*" in n for n in niks) and person["nik"] not in niks


def test_async_search_acks_then_posts_a_signed_on_search_with_retries(
    dci: Dci, receiver: Receiver, sample: dict[str, Any]
) -> None:
    receiver.calls, receiver.fail_first = 0, 1  # the first delivery fails: the hub retries
    body = dci.envelope(dci.dinsos, "search", _search(_by_id("KK", sample["noKk"])))
    r = dci.post("/registry/search", body, dci.token(dci.dinsos))
    assert r.status_code == 200 and r.json()["message"]["ack_status"] == "ACK", r.text
    correlation_id = r.json()["message"]["correlation_id"]
    path, callback = receiver.next()
    assert path == "/dci/registry/on-search"
    assert receiver.calls == 2
    assert dci.schemas.validate_request("/registry/on-search", callback) == []
    dci.verified(callback)
    assert callback["message"]["correlation_id"] == correlation_id
    assert _household_ids(callback["message"]["search_response"][0]) == [sample["id"]]

    # its status, by correlation id, sync: succeeded, and no records again
    status = dci.envelope(
        dci.dinsos,
        "txn-status",
        {
            "transaction_id": uuid.uuid4().hex,
            "txnstatus_request": {
                "reference_id": "status-1",
                "txn_type": "search",
                "attribute_type": "correlation_id",
                "attribute_value": correlation_id,
            },
        },
    )
    s = dci.post("/registry/sync/txn/status", status, dci.token(dci.dinsos))
    answer = dci.verified(s.json())
    assert answer["header"]["status"] == "succ"
    state = answer["message"]["txnstatus_response"]["txn_status"]
    assert [i["status"] for i in state["search_response"]] == ["succ"]
    assert "data" not in state["search_response"][0]

    # async: an ACK, then txn/on-status at the callback, by transaction id
    receiver.fail_first = 0
    by_txn = dci.envelope(
        dci.dinsos,
        "txn-status",
        {
            "transaction_id": uuid.uuid4().hex,
            "txnstatus_request": {
                "reference_id": "status-2",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": body["message"]["transaction_id"],
            },
        },
    )
    a = dci.post("/registry/txn/status", by_txn, dci.token(dci.dinsos))
    assert a.json()["message"]["ack_status"] == "ACK"
    path, on_status = receiver.next()
    assert path == "/dci/registry/txn/on-status"
    assert dci.schemas.validate_request("/registry/txn/on-status", on_status) == []
    assert dci.verified(on_status)["message"]["correlation_id"] == correlation_id


def test_another_senders_transactions_are_not_found(dci: Dci) -> None:
    body = dci.envelope(dci.dinsos, "search", _search(_where(("decile", "eq", 1))))
    dci.post("/registry/sync/search", body, dci.token(dci.dinsos))
    status = dci.envelope(
        dci.agency,
        "txn-status",
        {
            "transaction_id": uuid.uuid4().hex,
            "txnstatus_request": {
                "reference_id": "status-3",
                "txn_type": "search",
                "attribute_type": "transaction_id",
                "attribute_value": body["message"]["transaction_id"],
            },
        },
    )
    s = dci.post("/registry/sync/txn/status", status, dci.token(dci.agency))
    answer = dci.verified(s.json())
    assert answer["header"]["status"] == "rjct" and "message" not in answer


def test_a_sender_whose_role_sees_no_named_households_is_refused(
    dci: Dci, sample: dict[str, Any]
) -> None:
    """A sender registered as analyst (aggregates only) or auditor (the audit log
    only) gets no household: each search item is `rjct.search_criteria.invalid`
    with GraphQL's reason, the answer's status is `rjct`, and nothing is read."""
    suffix = uuid.uuid4().hex[:6]
    partners = {
        role: Partner(f"{role}-{suffix}.dci.test", DINSOS, Ed25519PrivateKey.generate())
        for role in ("analyst", "auditor")
    }
    with SecurityDB.from_settings(dci.city.settings) as db:
        registry = SenderRegistry(db)
        for role, p in partners.items():
            registry.add(p.sender_id, public_key_text(p.key.public_key()), DINSOS, role)
    for role, p in partners.items():
        search = _search(_by_id("NIK", sample["members"][0]["nik"]), _where(("decile", "le", 3)))
        r = dci.post("/registry/sync/search", dci.envelope(p, "search", search), dci.token(p))
        assert r.status_code == 200, r.text
        answer = dci.verified(r.json())
        assert answer["header"]["status"] == "rjct", role
        items = answer["message"]["search_response"]
        assert [(i["status"], i["status_reason_code"]) for i in items] == [
            ("rjct", "rjct.search_criteria.invalid")
        ] * 2, role
        assert not any("data" in i for i in items)
        assert all(
            f"the {role} role cannot read named" in i["status_reason_message"] for i in items
        )
        log = AuditLog.from_settings(dci.city.settings)
        assert (
            not [  # nothing was read, so nothing names the household for it
                e
                for e in log.household_access_report(sample["id"])
                if e.subject == f"system:{p.sender_id}"
            ]
        )


def _error(r: httpx.Response) -> tuple[int, str]:
    return r.status_code, r.json()["errors"][0]["code"]


def test_refusals_carry_the_specifications_codes(
    dci: Dci, sample: dict[str, Any], receiver: Receiver
) -> None:
    search = _search(_by_id("KK", sample["noKk"]))
    token = dci.token(dci.dinsos)
    path = "/registry/sync/search"

    tampered = dci.envelope(dci.dinsos, "search", search)
    tampered["message"]["search_request"][0]["search_criteria"]["query"]["value"] = "1" * 16
    assert _error(dci.post(path, tampered, token)) == (401, "err.signature.invalid")

    stranger = Partner("stranger.dci.test", DINSOS, Ed25519PrivateKey.generate())
    assert _error(dci.post(path, dci.envelope(stranger, "search", search), token)) == (
        401,
        "err.sender_id.invalid",
    )
    revoked = dci.post(path, dci.envelope(dci.revoked, "search", search), dci.token(dci.revoked))
    assert _error(revoked) == (401, "err.sender_id.invalid")
    assert "revoked" in revoked.json()["errors"][0]["message"]

    old = dci.envelope(dci.dinsos, "search", search)
    head = {"header": old["header"], "message": old["message"]}
    expired = sign_envelope(
        head, dci.dinsos.key, dci.dinsos.sender_id, dci.dinsos.key_id, now=time.time() - 3600
    )
    assert _error(dci.post(path, expired, token)) == (401, "err.signature.invalid")

    unsigned = {k: v for k, v in dci.envelope(dci.dinsos, "search", search).items()}
    del unsigned["signature"]
    assert _error(dci.post(path, unsigned, token)) == (401, "err.signature.missing")

    # signed for another registry (the province's hub): not run, nor replayable here
    theirs = dci.envelope(dci.dinsos, "search", search, receiver_id="hub.jabar.example")
    assert _error(dci.post(path, theirs, token)) == (401, "err.receiver_id.invalid")

    # the bearer token is another organization's
    other = dci.post(path, dci.envelope(dci.dinsos, "search", search), dci.token(dci.agency))
    assert _error(other) == (403, "err.request.forbidden")
    no_token = dci.post(path, dci.envelope(dci.dinsos, "search", search), None)
    assert _error(no_token) == (401, "err.request.unauthorized")

    # a message_id counts once per sender: sync answers rjct in the header, async ERR
    first = dci.envelope(dci.dinsos, "search", search, message_id="dup-" + uuid.uuid4().hex)
    assert dci.post(path, first, token).status_code == 200
    again = dci.post(path, first, token)
    assert again.status_code == 409
    header = dci.verified(again.json())["header"]
    assert (header["status"], header["status_reason_code"]) == ("rjct", "rjct.message_id.duplicate")
    replay = dci.post("/registry/search", first, token)
    assert replay.status_code == 409
    assert replay.json()["message"]["ack_status"] == "ERR"

    # not the specification's shape: refused before anything runs
    broken = dci.envelope(dci.dinsos, "search", search)
    del broken["header"]["total_count"]
    bad = dci.post(path, broken, token, validate=False)
    assert bad.status_code == 400 and dci.verified(bad.json())["header"]["status"] == "rjct"
    wrong = dci.post("/registry/search", broken, token, validate=False)
    assert wrong.status_code == 400
    assert wrong.json()["message"]["error"]["code"] == "err.request.bad"

    # a callback outside the registered base
    elsewhere = dci.envelope(
        dci.dinsos, "search", search, sender_uri="https://evil.example.org/on-search"
    )
    refused = dci.post("/registry/search", elsewhere, token)
    assert refused.json()["message"]["error"]["code"] == "err.sender_uri.invalid"
    # under the base as text, elsewhere once the client resolves the dot segments
    climbing = dci.envelope(
        dci.dinsos, "search", search, sender_uri=receiver.base + "/../admin/on-search"
    )
    refused = dci.post("/registry/search", climbing, token)
    assert refused.json()["message"]["error"]["code"] == "err.sender_uri.invalid"


def test_a_search_without_a_purpose_or_beyond_the_spec_is_rejected_per_item(dci: Dci) -> None:
    message = _search(_by_id("UIN", "1"), _where(("decile", "gt", 3)))
    del message["search_request"][0]["search_criteria"]["consent"]
    r = dci.post(
        "/registry/sync/search", dci.envelope(dci.dinsos, "search", message), dci.token(dci.dinsos)
    )
    answer = dci.verified(r.json())
    assert answer["header"]["status"] == "rjct"
    items = answer["message"]["search_response"]
    assert [(i["status"], i["status_reason_code"]) for i in items] == [
        ("rjct", "rjct.search_criteria.invalid"),
        ("rjct", "rjct.filter.invalid"),
    ]


def test_a_body_too_deep_or_with_nan_is_a_bad_request_not_a_server_error(dci: Dci) -> None:
    """JSON that Python reads but the envelope cannot be checked over (nesting
    past the parser's recursion limit, NaN or Infinity, which JSON does not
    have) is the request's fault: 400 in the path's shape, never a 500."""
    token = dci.token(dci.dinsos)
    deep = "[" * 100_000 + "]" * 100_000
    for path in ("/registry/sync/search", "/registry/search"):
        # before any token: whoever can reach the port could raise 500s before
        r = httpx.post(dci.city.base + path, content=deep, timeout=60)
        assert r.status_code == 400, r.text
        assert dci.schemas.validate_response(path, r.json(), 400) == []
    body = dci.envelope(dci.dinsos, "search", _search(_where(("decile", "eq", 1))))
    text = json.dumps(body).replace('"attribute_value": 1', '"attribute_value": NaN')
    assert "NaN" in text
    r = httpx.post(
        dci.city.base + "/registry/search",
        content=text,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"]["error"]["code"] == "err.request.bad"
    sync = httpx.post(
        dci.city.base + "/registry/sync/search",
        content=text.replace("NaN", "Infinity"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert sync.status_code == 400
    assert dci.verified(sync.json())["header"]["status"] == "rjct"
    # a lone surrogate: JSON text Python reads, but no UTF-8 the digest can be taken over
    signed = json.dumps(dci.envelope(dci.dinsos, "search", _search(_by_id("NIK", "LONE"))))
    lone = signed.replace('"LONE"', '"\\ud800"')
    assert json.loads(lone) != json.loads(signed)
    r = httpx.post(
        dci.city.base + "/registry/search",
        content=lone,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert r.status_code == 400, r.text
    assert r.json()["message"]["error"]["code"] == "err.request.bad"


def test_numbers_beyond_what_the_graph_takes_are_rejected_per_item(dci: Dci) -> None:
    """A page number or decile past 64 bits is the request's fault (rjct per item),
    not an outage: the sync answer is not a 500, and an async search is not retried."""
    huge = 10**20
    message = _search(_where(("decile", "eq", huge)), _where(("decile", "le", 3)))
    message["search_request"][1]["search_criteria"]["pagination"]["page_number"] = huge
    r = dci.post(
        "/registry/sync/search", dci.envelope(dci.dinsos, "search", message), dci.token(dci.dinsos)
    )
    assert r.status_code == 200, r.text
    items = dci.verified(r.json())["message"]["search_response"]
    assert [(i["status"], i["status_reason_code"]) for i in items] == [
        ("rjct", "rjct.filter.invalid"),
        ("rjct", "rjct.pagination.invalid"),
    ]
