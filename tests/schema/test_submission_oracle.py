"""Issue 14, hole 3, written as the attack: a foundation that knows a person's
NIK, name and birth date submits them, hoping `submitRecord` shows it the
whole household (members, problems, programs, services).

It must see only what it sent. The household opens to it when Dinsos confirms
the link, when the person's consent is recorded, or when the household is
referred to it; it closes again when the link is revoked, the consent is
withdrawn or expires, or the referral is declined.

The tiny city (tests/graph/city.py): H1 holds Hermawan (P1, PPKS24) and Euis
(P2, special-category PPKS16), enrolled in BPNT, served by DINSOS and YAY-A.
YAY-B, the attacker, has nothing to do with H1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gqlkit import ADMIN, ANALYST, AUDITOR, WORKER, YAY_A, YAY_B, Api, Principal

from graph.lifecycle import retire
from hub.security.db import SecurityDB
from hub.security.grants import SqliteGrants
from hub.security.submissions import SubmissionLimits, SubmissionWatch

pytestmark = pytest.mark.anyio

NIK = "3273011204800001"
PROBE = {
    "sourceRecordId": "probe-1",
    "fullName": "Wawan Hermawan",
    "nik": NIK,
    "birthDate": "1980-04-12",
}
SUBMIT = """mutation($r: RecordInput!) { submitRecord(record: $r) {
  recordKey personId householdId newPerson } }"""
H360 = """{ household(id: "H1") { id members { id fullName } problems { code }
  currentPrograms { programCode } serviceHistory { program organization } } }"""
PERSON = """{ person(id: "P1") { fullName nik birthDate householdId problems { code }
  household { id } sourceRecords { recordKey evidence { otherRecordKey } } } }"""
CONSENT = """mutation($c: ConsentInput!) { recordConsent(consent: $c) {
  id personId organization categories purpose legalBasis method recordedBy validUntil
  withdrawnAt inForce } }"""
WITHDRAW = """mutation($id: ID!) { withdrawConsent(id: $id, reason: "moved away") {
  id withdrawnAt withdrawnBy withdrawalReason inForce } }"""
CONFIRM = """mutation { confirmLink(link: {personId: "P1", organization: "YAY-B",
  basis: "home visit: YAY-B delivers food to Hermawan"}) { id personId organization
  confirmedBy basis revokedAt } }"""
HOUSEHOLD_VIEW = ["HOUSEHOLD", "PROBLEMS", "PROGRAMS", "SERVICES"]


def code(result: Any) -> str | None:
    return str((result.errors[0].extensions or {}).get("code")) if result.errors else None


def consent(
    organization: str = "YAY-B", categories: list[str] | None = None, days: int = 365
) -> dict[str, Any]:
    return {
        "personId": "P1",
        "organization": organization,
        "categories": categories or ["IDENTITY", *HOUSEHOLD_VIEW],
        "purpose": "monthly food parcel",
        "method": "signed form, witnessed by RT",
        "validUntil": (datetime.now(UTC) + timedelta(days=days)).isoformat(),
    }


@pytest.fixture
async def probed(api: Api) -> Api:
    """YAY-B has submitted Hermawan's NIK, name and birth date."""
    api.intake.known[NIK] = ("P1", "H1")
    done = (await api.data(SUBMIT, YAY_B, r=PROBE))["submitRecord"]
    # linked to Hermawan, but not told his household (which would show who lives together)
    assert (done["personId"], done["householdId"], done["newPerson"]) == ("P1", None, False)
    return api


