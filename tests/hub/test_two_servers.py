"""Two hub servers on two homes sharing one PostgreSQL (`HUB_DATABASE_URL`).

What `hub serve` on two hosts must share, with the key files they must hold
alike (`HUB_AUDIT_KEY_FILE`, `HUB_DESK_NIK_KEY_FILE`, `HUB_DCI_SIGNING_KEY_FILE`):
a key made through one home authenticates on the other, a revocation through
one is refused by the other at once, the rate limit is one bucket for both, the audit chain
stays one verifiable chain under writes to both, and a record submitted to one
is in the other's feed and is what the other's real-time linker links the same
person to. One small city is linked once through home A; home B gets a copy of
its published generation and model (what a second host would be given).
"""

from __future__ import annotations

import secrets
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hubcli import hub, hub_env, served

from hub.security import KeyStore, SecurityDB
from hub.settings import load_settings
from simulator import generate_city
from store.postgres import PgStore

pytestmark = [pytest.mark.graph, pytest.mark.slow]

BURST = 6
PURPOSE = "two servers test"
SUBMIT = (
    """mutation($r: RecordInput!) { submitRecord(record: $r) { recordKey personId newPerson } }"""
)
FEED = """query($after: String) { feed(after: $after, first: 100) {
  events { kind subject personIds } endCursor } }"""
#: somebody the city does not hold, submitted twice under two record ids
NEWCOMER = {
    "fullName": "Zulkarnaen Wiratmadja Sukmawati",
    "nik": "3273011204500007",
    "birthDate": "1950-04-12",
    "sex": "L",
    "kelurahan": "Sukaluyu",
    "rt": "003",
    "rw": "007",
    "address": "Jl. Cikutra Barat No. 17",
}


@dataclass
class Pair:
    envs: list[dict[str, str]]
    bases: list[str]


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("two-servers")
    schema = f"t_{uuid.uuid4().hex[:20]}"
    url = database_url
    shared = root / "shared-keys"
    shared.mkdir()
    for name in ("audit-key", "desk-nik-key"):
        (shared / name).write_text(secrets.token_hex(32))
        (shared / name).chmod(0o600)
    # the DCI signing key: an ed25519 key, as `openssl genpkey -algorithm ed25519` makes
    (shared / "dci-signing-key").write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (shared / "dci-signing-key").chmod(0o600)
    # a tiny rate limit (one bucket per key: each other call below has its own key)
    (root / "hub.toml").write_text(f"rate_limit = 0.001\nrate_burst = {BURST}\n")
    envs = [
        {
            **hub_env(root / f"home-{side}"),
            "HUB_CONFIG": str(root / "hub.toml"),
            "HUB_DATABASE_URL": url,
            "HUB_DATABASE_SCHEMA": schema,
            "HUB_AUDIT_KEY_FILE": str(shared / "audit-key"),
            "HUB_DESK_NIK_KEY_FILE": str(shared / "desk-nik-key"),
            "HUB_DCI_SIGNING_KEY_FILE": str(shared / "dci-signing-key"),
        }
        for side in "ab"
    ]
    city = root / "city"
    generate_city(households=60, seed=17, out=city, foundations=2)
    hub(envs[0], "ingest", "--config", str(city / "config"))
    hub(envs[0], "link", "--train")
    for folder in ("published", "models"):  # what host B is given of host A's pipeline
        shutil.copytree(root / "home-a" / folder, root / "home-b" / folder)
    try:
        with served(envs[0]) as one, served(envs[1]) as two:
            yield Pair(envs, [one, two])
    finally:
        store = PgStore(url, schema, max_size=1)
        store.drop_schema()
        store.close()


def _made(env: dict[str, str]) -> tuple[str, str]:
    """A new dinsos_admin key made through this home's settings: its id and the key."""
    db = SecurityDB.from_settings(load_settings(env))
    try:
        record, key = KeyStore(db).create("ORG-DINSOS", "dinsos_admin")
    finally:
        db.close()
    return record.key_id, key


def _key(env: dict[str, str]) -> str:
    return _made(env)[1]


def _post(base: str, key: str, query: str, **variables: Any) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        timeout=60,
        headers={"X-API-Key": key, "X-Purpose": PURPOSE},
    )


def _data(answer: httpx.Response) -> dict[str, Any]:
    body = answer.json()
    assert answer.status_code == 200 and not body.get("errors"), answer.text
    found: dict[str, Any] = body["data"]
    return found


def test_a_key_made_on_one_home_works_on_both_and_a_revocation_reaches_the_other(
    pair: Pair,
) -> None:
    key_id, key = _made(pair.envs[0])
    for base in pair.bases:
        assert _post(base, key, "{ __typename }").status_code == 200
    hub(pair.envs[1], "keys", "revoke", key_id)  # through the other home
    # at once: each request reads the shared key table (no cache to outlive),
    # so the first request after the revocation is refused, however slow
    assert _post(pair.bases[0], key, "{ __typename }").status_code == 401
    assert _post(pair.bases[1], key, "{ __typename }").status_code == 401


def test_the_rate_limit_is_one_bucket_for_both_servers(pair: Pair) -> None:
    key = _key(pair.envs[1])
    codes = [_post(pair.bases[i % 2], key, "{ __typename }").status_code for i in range(2 * BURST)]
    assert codes.count(200) == BURST
    assert codes.count(429) == BURST


def test_a_submission_on_one_server_is_in_the_others_feed_and_linked_to_by_it(
    pair: Pair,
) -> None:
    key_a, key_b = _key(pair.envs[0]), _key(pair.envs[1])
    head = _data(_post(pair.bases[1], key_b, FEED))["feed"]["endCursor"]
    first = _data(_post(pair.bases[0], key_a, SUBMIT, r={"sourceRecordId": "two-1", **NEWCOMER}))
    made = first["submitRecord"]
    assert made["newPerson"] is True
    events = _data(_post(pair.bases[1], key_b, FEED, after=head))["feed"]["events"]
    assert [(e["kind"], e["subject"]) for e in events] == [
        ("submission.received", made["recordKey"])
    ]
    # server B's linker takes in what A's handed out before it links the same person again
    again = _data(_post(pair.bases[1], key_b, SUBMIT, r={"sourceRecordId": "two-2", **NEWCOMER}))
    assert again["submitRecord"]["personId"] == made["personId"]
    assert again["submitRecord"]["newPerson"] is False


def test_the_audit_chain_verifies_after_writes_to_both(pair: Pair) -> None:
    keys = [_key(pair.envs[i % 2]) for i in range(4)]

    def reads(i: int) -> list[int]:
        return [_post(pair.bases[i % 2], keys[i], FEED).status_code for _ in range(BURST - 1)]

    with ThreadPoolExecutor(4) as pool:
        codes = [c for batch in pool.map(reads, range(4)) for c in batch]
    assert codes == [200] * len(codes)
    hub(pair.envs[1], "audit", "verify")  # exit 0: one chain, whichever server wrote
