"""The whole schema, walked as each of the six roles, on the generated city served
by the hub's own app (API keys, purpose header, the real websocket route).

The city's records and match evidence carry real NIK, KK and phone values, and
ORG-DINKES's records special-category (health) PPKS; an assessment with a
special-category problem and referrals to the agency and the foundation are
added first. For each role the walk reads the schema by introspection and asks
every root query field for every field reachable from it (schemawalk.py), every
page, then subscribes to every subscription and triggers an event. Every
answer (data and errors) is scanned for the city's full NIK, KK and phone
numbers and for special-category problems: only the Dinsos roles may get them.
Nothing here names a field, so a new field is walked, and checked, at once.

The two attacks that found issue 14's first holes follow the walk.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pytest
from asgi_ws import graphql_ws
from generated_city import AGENCY, GeneratedCity, Hub, busiest_foundation, serve
from schemawalk import (
    INTROSPECTION,
    TOKEN_BUDGET,
    Field,
    Harvest,
    SchemaMap,
    page_info,
    render,
    render_args,
    split,
)

from hub.security import SecurityDB
from journal import Journal, NewFact, kinds

pytestmark = [pytest.mark.anyio, pytest.mark.graph, pytest.mark.slow]

ORGANIZATIONS = {
    "dinsos_admin": "ORG-DINSOS",
    "social_worker": "ORG-DINSOS",
    "agency": AGENCY,
    "analyst": "ORG-BAPPEDA",
    "auditor": "ORG-INSPEKTORAT",
}
ROLES = ("dinsos_admin", "social_worker", "agency", "foundation", "analyst", "auditor")
# --- the specification (README, Protection), not schema.permissions -------------------
SEES_IDENTIFIERS = frozenset({"dinsos_admin", "social_worker"})
SEES_SPECIAL = frozenset({"dinsos_admin", "social_worker"})
SCOPED = frozenset({"agency", "foundation"})
#: The problems each program addresses: a catalogue about no one, which must be the
#: same for every caller (asserted below), so its PPKS codes are not a person's.
CATALOGUE = frozenset({("Program", "ppks")})

PURPOSE = "protection walk"
MAX_PAGES = 500
SPECIAL_PLAN = "walk: rehabilitation for a special-category need"
#: Runs of digits, single spaces, dots or dashes between them allowed.
DIGIT_RUN = re.compile(r"\d(?:[ .-]?\d)*")
PPKS_CODE = re.compile(r"PPKS\d\d")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def organizations(staging: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {**ORGANIZATIONS, "foundation": busiest_foundation(staging)}


# --- what must not leak ---------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    niks_kks: frozenset[str]
    phones: frozenset[str]
    """Phone numbers without their trunk prefix (0 or 62): `81234567890`."""
    special_codes: frozenset[str]
    special_words: frozenset[str]
    """Names of special-category problems, and the planted assessment's plan."""

    def identifiers_in(self, text: str) -> set[str]:
        wanted = self.niks_kks | self.phones
        sizes = {len(v) for v in wanted}
        found = set()
        for run in set(DIGIT_RUN.findall(text)):
            digits = re.sub(r"\D", "", run)
            for size in sizes:
                found |= {digits[i : i + size] for i in range(len(digits) - size + 1)} & wanted
        return found

    def special_in(self, text: str) -> set[str]:
        codes = set(PPKS_CODE.findall(text)) & self.special_codes
        return codes | {w for w in self.special_words if w in text}