async def assert_closed(api: Api) -> None:
    """YAY-B sees Hermawan as it sent him, and nothing of his household."""
    assert code(await api.run(H360, YAY_B)) == "NOT_FOUND"
    assert code(await api.run('{ person(id: "P2") { id } }', YAY_B)) == "NOT_FOUND"
    person = (await api.data(PERSON, YAY_B))["person"]
    assert person == {
        "fullName": "Wawan Hermawan",
        "nik": "3273**********01",
        "birthDate": "1980-04-12",
        "householdId": None,
        "problems": [],
        "household": None,
        "sourceRecords": [{"recordKey": "YAY-B:probe-1", "evidence": []}],
    }
    found = await api.data('{ searchPersons(name: "euis") { edges { node { id } } } }', YAY_B)
    assert found["searchPersons"]["edges"] == []
    for f in (
        '{nik: "3273011204800001"}',
        '{noKk: "3273010101010001"}',
        '{kelurahanCode: "3273011001"}',
    ):
        listed = await api.data(
            f"{{ households(filter: {f}) {{ totalCount edges {{ node {{ id }} }} }} }}", YAY_B
        )
        assert listed["households"] == {"totalCount": 0, "edges": []}, f


async def assert_open(api: Api) -> None:
    h = (await api.data(H360, YAY_B))["household"]
    assert {m["id"] for m in h["members"]} == {"P1", "P2"}
    assert [p["code"] for p in h["problems"]] == ["PPKS24"]  # PPKS16 stays special
    assert [p["programCode"] for p in h["currentPrograms"]] == ["BPNT"]
    assert {s["program"] for s in h["serviceHistory"]} == {"BPNT", "SEMBAKO-YAYASAN"}


async def test_submitting_a_known_nik_shows_only_what_was_sent(probed: Api) -> None:
    await assert_closed(probed)
    # the household's own foundation and Dinsos still see it whole
    assert len((await probed.data(H360, YAY_A))["household"]["members"]) == 2
    mine = (await probed.data(PERSON, ADMIN))["person"]["sourceRecords"]
    assert "YAY-B:probe-1" in {r["recordKey"] for r in mine} and len(mine) > 1


async def test_dinsos_confirms_the_link_and_can_revoke_it(probed: Api) -> None:
    assert code(await probed.run(CONFIRM, YAY_B)) == "FORBIDDEN"
    link = (await probed.data(CONFIRM, WORKER))["confirmLink"]
    assert (link["personId"], link["organization"], link["confirmedBy"]) == (
        "P1",
        "YAY-B",
        WORKER.subject,
    )
    await assert_open(probed)
    listed = await probed.data('{ linkConfirmations(personId: "P1") { totalCount } }', AUDITOR)
    assert listed["linkConfirmations"]["totalCount"] == 1
    revoked = await probed.data(
        "mutation($id: ID!) { revokeLink(id: $id) { revokedAt } }", ADMIN, id=link["id"]
    )
    assert revoked["revokeLink"]["revokedAt"] is not None
    await assert_closed(probed)
    writes = {e.operation for e in probed.audit.about("P1")}
    assert {"write:confirmLink", "write:revokeLink"} <= writes


async def test_consent_opens_the_household_and_withdrawal_closes_it(probed: Api) -> None:
    assert code(await probed.run(CONSENT, YAY_B, c=consent())) == "FORBIDDEN"
    receipt = (await probed.data(CONSENT, WORKER, c=consent()))["recordConsent"]
    assert receipt["inForce"] and receipt["withdrawnAt"] is None
    assert (receipt["personId"], receipt["organization"], receipt["recordedBy"]) == (
        "P1",
        "YAY-B",
        WORKER.subject,
    )
    assert receipt["categories"] == sorted(["IDENTITY", *HOUSEHOLD_VIEW])
    assert receipt["legalBasis"].startswith("consent")
    await assert_open(probed)

    # listed: Dinsos and the auditor see every receipt, YAY-B those given to it
    query = (
        'query($o: String) { consents(personId: "P1", organization: $o) { totalCount '
        "edges { node { id organization inForce } } } }"
    )
    for who in (ADMIN, AUDITOR, YAY_B):
        listed = (await probed.data(query, who))["consents"]
        assert [e["node"]["id"] for e in listed["edges"]] == [receipt["id"]], who
    assert (await probed.data(query, YAY_A))["consents"]["totalCount"] == 0
    assert code(await probed.run(query, YAY_A, o="YAY-B")) == "FORBIDDEN"
    assert code(await probed.run(query, ANALYST)) == "FORBIDDEN"

    withdrawn = (await probed.data(WITHDRAW, WORKER, id=receipt["id"]))["withdrawConsent"]
    assert withdrawn["withdrawnAt"] is not None and not withdrawn["inForce"]
    assert (withdrawn["withdrawnBy"], withdrawn["withdrawalReason"]) == (
        WORKER.subject,
        "moved away",
    )
    await assert_closed(probed)
    assert code(await probed.run(WITHDRAW, WORKER, id=receipt["id"])) == "NOT_FOUND"
    writes = [e for e in probed.audit.about("P1") if e.operation.startswith("write:")]
    assert {"write:recordConsent", "write:withdrawConsent"} <= {e.operation for e in writes}


