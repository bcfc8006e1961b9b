"""The front desk's rules (domain.service_desk): steps, SLA and overdue,
escalation, figures, numbers, phone numbers, areas; and the API's enums
name the domain's values, no more and no fewer."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest

from domain import service_desk as desk
from schema.types.grievance import GrievanceAction, GrievanceKind, GrievanceStatus
from schema.types.service_request import ServiceChannel, ServiceRequestOutcome, ServiceRequestStep

DAY = date(2026, 12, 1)
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_api_enums_are_the_domain_lists() -> None:
    for enum, values in (
        (ServiceRequestStep, desk.STEPS),
        (ServiceRequestOutcome, desk.OUTCOMES),
        (ServiceChannel, desk.CHANNELS),
        (GrievanceKind, tuple(desk.GRIEVANCE_KINDS)),
        (GrievanceStatus, desk.GRIEVANCE_STATUSES),
        (GrievanceAction, desk.GRIEVANCE_ACTIONS),
    ):
        assert tuple(e.value for e in enum) == values


def test_a_request_moves_forward_only_and_ends_by_its_own_step() -> None:
    assert desk.may_advance("REGISTERED", "ASSESSED")
    assert not desk.may_advance("ASSESSED", "ASSIGNED")
    assert not desk.may_advance("IN_SERVICE", "ENDED")
    assert desk.casework_moves("ASSIGNED", "IN_SERVICE")
    assert not desk.casework_moves("ENDED", "IN_SERVICE")
    assert not desk.casework_moves("IN_SERVICE", "ASSESSED")


@pytest.mark.parametrize("step", ["REGISTERED", "ASSIGNED", "ASSESSED", "IN_SERVICE"])
def test_a_step_is_overdue_the_day_after_its_sla(step: str) -> None:
    sla = desk.STEP_SLA_DAYS[step]
    assert desk.request_due(step, AT) == DAY + timedelta(days=sla)
    assert not desk.request_overdue(step, AT, DAY + timedelta(days=sla))
    assert desk.request_overdue(step, AT, DAY + timedelta(days=sla + 1))
    assert not desk.request_overdue("ENDED", AT, DAY + timedelta(days=365))


def test_a_complaint_escalates_past_its_sla_and_again_later() -> None:
    sla = desk.GRIEVANCE_KINDS["SERVICE_CONDUCT"].sla_days
    level = [
        desk.escalation_level("SERVICE_CONDUCT", "FILED", AT, DAY + timedelta(days=d))
        for d in (sla, sla + 1, sla + desk.ESCALATION_DAYS, sla + desk.ESCALATION_DAYS + 1)
    ]
    assert level == [0, 1, 1, 2]
    assert desk.escalation_level("SERVICE_CONDUCT", "ANSWERED", AT, DAY + timedelta(days=99)) == 0
    assert desk.ESCALATED_TO[2] == "kepala dinas"


def test_the_figures() -> None:
    def at(days: float) -> datetime:
        return AT + timedelta(days=days)

    found = desk.figures(
        [
            {
                "needs": ["food"],
                "kecamatan_code": "327301",
                "status": "ENDED",
                "registered_at": at(0),
                "assessed_at": at(2),
                "ended_at": at(10),
            },
            {
                "needs": ["food", "PPKS24"],
                "kecamatan_code": "327301",
                "status": "ENDED",
                "registered_at": at(0),
                "in_service_at": at(4),
                "ended_at": at(90),
            },
            {
                "needs": ["PPKS24"],
                "kecamatan_code": "327302",
                "status": "ASSIGNED",
                "registered_at": at(0),
                "assigned_at": at(0),
            },
        ],
        [{"kind": "WRONG_DATA", "status": "FILED", "filed_at": at(-30)}],
        DAY,
    )
    assert found.by_need == {"PPKS24": 2, "food": 2}
    assert found.by_status == {"ASSIGNED": 1, "ENDED": 2}
    assert found.median_days_to_first_answer == 3.0  # 2 and 4; assignment is no answer
    assert found.median_days_to_end == 50.0
    assert found.first_answered == 2  # the medians are taken over these
    assert (found.ended, found.ended_within_sla, found.share_ended_within_sla) == (2, 1, 0.5)
    assert found.grievances_escalated == 1


def test_numbers_read_aloud_and_type_back() -> None:
    number = desk.new_number(desk.REQUEST_PREFIX)
    assert number.startswith("SP-") and len(number) == 3 + desk.NUMBER_LENGTH
    assert not set(number[3:]) & set("01ILO")
    assert desk.normalise_number(f" {number.lower().replace('-', ' ')} ") == number
    assert len({desk.new_number("SP") for _ in range(200)}) == 200


@pytest.mark.parametrize(
    ("given", "number"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+62 812 3456 7890", "6281234567890"),
        ("+62 0812 3456 7890", "6281234567890"),
        ("812345678", "62812345678"),
        ("022-7654321", None),  # a landline gets no SMS
        ("0888 8888 8888", None),
        ("12345", None),
    ],
)
def test_a_mobile_number(given: str, number: str | None) -> None:
    assert desk.mobile_number(given) == number


def test_workers_by_kelurahan_then_kecamatan() -> None:
    areas = [
        desk.WorkerArea("a", "DINSOS", "327301"),
        desk.WorkerArea("b", "DINSOS", "327301", "3273011001"),
        desk.WorkerArea("c", "DINSOS", "327302"),
    ]
    assert [a.worker for a in desk.workers_for(areas, "3273011001", None)] == ["b"]
    assert [a.worker for a in desk.workers_for(areas, "3273011002", None)] == ["a"]
    assert [a.worker for a in desk.workers_for(areas, None, "327302")] == ["c"]
    assert desk.workers_for(areas, "3273991001", None) == []


def test_messages_and_the_nik_check_name_nothing_personal() -> None:
    text = desk.request_message("SP-23456789", "ENDED", "REFUSED")
    assert "SP-23456789" in text and desk.OUTCOME_TEXT["REFUSED"] in text
    assert desk.nik_suffix("3273010202700004") == "0004" and desk.nik_suffix("12") is None
    key = b"k" * 32
    digest = desk.nik_digest(key, "salt", "0004")
    assert "0004" not in digest and digest != desk.nik_digest(key, "other", "0004")


def test_the_nik_check_is_keyed_and_older_digests_still_verify() -> None:
    key, other = b"k" * 32, b"o" * 32
    digest = desk.nik_digest(key, "salt", "0004")
    assert digest.startswith(f"{desk.NIK_DIGEST_VERSION}:")
    assert desk.nik_matches(key, "salt", "0004", digest)
    assert not desk.nik_matches(key, "salt", "0005", digest)
    assert not desk.nik_matches(other, "salt", "0004", digest)  # another server's key
    # a digest from before the key: a salted SHA-256, no prefix
    legacy = hashlib.sha256(b"salt:0004").hexdigest()
    assert desk.nik_matches(key, "salt", "0004", legacy)
    assert not desk.nik_matches(key, "salt", "0005", legacy)


def test_desk_days_are_the_office_days_not_utcs() -> None:
    # 06:30 WIB on 3 December is 23:30 UTC on the 2nd
    late_evening = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert desk.office_day(late_evening) == date(2026, 12, 3)
    assert desk.request_due(desk.REGISTERED, late_evening) == date(2026, 12, 5)
    # not overdue a day early: on the 5th (WIB) it is still within its two days
    assert not desk.request_overdue(desk.REGISTERED, late_evening, date(2026, 12, 5))
    assert desk.request_overdue(desk.REGISTERED, late_evening, date(2026, 12, 6))
    assert desk.grievance_due(desk.AID_NOT_RECEIVED, late_evening) == date(2026, 12, 10)
    # a period's day starts at 00:00 WIB
    assert desk.office_midnight(date(2026, 12, 3)) == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


def test_a_web_form_request_moves_only_by_being_verified() -> None:
    assert desk.verifies(desk.PENDING_VERIFICATION) and not desk.verifies(desk.REGISTERED)
    assert not any(desk.may_advance(desk.PENDING_VERIFICATION, s) for s in desk.STEPS)
    assert not desk.casework_moves(desk.PENDING_VERIFICATION, desk.ASSESSED)
    assert desk.STEP_SLA_DAYS[desk.PENDING_VERIFICATION] > 0
    assert desk.status_sentence(desk.PENDING_VERIFICATION) != desk.status_sentence(desk.REGISTERED)
