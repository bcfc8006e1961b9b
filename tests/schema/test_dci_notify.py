"""DCI subscribe and notify on the shared generated city, through the served app:
a foundation's system subscribes (signed, with a staff JWT of its organization),
`hub load` changes the deciles of a household it may see and of one it may not,
and a signed `/registry/notify` reaches its receiver naming only the first; every
request we send and every answer and callback we get is validated against the
specification's own schemas (hub.dci.schemas), and the hub's signatures are
checked with its public key. Refusals: a bad signature, an unknown sender."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcireceiver import receiving
from generated_city import GeneratedCity, busiest_foundation, serve
from jwtissuer import ISSUER, Issuer
from starlette.routing import Route
from waiting import BUDGET_S

from connectors import ingest, load_configs
from hub import pipeline
from hub.dci.criteria import row_matches
from hub.dci.envelope import (
    SIGNING_KEY_FILE,
    key_id_of,
    load_or_create_signing_key,
    public_key_text,
    sign_envelope,
    verify_envelope,
)
from hub.dci.schemas import schemas_at
from hub.dci.senders import SenderRegistry
from hub.dci.subscribe import (
    DECILE_CHANGED,
    EVENT_TYPES,
    MEMBER_LEFT,
    NEW_MEMBER,
    RECORD_TYPE,
    REGISTER,
    NotifyPump,
    SubscribeRefusal,
    Subscriptions,
    area_filter,
    events_of,
)
from hub.dci.subscribe_api import ON_SUBSCRIBE, ON_UNSUBSCRIBE, SUBSCRIBE, UNSUBSCRIBE
from hub.security import SecurityDB
from hub.settings import Settings
from journal import Fact, Journal, NewFact, kinds

pytestmark = [pytest.mark.anyio, pytest.mark.graph]

NOTIFY = "/registry/notify"
SENDER = "partner-foundation"
PURPOSE = {"code": "social_assistance", "text": "follow our beneficiaries"}
DECILE_FILE = """id = "dci-notify-desil"
kind = "csv"
content = "deciles"
location = "desil.csv"
organization = "ORG-BPS-DTSEN"
organization_type = "agency"
[columns]
NIK = "nik"
DESIL = "welfare_decile"
PERIODE = "dtsen_period"
"""


class Arrivals:
    """What the partner's receiver (tests/dcireceiver.py) got, by path."""

    def __init__(self, receiver: Arrivals) -> None:
        self.receiver = receiver
        self.got: list[tuple[str, dict[str, Any]]] = []

    def wait(self, path: str, count: int = 1, timeout_s: float = BUDGET_S) -> list[dict[str, Any]]:
        """The bodies POSTed to `.../path`, once there are `count` of them (what
        came, if fewer come within the bound: the pump's rounds, 1 s apart, and a
        retry's pause take seconds on a loaded machine)."""
        end = time.monotonic() + timeout_s
        while True:
            bodies = [b for p, b in self.got if p.endswith(path)]
            left = end - time.monotonic()
            if len(bodies) >= count or left <= 0:
                return bodies
            with contextlib.suppress(queue.Empty):
                self.got.append(self.receiver.next(timeout=left))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Arrivals]:
    with receiving() as served:
        yield Arrivals(served)


@pytest.fixture(scope="module")
def partner(
    city: GeneratedCity, receiver: Arrivals, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Settings, Issuer, Ed25519PrivateKey, str]:
    """The city's settings, in a copy of its home (the notify test ingests and
    loads a decile file: the shared staging and journal stay as the sources made
    them), trusting a staff JWT issuer; a foundation's system registered as a DCI
    sender with its key and the receiver as callback base."""
    issuer = Issuer(tmp_path_factory.mktemp("dci-jwks") / "jwks.json")
    with city.staging() as con:
        organization = busiest_foundation(con)
        con.execute("CHECKPOINT")
    home = tmp_path_factory.mktemp("dci-notify") / "home"
    shutil.copytree(city.settings.home, home)
    settings = replace(city.settings, home=home, jwt_issuer=ISSUER, jwt_jwks_file=issuer.jwks_file)
    key = Ed25519PrivateKey.generate()
    db = SecurityDB.from_settings(settings)
    try:
        SenderRegistry(db).add(
            SENDER,
            public_key_text(key.public_key()),
            organization,
            "foundation",
            receiver.receiver.base,
        )
    finally:
        db.close()
    return settings, issuer, key, organization