async def test_the_organization_may_give_up_a_consent_but_not_take_anothers(probed: Api) -> None:
    receipt = (await probed.data(CONSENT, ADMIN, c=consent()))["recordConsent"]
    assert code(await probed.run(WITHDRAW, YAY_A, id=receipt["id"])) == "NOT_FOUND"
    await assert_open(probed)
    await probed.data(WITHDRAW, YAY_B, id=receipt["id"])
    await assert_closed(probed)


async def test_narrow_expired_or_misdirected_consent_opens_nothing(
    probed: Api, security_db: SecurityDB
) -> None:
    await probed.data(CONSENT, WORKER, c=consent(categories=["IDENTITY", "SERVICES"]))
    await probed.data(CONSENT, WORKER, c=consent(organization="YAY-C"))
    past = datetime.now(UTC) - timedelta(days=30)
    await SqliteGrants(security_db).record_consent(
        {
            "person_id": "P1",
            "organization": "YAY-B",
            "categories": HOUSEHOLD_VIEW,
            "purpose": "food parcel",
            "legal_basis": "consent",
            "method": "signed form",
            "recorded_by": "peksos-1",
            "recorded_at": past,
            "valid_from": past,
            "valid_until": past + timedelta(days=7),
        }
    )
    await assert_closed(probed)
    stale = await probed.run(CONSENT, WORKER, c=consent(days=-1))
    assert code(stale) == "BAD_USER_INPUT"
    assert stale.errors and stale.errors[0].extensions["field"] == "consent.validUntil"
    unknown = await probed.run(CONSENT, WORKER, c={**consent(), "personId": "P-NOBODY"})
    assert code(unknown) == "BAD_USER_INPUT"


async def test_a_referral_opens_the_household_while_it_stands(probed: Api) -> None:
    made = await probed.data(
        'mutation { createReferral(referral: {householdId: "H1", '
        'toOrganization: "YAY-B"}) { id } }',
        WORKER,
    )
    rid = made["createReferral"]["id"]
    await assert_open(probed)
    await probed.data(
        "mutation($id: ID!) { advanceReferral(id: $id, status: DECLINED, "
        'note: "not our area") { status } }',
        YAY_B,
        id=rid,
    )
    await assert_closed(probed)


SERVICE = """mutation($s: ServiceInput!) { recordService(service: $s) { id organization } }"""


async def test_a_service_for_a_submitted_person_is_kept_but_opens_nothing(
    probed: Api, neo4j_driver: Any
) -> None:
    service = {
        "personId": "P1",
        "program": "SEMBAKO-YAYASAN",
        "serviceDate": "2026-11-20",
        "amount": 100000,
    }
    done = (await probed.data(SERVICE, YAY_B, s=service))["recordService"]
    assert done["organization"] == "YAY-B"
    await assert_closed(probed)
    serves, _, _ = neo4j_driver.execute_query(
        "MATCH (:Organization {id: 'YAY-B'})-[s:SERVES]->(:Household {household_id: 'H1'}) "
        "RETURN count(s) AS n"
    )
    assert serves[0]["n"] == 0
    history = (await probed.data(H360, ADMIN))["household"]["serviceHistory"]
    assert "YAY-B" in {s["organization"] for s in history}  # Dinsos sees the delivery
    # a delivery to someone it did not submit, without naming the person, or naming a
    # household it may not see (even the right one: that would confirm where P1 lives)
    for s in (
        {**service, "personId": "P2"},
        {k: v for k, v in service.items() if k != "personId"},
        {**service, "householdId": "H1"},
        {**service, "householdId": "H2"},
    ):
        refused = await probed.run(SERVICE, YAY_B, s=s)
        assert code(refused) == "BAD_USER_INPUT", s


