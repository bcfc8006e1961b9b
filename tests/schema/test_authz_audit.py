"""Purpose and audit: personal reads need a purpose; every read or write of
personal data leaves an audit entry naming who, which ids and why; no record,
no data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from gqlkit import ADMIN, ANALYST, AUDITOR, WORKER, YAY_A, Api

from domain.shapes import AuditPage
from schema.services import AuditEntry

pytestmark = pytest.mark.anyio

HOUSEHOLD_360 = """query($id: ID!) { household(id: $id) { id
  members { id fullName problems { code } sourceRecords { recordKey } }
  problems { code } currentPrograms { programCode } serviceHistory { id }
  assessments { id } referrals { id } } }"""


@pytest.mark.parametrize(
    "query",
    [
        '{ household(id: "H1") { id } }',
        '{ person(id: "P1") { id } }',
        '{ searchPersons(name: "Hermawan") { totalCount } }',
        "{ households { totalCount } }",
        '{ duplicatedAid(from: "2026-10-01", to: "2026-10-31") { totalCount } }',
        "{ coverageGaps { households { totalCount } } }",
    ],
)
async def test_personal_reads_need_a_purpose(api: Api, query: str) -> None:
    result = await api.run(query, WORKER, purpose=None)
    assert result.data is None and result.errors
    error = result.errors[0]
    assert error.extensions and error.extensions["code"] == "PURPOSE_REQUIRED"
    assert "X-Purpose" in error.message and "purpose:" in error.message
    assert api.audit.events == []


async def test_purpose_as_an_argument(api: Api) -> None:
    data = await api.data(
        '{ person(id: "P1", purpose: "home visit") { id } }', WORKER, purpose=None
    )
    assert data == {"person": {"id": "P1"}}
    assert [(e.operation, e.purpose) for e in api.audit.events] == [("read:person", "home visit")]
    # the argument covers its own field only
    mixed = await api.run(
        '{ a: person(id: "P1", purpose: "visit") { id } b: household(id: "H2") { id } }',
        WORKER,
        purpose=None,
    )
    assert mixed.errors and mixed.errors[0].extensions["code"] == "PURPOSE_REQUIRED"


@pytest.mark.parametrize(
    ("who", "query"),
    [
        (ANALYST, "{ coverageGaps { totalHouseholds counts { households suppressed } } }"),
        (ANALYST, "{ povertyIndicators { code households } }"),
        (ANALYST, "{ programs { code householdsReached } funders { code } }"),
        (ADMIN, "{ coverageGaps { totalHouseholds } }"),
        (AUDITOR, "{ auditLog { totalCount } }"),
    ],
)
async def test_aggregates_need_no_purpose(api: Api, who: object, query: str) -> None:
    await api.data(query, who, purpose=None)
    assert api.audit.events == []


async def test_household_360_records_every_part_with_the_people_in_it(api: Api) -> None:
    await api.data(HOUSEHOLD_360, WORKER, purpose="case review", id="H1")
    by_op = {e.operation: e for e in api.audit.events}
    assert set(by_op) == {
        "read:household",
        "read:household.members",
        "read:household.members.problems",
        "read:household.members.sourceRecords",
        "read:household.problems",
        "read:household.currentPrograms",
        "read:household.serviceHistory",
        "read:household.assessments",
        "read:household.referrals",
    }
    assert by_op["read:household"].household_ids == ("H1",)
    assert by_op["read:household.members"].person_ids == ("P1", "P2")
    assert by_op["read:household.assessments"].person_ids == ("P2",)
    event = by_op["read:household.members"]
    assert (event.subject, event.organization, event.role, event.purpose) == (
        "tester",
        "DINSOS",
        "social_worker",
        "case review",
    )


async def test_a_search_records_only_what_it_returned(api: Api) -> None:
    await api.data('{ searchPersons(name: "Hermawan") { edges { node { id } } } }', YAY_A)
    assert [e.person_ids for e in api.audit.events] == [("P1",)]
    api.audit.events.clear()
    await api.data('{ searchPersons(name: "Siti Aminah") { edges { node { id } } } }', YAY_A)
    assert [e.person_ids for e in api.audit.events] == [()]  # H4 is not theirs: nothing read


async def test_refused_reads_record_nothing(api: Api) -> None:
    await api.run('{ household(id: "H4") { id members { id } } }', YAY_A)
    await api.run('{ household(id: "H1") { id } }', ANALYST)
    assert api.audit.events == []


class BrokenAudit:
    async def record(self, entries: Sequence[AuditEntry]) -> None:
        raise OSError("disk full")

    async def entries(
        self, *, person_id: str | None, offset: int, limit: int, as_of: int | None = None
    ) -> AuditPage:
        raise OSError("disk full")


async def test_no_audit_record_no_data(api: Api) -> None:
    api.services = replace(api.services, audit=BrokenAudit())
    result = await api.run('{ person(id: "P1") { fullName nik } }', WORKER)
    assert result.data is None
    assert result.errors and result.errors[0].extensions == {"code": "AUDIT_UNAVAILABLE"}
    assert "Hermawan" not in str(result.errors)


async def test_audit_log_field(api: Api) -> None:
    await api.data('{ person(id: "P1") { id } }', WORKER, purpose="visit")
    await api.data('{ person(id: "P2") { id } }', YAY_A, purpose="aid")
    query = """query($p: ID) { auditLog(personId: $p) { totalCount edges { node {
        organization role operation personIds purpose } } } }"""
    log = (await api.data(query, AUDITOR, p="P1"))["auditLog"]
    assert log["totalCount"] == 1
    assert log["edges"][0]["node"] == {
        "organization": "DINSOS",
        "role": "social_worker",
        "operation": "read:person",
        "personIds": ["P1"],
        "purpose": "visit",
    }
    everything = (await api.data(query, ADMIN))["auditLog"]
    assert everything["totalCount"] >= 2
    for who in (WORKER, YAY_A, ANALYST):
        denied = await api.run(query, who)
        assert denied.errors and denied.errors[0].extensions["code"] == "FORBIDDEN"
