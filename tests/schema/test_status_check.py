"""Cek status: a resident sees where their request stands with its number and
the last digits of their NIK, and nothing else; a wrong number and a wrong
NIK are told apart by nothing (answer, queries, audit)."""

from __future__ import annotations

from typing import Any

import pytest
from gqlkit import WORKER, Api

from domain import service_desk as desk
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


async def work(api: Api, number: str, suffix: str) -> tuple[Any, list[str], Any]:
    """The answer, the statements sent and the audit entry of one check."""
    api.counter.queries.clear()
    before = len(api.audit.events)
    answer = await check_status(api.services, number, suffix)
    entries = api.audit.events[before:]
    assert len(entries) == 1
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


async def test_a_wrong_suffix_and_an_unknown_number_look_the_same(api: Api) -> None:
    made = await registered(api)
    wrong, wrong_queries, wrong_audit = await work(api, made["number"], "0005")
    unknown, unknown_queries, unknown_audit = await work(api, "SP-22222222", "0004")
    malformed, malformed_queries, _ = await work(api, made["number"], "12")
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


async def test_a_number_tried_too_often_answers_nothing_until_tomorrow(api: Api) -> None:
    made = await registered(api)
    failures = FailedChecks(per_day=3)
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
    assert failures.locked("SP-22222222")
    other = await registered(api)
    assert await check_status(api.services, other["number"], "0004", failures) is not None


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