# --- the budget and the alerts -------------------------------------------------------


def watched(api: Api, db: SecurityDB, **limits: Any) -> SubmissionWatch:
    watch = SubmissionWatch(db, replace(SubmissionLimits(), **limits))
    api.services = replace(api.services, submissions=watch)
    return watch


def person(n: int, nik: bool = True) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sourceRecordId": f"r-{n}",
        "fullName": f"Orang Baru {n}",
        "birthDate": "1960-01-01",
    }
    if nik:
        record["nik"] = f"32730101016{n + 1:05d}"  # a serial of 0000 is no NIK
    return record


async def test_submissions_have_their_own_budget_per_organization(
    api: Api, security_db: SecurityDB
) -> None:
    watched(api, security_db, rate_per_minute=1, burst=2)
    for n in range(2):
        await api.data(SUBMIT, YAY_B, r=person(n))
    linked = len(api.intake.calls)
    over = await api.run(SUBMIT, YAY_B, r=person(2))
    assert code(over) == "RATE_LIMITED"
    assert over.errors and over.errors[0].extensions["retryAfter"] >= 1
    assert "retry in" in over.errors[0].message
    assert len(api.intake.calls) == linked  # nothing was linked or kept
    await api.data(SUBMIT, YAY_A, r=person(3))  # another organization has its own budget


ALERTS = "{ submissionAlerts { totalCount edges { node { organization kind count threshold } } } }"


async def test_many_misses_raise_one_alert_seen_by_dinsos_and_the_auditor(
    api: Api, security_db: SecurityDB
) -> None:
    watched(api, security_db, misses=3)
    for n in range(4):
        await api.data(SUBMIT, YAY_B, r=person(n, nik=False))
    for who in (ADMIN, WORKER, AUDITOR):
        alerts = (await api.data(ALERTS, who))["submissionAlerts"]
        assert [e["node"] for e in alerts["edges"]] == [
            {"organization": "YAY-B", "kind": "MANY_MISSES", "count": 3, "threshold": 3}
        ]
    for who in (YAY_B, ANALYST):
        assert code(await api.run(ALERTS, who)) == "FORBIDDEN"
    raised = [e for e in api.audit.events if e.operation == "alert:MANY_MISSES"]
    assert [(e.organization, e.role) for e in raised] == [("YAY-B", "foundation")]


async def test_many_matches_raise_an_alert(api: Api, security_db: SecurityDB) -> None:
    watched(api, security_db, matches=2)
    for n in range(2):
        await api.data(
            SUBMIT,
            YAY_B,
            r={"sourceRecordId": f"m-{n}", "fullName": "Jajang", "nik": "3273010202700004"},
        )
    alerts = (await api.data(ALERTS, ADMIN))["submissionAlerts"]["edges"]
    assert [e["node"]["kind"] for e in alerts] == ["MANY_MATCHES"]


