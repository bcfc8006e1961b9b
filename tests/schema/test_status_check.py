"""Cek status: a resident sees where their request stands with its number and
the last digits of their NIK, and nothing else; a wrong number and a wrong
NIK are told apart by nothing (answer, queries, audit)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from gqlkit import ADMIN, WORKER, Api

from domain import service_desk as desk
from graph import open_driver
from graph.driver import GraphTarget
from hub.security.db import SecurityDB
from hub.status_check import PUBLIC, FailedChecks, check_status

pytestmark = pytest.mark.anyio

REGISTER = """mutation($r: ServiceRequestInput!) { registerServiceRequest(request: $r) {
  id number householdId } }"""
END = """mutation($id: ID!) { endServiceRequest(id: $id, outcome: REFUSED,
  reason: "Keluarga sudah menerima bantuan yang sama.") { status } }"""


async def registered(api: Api) -> dict[str, Any]:
    # H3's head is Jajang, NIK 3273010202700004: the last four digits are 0004
    out: dict[str, Any] = (
        await api.data(REGISTER, WORKER, r={"householdId": "H3", "needs": ["PPKS24"]})
    )["registerServiceRequest"]
    return out


async def work(
    api: Api, number: str, suffix: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, list[str], Any]:
    """The answer, the statements sent and the audit entry of one check, which
    computes one keyed digest and counts the failure in the shared store."""
    digests: list[str] = []
    keyed = desk.nik_digest

    def counted(key: bytes, salt: str, suffix: str) -> str:
        digests.append(salt)
        return keyed(key, salt, suffix)

    monkeypatch.setattr(desk, "nik_digest", counted)
    failures = api.services.status_checks
    assert isinstance(failures, FailedChecks)
    before_count = failures._count(desk.normalise_number(number))
    api.counter.queries.clear()
    before = len(api.audit.events)
    answer = await check_status(api.services, number, suffix, failures)
    entries = api.audit.events[before:]
    assert len(entries) == 1 and len(digests) == 1
    if answer is None:  # counted, for a known number as for an unknown one
        assert failures._count(desk.normalise_number(number)) == before_count + 1
    monkeypatch.undo()
    return answer, list(api.counter.queries), entries[0]


async def test_the_resident_sees_the_status_and_the_next_step(api: Api) -> None:
    made = await registered(api)
    shown = await check_status(api.services, made["number"].lower().replace("-", " "), "0004")
    assert shown is not None
    assert (shown.number, shown.status) == (made["number"], "ASSIGNED")
    assert [s for s, _ in shown.steps] == ["REGISTERED", "ASSIGNED"]
    assert shown.next_step == desk.next_step_sentence("ASSIGNED") and shown.reason is None
    # what it carries: the status, the days and the sentences; no name, problem or program
    assert set(vars(shown)) == {
        "number",
        "status",
        "status_text",
        "next_step",
        "steps",
        "reason",
    }
    await api.data(END, WORKER, id=made["id"])
    ended = await check_status(api.services, made["number"], "0004")
    assert ended is not None and ended.status == "ENDED"
    assert ended.status_text == desk.status_sentence("ENDED", "REFUSED")
    assert ended.reason == "Keluarga sudah menerima bantuan yang sama."
    assert api.audit.events[-1].household_ids == ("H3",)
    assert api.audit.events[-1].role == PUBLIC


async def test_a_wrong_suffix_and_an_unknown_number_look_the_same(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await registered(api)
    wrong, wrong_queries, wrong_audit = await work(api, made["number"], "0005", monkeypatch)
    unknown, unknown_queries, unknown_audit = await work(api, "SP-22222222", "0004", monkeypatch)
    malformed, malformed_queries, _ = await work(api, made["number"], "12", monkeypatch)
    assert wrong is None and unknown is None and malformed is None
    # the same statement, one each
    assert wrong_queries == unknown_queries == malformed_queries and len(wrong_queries) == 1
    # the same audit entry but the number asked, and never the digits
    assert wrong_audit.household_ids == unknown_audit.household_ids == ()
    assert wrong_audit.operation == unknown_audit.operation
    assert wrong_audit.purpose.replace(made["number"], "N") == unknown_audit.purpose.replace(
        "SP-22222222", "N"
    )
    assert "0005" not in str(vars(wrong_audit)) and "0004" not in str(vars(unknown_audit))
    # a request without a known NIK is shown to no one, whatever is given
    fresh: dict[str, Any] = (
        await api.data(
            REGISTER,
            WORKER,
            r={"applicant": {"sourceRecordId": "d-9", "fullName": "Tanpa NIK"}, "needs": ["food"]},
        )
    )["registerServiceRequest"]
    for guess in ("0000", "----", "", "abcd"):
        assert await check_status(api.services, fresh["number"], guess) is None


async def test_a_number_tried_too_often_answers_nothing_until_tomorrow(
    api: Api, security_db: SecurityDB
) -> None:
    made = await registered(api)
    failures = FailedChecks(security_db, per_day=3)
    for guess in ("1111", "2222"):
        assert await check_status(api.services, made["number"], guess, failures) is None
    # still open: the right digits show it
    assert await check_status(api.services, made["number"], "0004", failures) is not None
    assert await check_status(api.services, made["number"], "3333", failures) is None
    # the third wrong check locked it: the right digits now read as a wrong number
    assert await check_status(api.services, made["number"], "0004", failures) is None
    # an unknown number counts the same, and another number is not held back
    for _ in range(3):
        await check_status(api.services, "SP-22222222", "0004", failures)
    assert await failures.locked("SP-22222222")
    other = await registered(api)
    assert await check_status(api.services, other["number"], "0004", failures) is not None


async def test_every_server_process_counts_against_the_same_lock(
    api: Api, security_db: SecurityDB
) -> None:
    """Two processes of one hub home: two connections to its security database."""
    made = await registered(api)
    second_db = SecurityDB(security_db.path)
    one, two = FailedChecks(security_db, per_day=4), FailedChecks(second_db, per_day=4)
    for n, guess in enumerate(("1111", "2222", "3333", "5555")):
        assert await check_status(api.services, made["number"], guess, (one, two)[n % 2]) is None
    # four wrong checks in all, two in each: both processes refuse the right digits
    for failures in (one, two):
        assert await check_status(api.services, made["number"], "0004", failures) is None
    # and a restart does not lift it
    second_db.close()
    again = FailedChecks(SecurityDB(security_db.path), per_day=4)
    assert await again.locked(made["number"])
    again.db.close()


UNLOCK = "mutation($n: String!) { unlockStatusCheck(number: $n) }"


async def test_dinsos_unlocks_a_number_and_the_audit_log_says_who(api: Api) -> None:
    made = await registered(api)
    failures = api.services.status_checks
    assert isinstance(failures, FailedChecks)
    for _ in range(failures.per_day):
        await check_status(api.services, made["number"], "9999", failures)
    assert await check_status(api.services, made["number"], "0004", failures) is None
    # a social worker (or the web form's identity) may not lift it
    refused = await api.run(UNLOCK, WORKER, n=made["number"])
    assert refused.errors and refused.errors[0].extensions["code"] == "FORBIDDEN"
    assert await failures.locked(made["number"])
    typed = made["number"].lower().replace("-", " ")
    assert (await api.data(UNLOCK, ADMIN, n=typed))["unlockStatusCheck"] is True
    entry = api.audit.events[-1]
    assert (entry.operation, entry.role) == ("write:unlockStatusCheck", "dinsos_admin")
    assert made["number"] in str(entry.purpose)
    shown = await check_status(api.services, made["number"], "0004", failures)
    assert shown is not None and shown.number == made["number"]
    assert (await api.data(UNLOCK, ADMIN, n=made["number"]))["unlockStatusCheck"] is False


async def test_digests_are_keyed_and_older_ones_still_verify(
    api: Api, graph_target: GraphTarget
) -> None:
    made = await registered(api)
    with open_driver(graph_target) as driver:
        [row] = driver.execute_query(
            "MATCH (s:ServiceRequest {number: $n}) RETURN s.nik_check AS c, s.nik_salt AS s",
            {"n": made["number"]},
        ).records
        check, salt = str(row["c"]), str(row["s"])
        assert check.startswith(desk.NIK_DIGEST_VERSION + ":")
        # the server's key made it: the salt and the 10,000 suffixes alone do not give it
        tries = {hashlib.sha256(f"{salt}:{n:04d}".encode()).hexdigest() for n in range(10_000)}
        assert not any(check.endswith(t) for t in tries)
        assert check == desk.nik_digest(api.services.nik_key, salt, "0004")
        # a request registered before the key keeps its salted SHA-256 digest
        legacy = hashlib.sha256(f"{salt}:0004".encode()).hexdigest()
        driver.execute_query(
            "MATCH (s:ServiceRequest {number: $n}) SET s.nik_check = $c",
            {"n": made["number"], "c": legacy},
        )
    assert await check_status(api.services, made["number"], "0004") is not None
    assert await check_status(api.services, made["number"], "0005") is None


async def test_the_reason_shown_masks_identifiers_typed_into_it(api: Api) -> None:
    made = await registered(api)
    reason = "Ditolak; hubungi 0812-3456-7890 atau NIK 3273010202700004 salah."
    end = """mutation($id: ID!, $r: String!) { endServiceRequest(id: $id, outcome: REFUSED,
      reason: $r) { status } }"""
    await api.data(end, WORKER, id=made["id"], r=reason)
    shown = await check_status(api.services, made["number"], "0004")
    assert shown is not None and shown.reason is not None
    assert "0812-3456-7890" not in shown.reason and "3273010202700004" not in shown.reason
    assert shown.reason.startswith("Ditolak; hubungi")