def envelope(
    action: str, message: dict[str, Any], key: Ed25519PrivateKey, sender_id: str = SENDER
) -> dict[str, Any]:
    header = {
        "version": "1.0.0",
        "message_id": uuid.uuid4().hex,
        "message_ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "action": action,
        "sender_id": sender_id,
        "receiver_id": "satupintu",
        "total_count": 1,
        "is_msg_encrypted": False,
    }
    signed = sign_envelope(
        {"header": header, "message": message}, key, sender_id, key_id_of(key.public_key())
    )
    assert schemas_at().validate_request(f"/registry/{action}", signed) == []
    return signed


def subscribe_message(*events: str) -> dict[str, Any]:
    return {
        "transaction_id": "txn-" + uuid.uuid4().hex[:8],
        "subscribe_request": [
            {
                "reference_id": f"ref-{n}",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "subscribe_criteria": {
                    "version": "1.0.0",
                    "reg_type": "ns:org:RegistryType:Social",
                    "reg_event_type": event,
                    "filter_type": "predicate",
                    "filter": [],
                    "notify_record_type": RECORD_TYPE,
                    "authorize": {"purpose": PURPOSE},
                },
            }
            for n, event in enumerate(events, start=1)
        ],
    }


def _predicate(name: str, operator: str, value: object) -> dict[str, Any]:
    return {"expression1": {"attribute_name": name, "operator": operator, "attribute_value": value}}


def hub_key(settings: Settings) -> Any:
    return load_or_create_signing_key(settings.keys_dir / SIGNING_KEY_FILE).public_key()