async def test_niks_without_services_raise_an_alert_and_served_ones_do_not(
    api: Api, security_db: SecurityDB
) -> None:
    watched(api, security_db, unserved_niks=2)
    # YAY-A submits Hermawan (H1, which it serves) and serves H1: that NIK counts as served
    api.intake.known[NIK] = ("P1", "H1")
    await api.data(SUBMIT, YAY_A, r={**PROBE, "sourceRecordId": "a-1"})
    await api.data(
        SERVICE,
        YAY_A,
        s={"householdId": "H1", "program": "SEMBAKO-YAYASAN", "serviceDate": "2026-11-20"},
    )
    await api.data(SUBMIT, YAY_A, r=person(2))
    assert (await api.data(ALERTS, ADMIN))["submissionAlerts"]["totalCount"] == 0
    # YAY-B records services for what it submitted, but each is pending (a household
    # made of its own API records, a person it only submitted): they do not count
    api.intake.known[PROBE_B["nik"]] = ("P2", "H1")
    for record in (person(3), PROBE_B):
        made = (await api.data(SUBMIT, YAY_B, r=record))["submitRecord"]
        at = (
            {"householdId": made["householdId"]}
            if made["householdId"]
            else {"personId": made["personId"]}
        )
        await api.data(
            SERVICE, YAY_B, s={**at, "program": "SEMBAKO-YAYASAN", "serviceDate": "2026-11-20"}
        )
    alerts = (await api.data(ALERTS, ADMIN))["submissionAlerts"]["edges"]
    assert [(e["node"]["organization"], e["node"]["kind"], e["node"]["count"]) for e in alerts] == [
        ("YAY-B", "UNSERVED_NIKS", 2)
    ]


PROBE_B = {"sourceRecordId": "probe-2", "fullName": "Euis", "nik": "3273015506820002"}


# --- re-linking: a household made of one's own records merged into the real one ---

YAY_C = Principal("YAY-C", "foundation")


async def test_a_merge_does_not_carry_access_won_on_an_own_record_household(
    api: Api, neo4j_driver: Any
) -> None:
    """The attack: YAY-B submits Hermawan, and the real-time linker
    misses and makes a new household of YAY-B's record alone (open to YAY-B). YAY-B
    records a service and an enrolment there, refers it to itself and to YAY-C.
    Linkage later merges that household into H1: nothing of this opens H1."""
    made = (await api.data(SUBMIT, YAY_B, r=PROBE))["submitRecord"]  # the linker misses
    pid, hid = made["personId"], made["householdId"]
    assert hid is not None and made["newPerson"]  # its own household, open to it
    # the service is kept, but the household is open only as made of its records
    await api.data(
        SERVICE,
        YAY_B,
        s={"householdId": hid, "program": "SEMBAKO-YAYASAN", "serviceDate": "2026-11-20"},
    )
    pending, _, _ = neo4j_driver.execute_query(
        "MATCH (s:Service)-[:RECEIVED_BY]->(:Household {household_id: $h}) "
        "RETURN s.link_pending AS p, "
        "COUNT { (:Organization {id: 'YAY-B'})-[:SERVES]->(:Household {household_id: $h}) }"
        " AS serves",
        h=hid,
    )
    assert [(r["p"], r["serves"]) for r in pending] == [(True, 0)]
    refer = (
        "mutation($h: ID!, $o: String!) { createReferral(referral: {householdId: $h, "
        "toOrganization: $o}) { id } }"
    )
    own = await api.run(refer, YAY_B, h=hid, o="YAY-B")
    assert code(own) == "BAD_USER_INPUT"
    assert own.errors and own.errors[0].extensions["field"] == "referral.toOrganization"
    await api.data(refer, YAY_B, h=hid, o="YAY-C")  # to an accomplice
    # an enrolment still says YAY-B serves it (SERVES)
    await api.data(
        "mutation($h: ID!) { enrolHousehold(enrolment: {householdId: $h, "
        'program: "SEMBAKO-YAYASAN", since: "2026-11-01"}) { active } }',
        YAY_B,
        h=hid,
    )

    # the nightly re-link finds the record is Hermawan's
    retire(neo4j_driver, "person", [{"id": pid, "status": "merged", "survivor_id": "P1"}])
    retire(neo4j_driver, "household", [{"id": hid, "status": "merged", "survivor_id": "H1"}])

    await assert_closed(api)
    assert code(await api.run(H360, YAY_C)) == "NOT_FOUND"
    assert code(await api.run(f'{{ household(id: "{hid}") {{ id }} }}', YAY_B)) == "NOT_FOUND"
    # the facts themselves moved: Dinsos sees the delivery and the referral on H1
    h1 = (
        await api.data(
            '{ household(id: "H1") { serviceHistory { organization } '
            "referrals { toOrganization } } }",
            ADMIN,
        )
    )["household"]
    assert "YAY-B" in {s["organization"] for s in h1["serviceHistory"]}
    assert "YAY-C" in {r["toOrganization"] for r in h1["referrals"]}
    # and the household's own foundation keeps its access
    assert len((await api.data(H360, YAY_A))["household"]["members"]) == 2