def _digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def _phone_core(digits: str) -> str:
    for prefix in ("62", "0"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


@pytest.fixture(scope="module")
def secrets(staging: duckdb.DuckDBPyConnection, city: GeneratedCity) -> Secrets:
    ids: set[str] = set()
    phones: set[str] = set()
    for nik, kk, phone in staging.execute(
        "SELECT nik_clean, kk_clean, phone_clean FROM linkage_records UNION ALL "
        "SELECT nik, no_kk, phone FROM current_records"
    ).fetchall():
        ids |= {d for d in (_digits(nik), _digits(kk)) if len(d) == 16}
        if len(_digits(phone)) >= 9:
            phones.add(_phone_core(_digits(phone)))
    for row in city.cypher(
        "MATCH (p:Person) RETURN p.nik AS a, p.no_kk AS b, p.phone AS c "
        "UNION ALL MATCH (h:Household) RETURN h.no_kk AS a, null AS b, "
        "null AS c"
    ):
        ids |= {d for d in (_digits(row["a"]), _digits(row["b"])) if len(d) == 16}
        if len(_digits(row["c"])) >= 9:
            phones.add(_phone_core(_digits(row["c"])))
    special = staging.execute(
        "SELECT code, name, name_en FROM ref_ppks WHERE special_category"
    ).fetchall()
    assert ids and phones and special
    return Secrets(
        frozenset(ids),
        frozenset(phones),
        frozenset(s[0] for s in special),
        frozenset({SPECIAL_PLAN} | {w for s in special for w in s[1:] if w}),
    )


# --- the served city, with something special to hide ----------------------------------


@pytest.fixture(scope="module")
async def hub(
    city: GeneratedCity, staging: duckdb.DuckDBPyConnection, organizations: dict[str, str]
) -> AsyncIterator[Hub]:
    callers = {role: (organizations[role], role) for role in ROLES}
    async with serve(city, callers) as running:
        for role in SCOPED:  # a special-category assessment and a referral on their ground,
            hid = _household_of(staging, organizations[role])  # identifiers in free text
            nik, phone = staging.execute(
                """
                SELECT r.nik_clean, (SELECT min(phone_clean) FROM linkage_records)
                FROM linkage_records r JOIN identity_map i USING (record_key)
                WHERE i.household_id = $1 AND r.nik_clean IS NOT NULL LIMIT 1""",
                [hid],
            ).fetchall()[0]
            await running.data(
                "dinsos_admin",
                """mutation($a: AssessmentInput!) {
                recordAssessment(assessment: $a) { id } }""",
                purpose=f"{PURPOSE}, NIK {nik}",
                a={
                    "householdId": hid,
                    "assessedOn": "2026-11-02",
                    "ppks": ["PPKS16"],
                    "plan": SPECIAL_PLAN,
                },
            )
            await _refer(running, hid, organizations[role], f"NIK {nik}, call {phone}")
            await _change_requests(running, role, hid, f"NIK {nik}, call {phone}")
            await _front_desk(running, hid, f"NIK {nik}, call {phone}")
            # a change-feed fact whose payload carries identifiers, whole and in free text
            Journal.at_home(city.settings.home).append(
                [
                    NewFact(
                        kind=kinds.CHANGE_REQUEST_FILED,
                        household_ids=(hid,),
                        subject=hid,
                        organization=organizations["dinsos_admin"],
                        payload={"nik": nik, "phone": phone, "note": f"NIK {nik}, call {phone}"},
                    )
                ]
            )
            # a decile alert a load raised on it, resolved with identifiers in the note
            (seq,) = Journal.at_home(city.settings.home).append(
                [
                    NewFact(
                        kind=kinds.DECILE_ALERT_RAISED,
                        household_ids=(hid,),
                        subject=hid,
                        payload={
                            "household_id": hid,
                            "program": "PBI-JK",
                            "from": 5,
                            "to": 6,
                            "failed": ["desil"],
                            "explanation": "Keluarga berada di desil 6, di luar batas desil "
                            "1 sampai 5.",
                        },
                    )
                ]
            )
            await running.data(
                "social_worker",
                """mutation($id: ID!, $n: String!) {
                resolveDecileAlert(id: $id, outcome: STOP, note: $n) { id } }""",
                id=f"DA-{seq}",
                n=f"NIK {nik}, call {phone}",
            )
        await _cycle_and_budget(running)
        yield running


async def _cycle_and_budget(hub: Hub) -> None:
    """An approved program cycle (its roster of named households) and a budget set
    through the API, so their fields have something to hide."""
    opened = await hub.data(
        "social_worker",
        'mutation { openProgramCycle(program: "BPNT", name: "walk", periodStart: "2026-11-01", '
        'periodEnd: "2026-11-30") { id } }',
        purpose=PURPOSE,
    )
    await hub.data(
        "dinsos_admin",
        "mutation($id: ID!) { approveProgramCycle(id: $id) { id } }",
        purpose=PURPOSE,
        id=opened["openProgramCycle"]["id"],
    )
    await hub.data(
        "dinsos_admin",
        'mutation { setBudget(funder: "APBN", program: "BPNT", year: 2026, amount: 24000000, '
        'quotaHouseholds: 10, reason: "walk") { amount } }',
        purpose=PURPOSE,
    )


async def _change_requests(hub: Hub, role: str, household: str, text: str) -> None:
    """Two requests the organization files with identifiers in their reasons: one
    applied, one rejected with identifiers in the rejection too."""
    done = []
    for changes in ({"address": "Jl. Walk 1"}, None):
        filed = await hub.data(
            role,
            """mutation($c: ChangeRequestInput!) {
            fileChangeRequest(request: $c) { id } }""",
            c={
                "kind": "PERBAIKAN" if changes else "USULAN",
                "householdId": household,
                "reason": text,
                "changes": changes,
            },
        )
        rid = filed["fileChangeRequest"]["id"]
        await hub.data("social_worker", f'mutation {{ verifyChangeRequest(id: "{rid}") {{ id }} }}')
        done.append(rid)
    applied, rejected = done
    for step in ("approveChangeRequest", "applyChangeRequest"):
        await hub.data("dinsos_admin", f'mutation {{ {step}(id: "{applied}") {{ id }} }}')
    await hub.data(
        "dinsos_admin",
        """mutation($id: ID!, $r: String!) {
        rejectChangeRequest(id: $id, reason: $r) { id } }""",
        id=rejected,
        r=text,
    )


async def _front_desk(hub: Hub, household: str, text: str) -> None:
    """A request at the front desk (a special-category need, a contact, identifiers
    in its note) and a complaint with identifiers in its text, about the household."""
    await hub.data(
        "social_worker",
        """mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) { id } }""",
        r={
            "householdId": household,
            "needs": ["PPKS16", "food"],
            "contactPhone": "081234567890",
            "note": text,
        },
    )
    await hub.data(
        "social_worker",
        """mutation($g: GrievanceInput!) { fileGrievance(grievance: $g) { id } }""",
        g={"kind": "WRONG_DATA", "householdId": household, "text": text},
    )


def _household_of(staging: duckdb.DuckDBPyConnection, organization: str) -> str:
    """A household the organization submitted records about, one with a special-category
    problem if it has one."""
    return str(
        staging.execute(
            """
        SELECT i.household_id FROM current_records c JOIN identity_map i USING (record_key)
        WHERE c.organization = $1
        ORDER BY EXISTS (SELECT 1 FROM linkage_records r JOIN identity_map j USING (record_key)
                         JOIN ref_ppks p ON list_contains(r.ppks, p.code)
                         WHERE j.household_id = i.household_id AND p.special_category) DESC,
                 i.household_id LIMIT 1""",
            [organization],
        ).fetchall()[0][0]
    )


async def _refer(hub: Hub, household: str, organization: str, note: str = "walk") -> None:
    await hub.data(
        "dinsos_admin",
        """mutation($r: ReferralInput!) {
        createReferral(referral: $r) { id } }""",
        purpose=f"{PURPOSE}: {note}",
        r={"householdId": household, "toOrganization": organization, "note": note},
    )


@pytest.fixture(scope="module")
async def schema_map(hub: Hub) -> SchemaMap:
    return SchemaMap(await hub.data("dinsos_admin", INTROSPECTION, purpose=PURPOSE))


# --- the walk -----------------------------------------------------------------------------


@dataclass
class Walk:
    role: str
    harvest: Harvest = field(default_factory=Harvest)
    leaves: list[tuple[str, str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    """`Type.field` selected in a document answered without errors."""
    delivered: set[str] = field(default_factory=set)
    """Subscription fields that delivered an event."""

    def texts(self) -> Iterator[tuple[str, str, str]]:
        yield from self.leaves
        for error in self.errors:
            yield "error", "message", error


async def walk(hub: Hub, smap: SchemaMap, role: str, known: Walk | None, organization: str) -> Walk:
    done = Walk(role)
    reference = known.harvest if known else done.harvest
    for root in smap.roots(smap.query):
        for args in smap.arguments(root, done.harvest, reference):
            await _query(hub, smap, done, root, args)
    if smap.subscription:
        for root in smap.roots(smap.subscription):
            for args in smap.arguments(root, done.harvest, reference):
                await _subscribe(hub, smap, done, root, args, organization)
    return done


async def _query(hub: Hub, smap: SchemaMap, done: Walk, root: Field, args: dict[str, Any]) -> None:
    named = root.type.named
    paged = smap.is_connection(named) and {"first", "after"} <= {a.name for a in root.args}
    if smap.kinds[named] != "OBJECT":
        await _answer(hub, smap, done, f"query {{ {root.name}{_call(args)} }}", set())
        return
    tree = smap.selection(named)
    for part in split(tree, TOKEN_BUDGET):
        if smap.is_connection(named):
            part = {**part, "pageInfo": {"hasNextPage": None, "endCursor": None}}
        keys = smap.keys_of(named, part) | {root.key}
        after = None
        for _ in range(MAX_PAGES):
            page = {**args, "first": 100, "after": after} if paged else args
            doc = f"query {{ {root.name}{_call(page)} {render(part)} }}"
            data = await _answer(hub, smap, done, doc, keys)
            info = page_info((data or {}).get(root.name))
            if not (paged and info and info["hasNextPage"]):
                break
            after = info["endCursor"]
        else:
            raise AssertionError(f"{root.key} has more than {MAX_PAGES} pages: walk them all")


async def _answer(
    hub: Hub, smap: SchemaMap, done: Walk, doc: str, keys: set[str]
) -> dict[str, Any] | None:
    body = await hub.body(done.role, doc, purpose=PURPOSE)
    return _record(smap, smap.query, done, body, keys)


def _record(
    smap: SchemaMap, owner: str, done: Walk, body: dict[str, Any], keys: set[str]
) -> dict[str, Any] | None:
    data = body.get("data")
    errors = body.get("errors") or []
    done.errors += [json.dumps(e) for e in errors]
    if data:
        done.leaves += list(smap.leaves(owner, data))
        smap.harvest(owner, data, done.harvest, set())
    if not errors:
        done.answered |= keys
    return data if isinstance(data, dict) else None


def _call(args: dict[str, Any]) -> str:
    shown = {k: v for k, v in args.items() if v is not None}
    return f"({render_args(shown)})" if shown else ""


async def _subscribe(
    hub: Hub, smap: SchemaMap, done: Walk, root: Field, args: dict[str, Any], organization: str
) -> None:
    """Subscribe as the role, then have Dinsos refer a household (the one named, or
    one of the role's) to the organization (the one named, or the role's): that
    changes the household and is a referral to the organization."""
    households = done.harvest.of("Household", "id") or ["H-000000001"]
    # an id the walk harvested elsewhere (a consent, a link confirmation) is no household
    target = str(args["id"]) if args.get("id") in households else str(households[0])
    if "id" in args:
        args = {**args, "id": target}
    tree = smap.selection(root.type.named)
    doc = f"subscription {{ {root.name}{_call(args)} {render(tree)} }}"
    to = str(args.get("organization") or organization)
    init = {"apiKey": hub.keys[done.role], "X-Purpose": PURPOSE}
    async with graphql_ws(hub.app, init) as ws:
        await ws.send({"id": "1", "type": "subscribe", "payload": {"query": doc}})
        for attempt in range(10):  # the stream may not listen yet when the first trigger fires
            await _refer(hub, target, to)
            try:  # each look waits longer (1, 2, 4, then 8 s): a loaded machine is slow
                message = await ws.receive(timeout=min(2**attempt, 8))
            except TimeoutError:
                continue
            payload = message.get("payload")
            if message.get("type") == "next" and isinstance(payload, dict):
                if (
                    _record(
                        smap,
                        smap.subscription or "",
                        done,
                        payload,
                        smap.keys_of(root.type.named, tree) | {root.key},
                    )
                    is not None
                ):
                    done.delivered.add(root.key)
            else:
                done.errors.append(json.dumps(payload))
            return


@pytest.fixture(scope="module")
async def admin_walk(hub: Hub, schema_map: SchemaMap, organizations: dict[str, str]) -> Walk:
    return await walk(hub, schema_map, "dinsos_admin", None, organizations["dinsos_admin"])


@pytest.mark.parametrize("role", ROLES)
async def test_no_identifier_or_special_category_reaches_a_role_that_may_not_see_it(
    role: str,
    hub: Hub,
    schema_map: SchemaMap,
    admin_walk: Walk,
    secrets: Secrets,
    organizations: dict[str, str],
    staging: duckdb.DuckDBPyConnection,
) -> None:
    done = (
        admin_walk
        if role == "dinsos_admin"
        else await walk(hub, schema_map, role, admin_walk, organizations[role])
    )

    by_field: dict[tuple[str, str], list[str]] = {}
    for owner, name, text in done.texts():
        by_field.setdefault((owner, name), []).append(text)
    identifiers = {
        f"{o}.{n}": found
        for (o, n), texts in by_field.items()
        if (found := secrets.identifiers_in("\n".join(texts)))
    }
    special = {
        f"{o}.{n}": found
        for (o, n), texts in by_field.items()
        if (o, n) not in CATALOGUE and (found := secrets.special_in("\n".join(texts)))
    }

    if role in SEES_IDENTIFIERS:  # the walk reached whole identifiers, evidence among them
        assert secrets.identifiers_in(
            " ".join(t for o, _, t in done.leaves if o == "MatchEvidence")
        ), "evidence without values"
        assert {"Person.nik", "Person.noKk", "Household.noKk"} <= set(identifiers)
        assert secrets.phones & set().union(*identifiers.values()), "no phone reached"
    else:
        assert not identifiers, f"{role} got whole NIK/KK/phone numbers in {identifiers}"
    if role in SEES_SPECIAL:
        assert {"Problem.code", "Assessment.plan"} <= set(special), special
    else:
        assert not special, f"{role} got special-category problems in {special}"

    catalogue = {(o, n, t) for o, n, t in done.leaves if (o, n) in CATALOGUE}
    assert catalogue <= {(o, n, t) for o, n, t in admin_walk.leaves if (o, n) in CATALOGUE}

    masked = {(o, n) for o, n, t in done.leaves if "3273**********" in t}
    if role == "auditor":  # a purpose naming a NIK reached it, masked
        assert ("AuditEvent", "purpose") in masked
    if role in SCOPED:  # it walked its households, their evidence and special problems,
        assert {("MatchEvidence", "fields"), ("Referral", "note")} <= masked  # masked
        assert any(o == "MatchEvidence" and n == "fields" for o, n, _ in done.leaves)
        assert _household_of(staging, organizations[role]) in done.harvest.of("Household", "id")
        assert "Subscription.householdChanged" in done.delivered
        assert "Subscription.referralsForOrganization" in done.delivered
        assert "Subscription.feed" in done.delivered
        assert ("FeedEvent", "payload") in masked


async def test_the_walk_reaches_every_field_and_subscription(
    schema_map: SchemaMap, admin_walk: Walk
) -> None:
    reachable = schema_map.reachable(schema_map.query)
    assert reachable - admin_walk.answered == set()
    assert schema_map.subscription is not None
    subscriptions = {f.key for f in schema_map.roots(schema_map.subscription)}
    assert subscriptions <= admin_walk.delivered
    reachable_events = schema_map.reachable(schema_map.subscription)
    assert reachable_events - admin_walk.answered == set()


def _audit_reads_after(city: GeneratedCity, seq: int) -> list[tuple[str, str | None]]:
    """(operation, purpose) of every read the audit log recorded after `seq`."""
    db = SecurityDB.from_settings(city.settings)
    try:
        with db.read() as con:
            return [
                (str(op), purpose)
                for op, purpose in con.execute(
                    "SELECT operation, purpose FROM audit_log"
                    " WHERE seq > ? AND operation LIKE 'read:%' ORDER BY seq",
                    (seq,),
                ).fetchall()
            ]
    finally:
        db.close()


def _last_audit_seq(city: GeneratedCity) -> int:
    db = SecurityDB.from_settings(city.settings)
    try:
        with db.read() as con:
            (seq,) = con.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()
            return int(seq)
    finally:
        db.close()


async def test_no_root_field_hands_out_named_people_without_a_purpose(
    hub: Hub, schema_map: SchemaMap, admin_walk: Walk, city: GeneratedCity
) -> None:
    """Every root query field, asked by Dinsos (who may see everything) with the
    arguments the walk found data with, but without X-Purpose or a `purpose`
    argument: it answers PURPOSE_REQUIRED, or the audit log records no read of a
    named person or household for it (a read without a purpose is a hole, UU PDP)."""
    start = _last_audit_seq(city)
    refused, answered = set(), set()
    for root in schema_map.roots(schema_map.query):
        args = schema_map.arguments(root, admin_walk.harvest, admin_walk.harvest)[0]
        named = root.type.named
        if schema_map.kinds[named] == "OBJECT":
            part = split(schema_map.selection(named), TOKEN_BUDGET)[0]
            doc = f"query {{ {root.name}{_call(args)} {render(part)} }}"
        else:
            doc = f"query {{ {root.name}{_call(args)} }}"
        body = await hub.body("dinsos_admin", doc, purpose=None)
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
        (refused if "PURPOSE_REQUIRED" in codes else answered).add(root.name)
        if "purpose" in {a.name for a in root.args}:
            assert "PURPOSE_REQUIRED" in codes, f"{root.name} answered without a purpose"
    assert _audit_reads_after(city, start) == [], sorted(answered)
    # the fields that hand out named people, households or their cases are refused
    assert {
        "household",
        "households",
        "changeRequests",
        "serviceRequests",
        "grievances",
        "consents",
        "linkConfirmations",
        "decileAlerts",
    } <= refused


# --- the attacks that found issue 14's holes 1 and 2 -------------------------------------

OWN_EVIDENCE = """query($first: Int!, $after: String) { households(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id members { id
    sourceRecords { recordKey evidence { fields } } } } } } }"""


def _compared(nodes: list[dict[str, Any]]) -> dict[tuple[str, int, str], list[Any]]:
    """(record key, evidence number, value name) -> the two values compared."""
    out = {}
    for h in nodes:
        for m in h["members"]:
            for r in m["sourceRecords"]:
                for n, e in enumerate(r["evidence"]):
                    for comparison in e["fields"] or []:
                        for name, pair in (comparison.get("values") or {}).items():
                            out[(r["recordKey"], n, name)] = pair
    return out


def _masked(value: str | None, keep_end: int) -> str | None:
    return (
        None if value is None else value[:4] + "*" * (len(value) - 4 - keep_end) + value[-keep_end:]
    )


async def test_a_foundation_reading_its_own_households_gets_no_whole_nik_through_evidence(
    hub: Hub, secrets: Secrets
) -> None:
    """Hole 1: `households` as a foundation key returned 16-digit NIKs (and KK and
    phone numbers) in `sourceRecords.evidence.fields`."""
    mine = await hub.walk("foundation", OWN_EVIDENCE, "households", first=50)
    assert not secrets.identifiers_in(json.dumps(mine))

    everyone = await hub.walk("dinsos_admin", OWN_EVIDENCE, "households", first=100)
    ids = {h["id"] for h in mine}
    whole = _compared([h for h in everyone if h["id"] in ids])
    assert secrets.identifiers_in(json.dumps(list(whole.values()))), "evidence has values"
    shown = _compared(mine)
    assert shown.keys() <= whole.keys() and shown
    keep = {"nik_clean": 2, "kk_clean": 2, "phone_clean": 3}
    for key, pair in shown.items():
        name = key[2]
        expected = [_masked(v, keep[name]) for v in whole[key]] if name in keep else whole[key]
        assert pair == expected, (key, pair)
    assert any(key[2] == "nik_clean" and any(pair) for key, pair in shown.items())


WHO_SERVES = """query($id: ID!) { household(id: $id) { otherOrganizations
  serviceHistory { id serviceDate program amount funder organization source }
  currentPrograms { programCode since organization }
  members { id otherOrganizations sourceRecords { recordKey source organization
    sourceRecordId evidence { otherRecordKey matchProbability } } } } }"""


def _linked_to_others(staging: duckdb.DuckDBPyConnection, organization: str) -> str:
    """A household where the organization's record was linked by evidence to another
    organization's record, served by the most other organizations."""
    return str(
        staging.execute(
            """
        WITH rec AS (SELECT c.record_key, c.organization, i.household_id
                     FROM current_records c JOIN identity_map i USING (record_key))
        SELECT a.household_id FROM link_evidence e
        JOIN rec a ON a.record_key IN (e.record_key_l, e.record_key_r)
        JOIN rec b ON b.record_key IN (e.record_key_l, e.record_key_r)
        WHERE a.organization = $1 AND b.organization <> $1
        GROUP BY 1 ORDER BY (SELECT count(DISTINCT s.organization) FROM current_services s
                             JOIN identity_map i USING (record_key)
                             WHERE i.household_id = a.household_id) DESC, 1
        LIMIT 1""",
            [organization],
        ).fetchall()[0][0]
    )


def _others(organizations: list[str | None], own: str) -> int:
    return len({o for o in organizations if o} - {own})


async def test_a_foundation_learns_that_others_serve_a_person_but_not_who(
    hub: Hub, staging: duckdb.DuckDBPyConnection, organizations: dict[str, str]
) -> None:
    """Hole 2: evidence named the other source (`otherRecordKey`), so a foundation
    learned which organizations hold records on the people it serves."""
    own = organizations["foundation"]
    hid = _linked_to_others(staging, own)
    full = (await hub.data("dinsos_admin", WHO_SERVES, id=hid))["household"]
    seen = (await hub.data("foundation", WHO_SERVES, id=hid))["household"]

    # Dinsos sees who: other organizations' records, their keys in the evidence
    records = [r for m in full["members"] for r in m["sourceRecords"]]
    assert {r["organization"] for r in records} - {own}
    assert any(
        e["otherRecordKey"] for r in records if r["organization"] == own for e in r["evidence"]
    )

    # the foundation: its own records, with the evidence of each link but not its other end
    mine = [r for m in seen["members"] for r in m["sourceRecords"]]
    assert mine and {r["organization"] for r in mine} == {own}
    evidence = [e for r in mine for e in r["evidence"]]
    assert evidence and all(e["otherRecordKey"] is None for e in evidence)
    # how many others, and what they gave when: enough to avoid duplicated aid
    services = [s["organization"] for s in full["serviceHistory"]]
    assert (
        seen["otherOrganizations"]
        == _others([r["organization"] for r in records] + services, own)
        > 0
    )
    for m_full, m_seen in zip(full["members"], seen["members"], strict=True):
        assert m_seen["otherOrganizations"] == _others(
            [r["organization"] for r in m_full["sourceRecords"]], own
        )
    assert [
        (s["id"], s["serviceDate"], s["program"], s["amount"]) for s in seen["serviceHistory"]
    ] == [(s["id"], s["serviceDate"], s["program"], s["amount"]) for s in full["serviceHistory"]]
    assert [p["programCode"] for p in seen["currentPrograms"]] == [
        p["programCode"] for p in full["currentPrograms"]
    ]

    # and not one other organization's name, source or record key anywhere
    names = {
        str(n)
        for row in staging.execute(
            "SELECT id, organization FROM sources WHERE organization <> $1", [own]
        ).fetchall()
        for n in row
        if n
    }
    names |= {r["recordKey"] for r in records if r["organization"] != own}
    text = json.dumps(seen)
    assert not {n for n in names if n in text}, "another organization is named"