def checked_callback(settings: Settings, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A callback the hub sent: valid against the spec, signed with the hub's key."""
    assert schemas_at().validate_request(path, body) == [], path
    public = hub_key(settings)
    verify_envelope(body, lambda sender, kid: public)
    message: dict[str, Any] = body["message"]
    return message


def households(
    city: GeneratedCity, organization: str
) -> tuple[tuple[str, str, int], tuple[str, str, int]]:
    """(household, a member's valid NIK, its decile) for one household the
    foundation's own files name (open to it) and one nothing ties to it."""
    decided = "h.welfare_decile IS NOT NULL AND coalesce(h.status, 'active') = 'active'"
    seen = city.cypher(
        f"MATCH (h:Household) WHERE {decided} AND EXISTS {{ (h)<-[:MEMBER_OF]-(:Person)"
        "<-[:IDENTIFIES]-(sr:SourceRecord)-[:SUBMITTED_BY]->(:Organization {id: $org})"
        " WHERE NOT coalesce(sr.via_api, false) }"
        " RETURN h.household_id AS h, h.welfare_decile AS d ORDER BY h",
        org=organization,
    )
    hidden = city.cypher(
        f"MATCH (h:Household) WHERE {decided}"
        " AND NOT EXISTS { (:Organization {id: $org})-[:SERVES]->(h) }"
        " AND NOT EXISTS { (h)<-[:CONCERNS]-(:Referral)-[:TO]->(:Organization {id: $org}) }"
        " AND NOT EXISTS { (h)<-[:MEMBER_OF]-(:Person)<-[:IDENTIFIES]-(:SourceRecord)"
        "-[:SUBMITTED_BY]->(:Organization {id: $org}) }"
        " RETURN h.household_id AS h, h.welfare_decile AS d ORDER BY h",
        org=organization,
    )
    picked = []
    with city.staging() as con:
        for rows in (seen, hidden):
            for row in rows:
                [(nik,)] = con.execute(
                    """SELECT min(r.nik_clean) FROM linkage_records r
                       JOIN identity_map i USING (record_key)
                       WHERE i.household_id = $h AND r.nik_valid AND NOT r.nik_is_kk""",
                    {"h": row["h"]},
                ).fetchall()
                if nik is not None:
                    picked.append((str(row["h"]), str(nik), int(row["d"])))
                    break
    assert len(picked) == 2, "the city has no open and closed household with a NIK"
    return picked[0], picked[1]


def notified(bodies: list[dict[str, Any]], settings: Settings, event: str) -> list[dict[str, Any]]:
    """The records of every notify of `event` so far."""
    out = []
    for body in bodies:
        for item in checked_callback(settings, NOTIFY, body)["notify_event"]:
            record = item["data"]["reg_records"]
            if record["reg_event_type"] == event:
                out.append(record)
    return out


async def test_a_load_that_changes_a_household_is_notified_to_a_subscriber_who_may_see_it(
    city: GeneratedCity,
    partner: tuple[Settings, Issuer, Ed25519PrivateKey, str],
    receiver: Arrivals,
    tmp_path: Path,
) -> None:
    settings, issuer, key, organization = partner
    (seen, seen_nik, seen_decile), (hidden, hidden_nik, hidden_decile) = households(
        city, organization
    )
    schemas = schemas_at()
    token = issuer.token(org=organization, role="foundation", sub="sys:partner")
    bearer = {"Authorization": f"Bearer {token}"}
    [place] = city.cypher(
        "MATCH (h:Household {household_id: $h}) RETURN h.kelurahan_code AS k, h.rt AS rt", h=seen
    )
    moved = seen_decile % 10 + 1
    # besides: the decile change filtered as a search reads a filter (hub.dci.criteria),
    # once met by the household after the load, once not; and a PPKS it may not search by
    events = (DECILE_CHANGED, REGISTER, "LiveBirth", DECILE_CHANGED, DECILE_CHANGED, DECILE_CHANGED)
    message = subscribe_message(*events)
    met = [_predicate("kelurahan_code", "eq", place["k"]), _predicate("decile", "le", moved)]
    if place["rt"] is not None:
        met.append(_predicate("rt", "in", f"{place['rt']},999"))
    filters = (
        met,
        [_predicate("decile", "eq", moved % 10 + 1)],
        [_predicate("ppks", "eq", "NOPE")],
    )
    for item, query in zip(message["subscribe_request"][3:], filters, strict=True):
        item["subscribe_criteria"]["filter"] = query
    async with serve(replace(city, settings=settings), {}) as hub:
        response = await hub.client.post(
            SUBSCRIBE, json=envelope("subscribe", message, key), headers=bearer
        )
        assert response.status_code == 200, response.text
        assert schemas.validate_response(SUBSCRIBE, response.json(), 200) == []
        assert response.json()["message"]["ack_status"] == "ACK"
        [on_subscribe] = await asyncio.to_thread(receiver.wait, ON_SUBSCRIBE)
        answer = checked_callback(settings, ON_SUBSCRIBE, on_subscribe)
        assert answer["correlation_id"] == response.json()["message"]["correlation_id"]
        items = {i["reference_id"]: i for i in answer["subscribe_response"]}
        assert [items[r]["status"] for r in ("ref-1", "ref-2", "ref-3")] == ["succ", "succ", "rjct"]
        assert items["ref-3"]["status_reason_code"] == "rjct.notify_types.invalid"
        codes = {items[r]["subscriptions"][0]["code"] for r in ("ref-1", "ref-2")}
        assert [items[r]["status"] for r in ("ref-4", "ref-5", "ref-6")] == ["succ", "succ", "rjct"]
        filtered, unmet = (items[r]["subscriptions"][0]["code"] for r in ("ref-4", "ref-5"))
        assert items["ref-6"]["status_reason_code"] == "rjct.notify_details.invalid"
        assert items["ref-6"]["status_reason_message"].startswith("rjct.search_criteria.invalid")

        # the next DTSEN file moves both households' deciles; hub load tells of it
        (tmp_path / "desil.csv").write_text(
            f"NIK,DESIL,PERIODE\n{seen_nik},{seen_decile % 10 + 1},2026-12\n"
            f"{hidden_nik},{hidden_decile % 10 + 1},2026-12\n"
        )
        (tmp_path / "desil.toml").write_text(DECILE_FILE)
        con = pipeline.open_db(settings)
        try:
            ingest(con, load_configs(tmp_path / "desil.toml"))
            pipeline.load_graph(settings, con)
        finally:
            con.close()
        changes = notified(
            await asyncio.to_thread(receiver.wait, NOTIFY, 2), settings, DECILE_CHANGED
        )
        assert len(changes) == 2, "no notify of the decile change arrived"
        assert {r["group_identifier"][0]["identifier_value"] for r in changes} == {seen}
        assert all(
            r["change"] == {"household_id": seen, "from": seen_decile, "to": moved} for r in changes
        )
        # the unfiltered subscription and the one whose filter the household meets
        everything = items["ref-1"]["subscriptions"][0]["code"]
        assert {r["subscription_code"] for r in changes} == {everything, filtered}

        # new households (planted in the journal as hub load appends them); the
        # partner's server fails the first post: it is retried, nothing skipped
        posts = receiver.receiver.calls
        receiver.receiver.fail_first = posts + 1
        journal = Journal.at_home(settings.home)
        try:
            # the load did tell of the closed household's change: it was held back
            told = journal.read(0, 100, kinds=[kinds.DECILE_CHANGED], household_ids=[hidden])
            assert [f.payload["to"] for f in told] == [hidden_decile % 10 + 1]
            journal.append(
                [
                    NewFact(
                        kinds.HOUSEHOLD_REGISTERED,
                        {"household_id": h, "members": 1},
                        household_ids=(h,),
                        subject=h,
                        key=f"dci-test:{h}:{uuid.uuid4().hex}",
                    )
                    for h in (hidden, seen)
                ]
            )
        finally:
            journal.close()
        bodies = await asyncio.to_thread(receiver.wait, NOTIFY, 3)
        registered = notified(bodies, settings, REGISTER)
        assert [r["group_identifier"][0]["identifier_value"] for r in registered] == [seen]
        assert all(hidden not in json.dumps(b) for b in bodies)
        assert receiver.receiver.calls == posts + 2  # the failed post, then the retry
        assert unmet not in json.dumps(bodies)  # its household is not at that decile

        # each post is in the audit log first, as a read by the sender, with its purpose
        audit = sqlite3.connect(settings.home / "security.sqlite")
        try:
            rows = audit.execute(
                "SELECT organization, household_ids, purpose FROM audit_log"
                " WHERE operation = 'read:dci.notify' AND subject = 'sys:partner'"
            ).fetchall()
        finally:
            audit.close()
        assert len(rows) == 4  # two decile batches; the new household's, posted twice
        assert all(org == organization and json.loads(ids) == [seen] for org, ids, _ in rows)
        assert all("social_assistance" in str(purpose) for _, _, purpose in rows)

        # unsubscribing ends them
        unsubscribe = {
            "transaction_id": "txn-end",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "subscription_codes": sorted(codes | {filtered, unmet}),
            "sunscription_codes": sorted(codes | {filtered, unmet}),
        }
        response = await hub.client.post(
            UNSUBSCRIBE, json=envelope("unsubscribe", unsubscribe, key), headers=bearer
        )
        assert (
            response.status_code == 200
            and schemas.validate_response(UNSUBSCRIBE, response.json(), 200) == []
        )
        [ended] = await asyncio.to_thread(receiver.wait, ON_UNSUBSCRIBE)
        message = checked_callback(settings, ON_UNSUBSCRIBE, ended)
        assert message["status"] == "succ"
        assert {s["code"] for s in message["subscription_status"]} == codes | {filtered, unmet}
    db = SecurityDB.from_settings(settings)
    try:
        assert not any(s.active for s in Subscriptions(db).of_sender(SENDER))
    finally:
        db.close()


async def test_a_bad_signature_and_an_unknown_sender_are_refused(
    city: GeneratedCity,
    partner: tuple[Settings, Issuer, Ed25519PrivateKey, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refused, and each refusal logged on `hub.dci` (path, claimed sender,
    code, client address), never with the message or its purpose."""
    settings, issuer, key, organization = partner
    schemas = schemas_at()
    bearer = {"Authorization": f"Bearer {issuer.token(org=organization, role='foundation')}"}
    db = SecurityDB.from_settings(settings)
    before = len(Subscriptions(db).of_sender(SENDER))
    async with serve(replace(city, settings=settings), {}) as hub:
        tampered = envelope("subscribe", subscribe_message(REGISTER), key)
        tampered["message"]["transaction_id"] = "txn-forged"
        stranger = Ed25519PrivateKey.generate()
        unknown = envelope("subscribe", subscribe_message(REGISTER), stranger, "stranger")
        for body, code in ((tampered, "err.signature.invalid"), (unknown, "err.sender_id.invalid")):
            response = await hub.client.post(SUBSCRIBE, json=body, headers=bearer)
            assert response.status_code == 401, response.text
            assert schemas.validate_response(SUBSCRIBE, response.json(), 401) == []
            assert [e["code"] for e in response.json()["errors"]] == [code]
    logged = [r for r in caplog.records if r.name == "hub.dci" and "refused" in r.getMessage()]
    assert [r.levelname for r in logged] == ["WARNING", "WARNING"]
    claimed = ((SENDER, "err.signature.invalid"), ("stranger", "err.sender_id.invalid"))
    assert [r.getMessage() for r in logged] == [
        f"DCI request refused: path={SUBSCRIBE} sender_id={sender!r} code={code} client=127.0.0.1"
        for sender, code in claimed
    ]
    assert "txn-forged" not in caplog.text and PURPOSE["text"] not in caplog.text
    try:
        assert len(Subscriptions(db).of_sender(SENDER)) == before  # nothing was subscribed
    finally:
        db.close()


async def test_a_pump_whose_lease_ran_out_does_not_post_what_another_server_took(
    city: GeneratedCity,
    partner: tuple[Settings, Issuer, Ed25519PrivateKey, str],
    receiver: Arrivals,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Pump A claims two subscriptions and is slow past its lease on the first
    (here: its filter's graph read); pump B, another server (its own connections
    to the store), claims both then and delivers them. A learns before posting
    that the first was taken over: no post, no audit, nothing written, said on
    `hub.dci`; it leaves the second, its lease gone, untouched. The partner
    gets each batch once, from B."""
    settings, _, _, organization = partner
    (seen, _, _), _ = households(city, organization)
    [place] = city.cypher(
        "MATCH (h:Household {household_id: $h}) RETURN h.kelurahan_code AS k", h=seen
    )
    purpose = "social_assistance: lease test"
    caplog.set_level(logging.INFO, "hub.dci")
    async with serve(replace(city, settings=settings), {}) as hub:
        [api] = {
            r.endpoint.__self__
            for r in hub.app.routes
            if isinstance(r, Route) and r.path == SUBSCRIBE  # the app's SubscribeApi
        }
        await api.dci.stop()  # the app's own pump rests: the test runs A and B
        theirs = NotifyPump(api.subscriptions, api.dci)
        lapsed: list[str] = []

        class SlowPump(NotifyPump):
            @staticmethod
            async def _in_filter(context: Any, area: Any, facts: Any) -> list[Fact]:
                if not lapsed:
                    await asyncio.sleep(0.05)  # A's lease of 10 ms runs out
                    lapsed.append("once")
                    assert await theirs.round() == 2  # B takes and delivers both
                return await NotifyPump._in_filter(context, area, facts)

        journal = Journal.at_home(settings.home)
        mine = SecurityDB.from_settings(settings)
        try:
            codes = [
                api.subscriptions.add(
                    SENDER, "sys:partner", "txn-lease", f"ref-{n}", REGISTER,
                    {"kelurahan_code": [place["k"], f"none-{n}"]},
                    RECORD_TYPE, purpose, journal.head(),
                ).code
                for n in (1, 2)
            ]  # fmt: skip
            journal.append(
                [
                    NewFact(
                        kinds.HOUSEHOLD_REGISTERED,
                        {"household_id": seen, "members": 1},
                        household_ids=(seen,),
                        subject=seen,
                        key=f"dci-lease-test:{uuid.uuid4().hex}",
                    )
                ]
            )
            while not receiver.receiver.got.empty():  # what earlier tests left
                receiver.got.append(receiver.receiver.next(timeout=1))
            before = len(receiver.got)
            pump = SlowPump(Subscriptions(mine), api.dci, lease_s=0.01)
            assert await pump.round() == 0  # A sent nothing
            while not receiver.receiver.got.empty():
                receiver.got.append(receiver.receiver.next(timeout=1))
            posted = [
                item["data"]["reg_records"]["subscription_code"]
                for path, body in receiver.got[before:]
                if path.endswith(NOTIFY)
                for item in checked_callback(settings, NOTIFY, body)["notify_event"]
            ]
            assert sorted(posted) == sorted(codes)  # each once, by B
            first, second = sorted(codes)
            for code in codes:
                row = api.subscriptions.get(code)
                assert row is not None and (row.delivered, row.attempts) == (1, 0)
                assert row.lease_token == 2 and row.cursor == journal.head()
            assert (
                f"DCI subscription {first}: the lease's renewal (and so the post) not written,"
                " the worker's lease 1 was taken over (now 2)" in caplog.text
            )
            assert second not in caplog.text  # not even read by A: its lease was gone
            assert "the lease ran out before 1 subscriptions' turn" in caplog.text
        finally:
            mine.close()
            journal.close()
    audit = sqlite3.connect(settings.home / "security.sqlite")
    try:
        [(audited,)] = audit.execute(
            "SELECT count(*) FROM audit_log WHERE operation = 'read:dci.notify'"
            " AND purpose LIKE '%lease test%'"
        ).fetchall()
    finally:
        audit.close()
    assert audited == 2  # B's two posts; A audited nothing it did not send


def _fact(kind: str, payload: dict[str, Any]) -> Fact:
    return Fact(1, None, kind, "pipeline", payload, ("H1",), (), "H1", None, None)  # type: ignore[arg-type]


def test_journal_facts_map_to_dci_event_types() -> None:
    assert events_of(_fact(kinds.HOUSEHOLD_REGISTERED, {})) == (REGISTER,)
    assert events_of(_fact(kinds.DECILE_CHANGED, {"from": 3, "to": 4})) == (DECILE_CHANGED,)
    both = _fact(kinds.HOUSEHOLD_MEMBERS_CHANGED, {"joined": ["P1"], "left": ["P2"]})
    assert events_of(both) == (NEW_MEMBER, MEMBER_LEFT)
    assert events_of(_fact(kinds.HOUSEHOLD_MERGED, {})) == ()
    assert set(EVENT_TYPES) == {REGISTER, NEW_MEMBER, MEMBER_LEFT, DECILE_CHANGED}


def test_an_area_filter_keeps_its_area_and_refuses_what_it_cannot_read() -> None:
    area = area_filter(
        "predicate",
        [
            {
                "seq_num": 1,
                "expression1": {
                    "attribute_name": "kecamatan_code",
                    "operator": "in",
                    "attribute_value": "3273010,3273020",
                },
                "condition": "and",
                "expression2": {
                    "attribute_name": "kelurahan_code",
                    "operator": "eq",
                    "attribute_value": "3273010001",
                },
            }
        ],
    )
    assert area == {"kecamatan_code": ["3273010", "3273020"], "kelurahan_code": ["3273010001"]}
    assert row_matches(area, {"kecamatan_code": "3273010", "kelurahan_code": "3273010001"})
    assert not row_matches(area, {"kecamatan_code": "3273010", "kelurahan_code": "3273010002"})
    assert not row_matches(area, None) and row_matches({}, None)
    for filter_type, query in (
        ("idtype-value", {"type": "KK", "value": "1"}),
        (
            "predicate",
            [{"expression1": {"attribute_name": "decile", "operator": "gt", "attribute_value": 3}}],
        ),
        (
            "predicate",
            [
                {
                    "expression1": {
                        "attribute_name": "kelurahan_code",
                        "operator": "eq",
                        "attribute_value": "1",
                    },
                    "condition": "or",
                }
            ],
        ),
    ):
        with pytest.raises(SubscribeRefusal) as refused:
            area_filter(filter_type, query)
        assert refused.value.code == "rjct.notify_details.invalid"