async def test_new_household_is_told_only_when_the_household_is_open(api: Api) -> None:
    """Probing: a record of an unknown person with H1's KK number. Whether it joined
    a household would tell the KK is registered."""
    api.intake.households_by_kk["3273010101010001"] = "H1"
    query = """mutation($r: RecordInput!) { submitRecord(record: $r) {
      personId householdId newPerson newHousehold } }"""
    joined = (
        await api.data(
            query,
            YAY_B,
            r={"sourceRecordId": "kk-probe", "fullName": "Siapa Saja", "noKk": "3273010101010001"},
        )
    )["submitRecord"]
    assert (joined["householdId"], joined["newHousehold"]) == (None, None)
    fresh = (await api.data(query, YAY_B, r={"sourceRecordId": "fresh", "fullName": "Orang Lain"}))[
        "submitRecord"
    ]
    assert fresh["householdId"] is not None and fresh["newHousehold"] is True


async def test_consent_and_link_under_a_merged_id_open_the_survivor(
    api: Api, neo4j_driver: Any
) -> None:
    """Dinsos records consent under an id that was merged into P1: it is kept
    for P1, so it opens P1's household."""
    neo4j_driver.execute_query("MERGE (:Person {person_id: 'P1-OLD'})")
    retire(neo4j_driver, "person", [{"id": "P1-OLD", "status": "merged", "survivor_id": "P1"}])
    api.intake.known[NIK] = ("P1", "H1")
    await api.data(SUBMIT, YAY_B, r=PROBE)
    receipt = await api.data(CONSENT, WORKER, c={**consent(), "personId": "P1-OLD"})
    assert receipt["recordConsent"]["personId"] == "P1"
    await assert_open(api)
    await api.data(WITHDRAW, WORKER, id=receipt["recordConsent"]["id"])
    await assert_closed(api)
    link = (await api.data(CONFIRM.replace('"P1"', '"P1-OLD"'), WORKER))["confirmLink"]
    assert link["personId"] == "P1"
    await assert_open(api)


async def test_a_delivery_to_a_submitted_persons_old_id_lands_on_the_survivor(
    probed: Api, neo4j_driver: Any
) -> None:
    neo4j_driver.execute_query("MERGE (:Person {person_id: 'P1-OLD'})")
    retire(neo4j_driver, "person", [{"id": "P1-OLD", "status": "merged", "survivor_id": "P1"}])
    await probed.data(
        SERVICE,
        YAY_B,
        s={"personId": "P1-OLD", "program": "SEMBAKO-YAYASAN", "serviceDate": "2026-11-21"},
    )
    landed, _, _ = neo4j_driver.execute_query(
        "MATCH (s:Service {organization: 'YAY-B'})-[:RECEIVED_BY]->(p:Person) "
        "RETURN p.person_id AS p, s.link_pending AS pending"
    )
    assert [(r["p"], r["pending"]) for r in landed] == [("P1", True)]
    shown = (await probed.data('{ person(id: "P1-OLD") { id status householdId } }', YAY_B))[
        "person"
    ]
    assert shown == {"id": "P1", "status": "active", "householdId": None}
