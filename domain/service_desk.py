"""Layanan satu pintu (the one-door front desk): the rules of a resident's
request (permohonan) and complaint (pengaduan), each written once.

A request is REGISTERED once at the front desk, or comes in through the
public web form PENDING_VERIFICATION: what the applicant typed stays on the
request alone (no intake, no household, no casework moves, no message) until
the front desk checks who they are and links it, when it is REGISTERED. It is
ASSIGNED to a social worker by area, ASSESSED, IN_SERVICE (referred or
enrolled) and ENDED as FULFILLED, PARTLY_FULFILLED or REFUSED, always with a
reason the resident can read. Each step has a service-level time (SLA, in
calendar days) to move on; a request past it is overdue.

A complaint (pengaduan) is FILED, ACTED on (it became a change request, a
targeting finding or a case) and ANSWERED; past its kind's SLA it escalates,
one level, then another after `ESCALATION_DAYS` more.

The sentences here are what the resident reads: on the public Cek status page
and in the SMS/WhatsApp messages. They name no person, no problem and no
program. Nobody else writes them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from domain.thresholds import OFFICE_TIMEZONE

# --- requests (permohonan) --------------------------------------------------------
PENDING_VERIFICATION: Final = "PENDING_VERIFICATION"
REGISTERED: Final = "REGISTERED"
ASSIGNED: Final = "ASSIGNED"
ASSESSED: Final = "ASSESSED"
IN_SERVICE: Final = "IN_SERVICE"
ENDED: Final = "ENDED"
#: a request's steps, in order
STEPS: Final[tuple[str, ...]] = (
    PENDING_VERIFICATION,
    REGISTERED,
    ASSIGNED,
    ASSESSED,
    IN_SERVICE,
    ENDED,
)
#: days a request may stay at a step before it is overdue (to be verified, to be
#: assigned, to be assessed, to be served, to be ended)
STEP_SLA_DAYS: Final[Mapping[str, int]] = {
    PENDING_VERIFICATION: 2,
    REGISTERED: 2,
    ASSIGNED: 7,
    ASSESSED: 14,
    IN_SERVICE: 30,
}
#: the whole request, registered to ended: it ended within the SLA when within this
END_SLA_DAYS: Final[int] = sum(d for s, d in STEP_SLA_DAYS.items() if s != PENDING_VERIFICATION)
#: the graph's property holding when a request reached each step
STEP_AT: Final[Mapping[str, str]] = {
    PENDING_VERIFICATION: "received_at",
    REGISTERED: "registered_at",
    ASSIGNED: "assigned_at",
    ASSESSED: "assessed_at",
    IN_SERVICE: "in_service_at",
    ENDED: "ended_at",
}
#: the first answer a resident gets: the first step a person did something for them
FIRST_ANSWER_STEPS: Final[tuple[str, ...]] = (ASSESSED, IN_SERVICE, ENDED)

FULFILLED: Final = "FULFILLED"
PARTLY_FULFILLED: Final = "PARTLY_FULFILLED"
REFUSED: Final = "REFUSED"
OUTCOMES: Final[tuple[str, ...]] = (FULFILLED, PARTLY_FULFILLED, REFUSED)

CHANNELS: Final[tuple[str, ...]] = ("FRONT_DESK", "WEB_FORM")

#: casework recorded for a request's household moves it on: an assessment to
#: ASSESSED, a referral or an enrolment to IN_SERVICE
CASEWORK_STEP: Final[Mapping[str, str]] = {
    "assessment": ASSESSED,
    "referral": IN_SERVICE,
    "enrolment": IN_SERVICE,
}


def step_index(step: str) -> int:
    return STEPS.index(step)


def may_advance(current: str, target: str) -> bool:
    """A request moves forward by hand to any later step but ENDED (which
    `endServiceRequest` takes, with an outcome and a reason); one
    PENDING_VERIFICATION moves only by being verified (`verifies`)."""
    return (
        current in STEPS
        and current != PENDING_VERIFICATION
        and target in STEPS
        and target != ENDED
        and step_index(target) > step_index(current)
    )


def may_assign(current: str) -> bool:
    """Whether a request that is `current` may be assigned (or re-assigned) to a
    social worker: once verified, until it ends."""
    return current in STEPS and current not in (PENDING_VERIFICATION, ENDED)


def may_end(current: str) -> bool:
    """Whether a request that is `current` may still be ended (once only)."""
    return current in STEPS and current != ENDED


#: a request ends with a reason the resident reads (`endServiceRequest`'s reason)
END_NEEDS_REASON: Final = True


def verifies(current: str) -> bool:
    """Whether the front desk may verify (and link) a request that is `current`."""
    return current == PENDING_VERIFICATION


def casework_moves(current: str, target: str) -> bool:
    """Whether casework taking the household to `target` moves a request that is
    `current` (only forward; an ended request stays ended)."""
    return current != ENDED and may_advance(current, target)


def days_between(start: datetime | date, end: datetime | date) -> float:
    """Days from `start` to `end`, with fractions for times."""
    if isinstance(start, datetime) and isinstance(end, datetime):
        return (end - start).total_seconds() / 86400
    return float((_day(end) - _day(start)).days)


def office_day(value: datetime | date, zone: str = OFFICE_TIMEZONE) -> date:
    """The office's day (`domain.thresholds.OFFICE_TIMEZONE`) of a time: a request
    registered 06:30 WIB on the 3rd (23:30 UTC on the 2nd) is the 3rd's. A time
    without a zone is UTC; a day is itself."""
    if not isinstance(value, datetime):
        return value
    at = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return at.astimezone(ZoneInfo(zone)).date()


def office_today(zone: str = OFFICE_TIMEZONE) -> date:
    return office_day(datetime.now(UTC), zone)


def office_midnight(day: date, zone: str = OFFICE_TIMEZONE) -> datetime:
    """When the office's `day` starts, in UTC (a period's bounds)."""
    return datetime.combine(day, time.min, ZoneInfo(zone)).astimezone(UTC)


_day = office_day


def request_due(status: str, since: datetime | None) -> date | None:
    """The day by which a request at `status` (reached at `since`) moves on."""
    sla = STEP_SLA_DAYS.get(status)
    if sla is None or since is None:
        return None
    return date.fromordinal(_day(since).toordinal() + sla)


def request_overdue(status: str, since: datetime | None, today: date) -> bool:
    due = request_due(status, since)
    return due is not None and today > due


# --- complaints (pengaduan) --------------------------------------------------------
WRONG_DATA: Final = "WRONG_DATA"
AID_NOT_RECEIVED: Final = "AID_NOT_RECEIVED"
AID_TO_INELIGIBLE: Final = "AID_TO_INELIGIBLE"
SERVICE_CONDUCT: Final = "SERVICE_CONDUCT"


@dataclass(frozen=True)
class GrievanceKind:
    code: str
    sla_days: int
    """days to an answer"""
    anonymous_allowed: bool
    """misconduct may be reported without a name (and without a household)"""
    description: str
    administrators_only: bool = False
    """read only by Dinsos' administrators: the officer complained about may be
    a social worker who reads the desk's complaints"""


GRIEVANCE_KINDS: Final[Mapping[str, GrievanceKind]] = {
    k.code: k
    for k in (
        GrievanceKind(WRONG_DATA, 14, False, "Data tentang keluarga salah"),
        GrievanceKind(AID_NOT_RECEIVED, 7, False, "Bantuan tidak diterima"),
        GrievanceKind(AID_TO_INELIGIBLE, 14, False, "Bantuan diterima yang tidak berhak"),
        GrievanceKind(SERVICE_CONDUCT, 5, True, "Perlakuan petugas atau layanan", True),
    )
}
#: after its SLA a complaint escalates to level 1 (kepala bidang), and after this
#: many more days to level 2 (kepala dinas)
ESCALATION_DAYS: Final[int] = 7
ESCALATED_TO: Final[tuple[str, ...]] = ("", "kepala bidang", "kepala dinas")

FILED: Final = "FILED"
ACTED: Final = "ACTED"
ANSWERED: Final = "ANSWERED"
GRIEVANCE_STATUSES: Final[tuple[str, ...]] = (FILED, ACTED, ANSWERED)
#: what acting on a complaint makes of it
GRIEVANCE_ACTIONS: Final[tuple[str, ...]] = ("CHANGE_REQUEST", "TARGETING_FINDING", "CASE")
#: a complaint made a targeting finding checks its household's aid over this many
#: days up to the day it is acted on (eligibility judged on that day)
FINDING_CHECK_DAYS: Final[int] = 365
#: what a complaint's targeting check says when the rules found nothing
NO_RULE_FINDING: Final = "Tidak ada temuan aturan: perlu dicek di lapangan."


def finding_check_period(today: date) -> tuple[date, date]:
    """The period a complaint's targeting check reads: `FINDING_CHECK_DAYS` up to `today`."""
    return date.fromordinal(today.toordinal() - FINDING_CHECK_DAYS), today


def escalation_level(kind: str, status: str, filed_at: datetime | None, today: date) -> int:
    """0 while a complaint is within its SLA (or answered); 1 past it; 2 past it
    by `ESCALATION_DAYS` more."""
    rule = GRIEVANCE_KINDS.get(kind)
    if rule is None or filed_at is None or status == ANSWERED:
        return 0
    late = days_between(_day(filed_at), today) - rule.sla_days
    if late <= 0:
        return 0
    return 1 if late <= ESCALATION_DAYS else 2


def grievance_due(kind: str, filed_at: datetime | None) -> date | None:
    rule = GRIEVANCE_KINDS.get(kind)
    if rule is None or filed_at is None:
        return None
    return date.fromordinal(_day(filed_at).toordinal() + rule.sla_days)


# --- public numbers and the NIK check ---------------------------------------------
#: characters of a public number: no 0/O, 1/I/L, so it reads aloud and types back
NUMBER_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
NUMBER_LENGTH: Final = 8
REQUEST_PREFIX: Final = "SP"
GRIEVANCE_PREFIX: Final = "AD"
#: the last digits of the NIK a resident gives to check a request
NIK_SUFFIX_DIGITS: Final = 4
#: wrong Cek status checks a number takes in an office day; after them it answers
#: "not found" to every check, right digits too, until the next day (a setting,
#: `status_check_failures_per_day`; this is its default)
STATUS_CHECK_FAILURES_PER_DAY: Final = 10


#: the organization that keeps the front desk (a setting, `desk_organization`;
#: this is its default): the worker areas' social workers are its staff
DESK_ORGANIZATION: Final = "ORG-DINSOS"
#: Cek status checks and web-form requests a client address may make at once,
#: then per minute (settings `public_burst`, `public_rate_per_minute`; defaults)
PUBLIC_BURST: Final = 5
PUBLIC_RATE_PER_MINUTE: Final = 6.0
#: days a web-form request may wait for the desk to check who typed it
#: (PENDING_VERIFICATION, whose SLA is 2 days) before `hub retention apply`
#: deletes it with what was typed (`web_form_retention_days`)
WEB_FORM_RETENTION_DAYS: Final = 30


def new_number(prefix: str) -> str:
    """A random public number ("SP-7K3QX9M2"): not sequential, so one number says
    nothing of another, or of how many there are."""
    body = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(NUMBER_LENGTH))
    return f"{prefix}-{body}"


def normalise_number(text: str) -> str:
    """A number as typed ("sp 7k3q-x9m2") as it is stored ("SP-7K3QX9M2")."""
    clean = "".join(ch for ch in text.upper() if ch.isalnum())
    return f"{clean[:2]}-{clean[2:]}" if len(clean) > 2 else clean


#: the version prefix of a NIK digest made with the server's key (an HMAC); a
#: digest without a prefix is the first kind, a salted SHA-256, still verified
NIK_DIGEST_VERSION: Final = "h1"


def nik_digest(key: bytes, salt: str, nik_suffix: str) -> str:
    """What a request keeps of its applicant's NIK: an HMAC-SHA256, under the
    server's key, of a per-request salt and the last `NIK_SUFFIX_DIGITS` digits,
    never the digits. Without the key, a copy of the graph does not give the
    10,000 possible suffixes away to a loop."""
    mac = hmac.new(key, f"{salt}:{nik_suffix}".encode(), hashlib.sha256).hexdigest()
    return f"{NIK_DIGEST_VERSION}:{mac}"


def nik_matches(key: bytes, salt: str, nik_suffix: str, stored: str) -> bool:
    """Whether `nik_suffix` is the one `stored` was made of, by the stored
    digest's own rule (an older, unprefixed one is a salted SHA-256); one digest
    computed and compared in constant time either way."""
    if stored.startswith(f"{NIK_DIGEST_VERSION}:"):
        given = nik_digest(key, salt, nik_suffix)
    else:
        given = hashlib.sha256(f"{salt}:{nik_suffix}".encode()).hexdigest()
    return hmac.compare_digest(given.encode(), stored.encode())


def nik_suffix(nik: str | None) -> str | None:
    digits = "".join(ch for ch in nik or "" if ch.isdigit())
    return digits[-NIK_SUFFIX_DIGITS:] if len(digits) >= NIK_SUFFIX_DIGITS else None


_MOBILE: Final = re.compile(r"628\d{8,12}")


def mobile_number(text: str) -> str | None:
    """A mobile (SMS/WhatsApp) number as gateways take it, 628..., from what a
    resident gives (0812-3456-7890, +62 812 3456 7890, 62812...): linkage's
    rule for a mobile (11 to 15 digits from 628, not one digit repeated); None
    when it is not one."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0062"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    digits = re.sub(r"^620+", "62", digits)
    if not _MOBILE.fullmatch(digits) or len(set(digits[3:])) == 1:
        return None
    return digits


# --- what the resident reads -------------------------------------------------------
STATUS_TEXT: Final[Mapping[str, str]] = {
    PENDING_VERIFICATION: "Permohonan Anda sudah kami terima dan menunggu verifikasi "
    "identitas di Dinas Sosial.",
    REGISTERED: "Permohonan Anda sudah kami terima dan dicatat.",
    ASSIGNED: "Pekerja sosial sudah ditunjuk untuk permohonan Anda.",
    ASSESSED: "Pekerja sosial sudah menilai kebutuhan Anda (asesmen).",
    IN_SERVICE: "Permohonan Anda sedang dilayani oleh lembaga yang ditunjuk.",
    ENDED: "Permohonan Anda sudah selesai.",
}
NEXT_STEP_TEXT: Final[Mapping[str, str]] = {
    PENDING_VERIFICATION: "Petugas Dinas Sosial akan memeriksa identitas Anda dalam "
    f"{STEP_SLA_DAYS[PENDING_VERIFICATION]} hari; bawa KTP dan KK bila dihubungi.",
    REGISTERED: "Dinas Sosial akan menunjuk pekerja sosial di wilayah Anda dalam "
    f"{STEP_SLA_DAYS[REGISTERED]} hari.",
    ASSIGNED: "Pekerja sosial akan menghubungi atau mengunjungi Anda untuk asesmen dalam "
    f"{STEP_SLA_DAYS[ASSIGNED]} hari.",
    ASSESSED: "Anda akan dirujuk atau didaftarkan ke layanan yang sesuai dalam "
    f"{STEP_SLA_DAYS[ASSESSED]} hari.",
    IN_SERVICE: "Lembaga akan memberikan layanan; Dinas Sosial memantau sampai selesai.",
    ENDED: "Tidak ada langkah berikutnya. Jika Anda tidak puas, Anda dapat mengajukan "
    "pengaduan di Dinas Sosial.",
}
OUTCOME_TEXT: Final[Mapping[str, str]] = {
    FULFILLED: "Permohonan Anda sudah dipenuhi.",
    PARTLY_FULFILLED: "Permohonan Anda dipenuhi sebagian.",
    REFUSED: "Permohonan Anda tidak dapat dipenuhi.",
}
GRIEVANCE_STATUS_TEXT: Final[Mapping[str, str]] = {
    PENDING_VERIFICATION: "Permohonan Anda sudah kami terima dan menunggu verifikasi "
    "identitas di Dinas Sosial.",
    FILED: "Pengaduan Anda sudah kami terima dan dicatat.",
    ACTED: "Pengaduan Anda sedang ditindaklanjuti.",
    ANSWERED: "Pengaduan Anda sudah dijawab.",
}


def status_sentence(status: str, outcome: str | None = None) -> str:
    if status == ENDED and outcome is not None and outcome in OUTCOME_TEXT:
        return OUTCOME_TEXT[outcome]
    return STATUS_TEXT.get(status, STATUS_TEXT[REGISTERED])


def next_step_sentence(status: str) -> str:
    return NEXT_STEP_TEXT.get(status, NEXT_STEP_TEXT[REGISTERED])


def request_message(number: str, status: str, outcome: str | None = None) -> str:
    """The SMS/WhatsApp text at a request's status change: its number, where it
    stands and what comes next; no name, no problem, no program."""
    return (
        f"Satupintu {number}: {status_sentence(status, outcome)} {next_step_sentence(status)} "
        f"Cek status dengan nomor ini dan {NIK_SUFFIX_DIGITS} angka terakhir NIK Anda."
    )


def grievance_message(number: str, status: str) -> str:
    return f"Satupintu {number}: {GRIEVANCE_STATUS_TEXT.get(status, '')}".strip()


# --- figures for the head of Dinsos ---------------------------------------------------
@dataclass(frozen=True)
class DeskFigures:
    requests: int
    by_need: dict[str, int]
    by_kecamatan: dict[str, int]
    by_status: dict[str, int]
    median_days_to_first_answer: float | None
    median_days_to_end: float | None
    first_answered: int
    """requests with a first answer: what the first median is taken over"""
    ended: int
    ended_within_sla: int
    share_ended_within_sla: float | None
    grievances: int
    grievances_by_kind: dict[str, int]
    grievances_escalated: int


def first_answer_at(row: Mapping[str, Any]) -> datetime | None:
    found = [row.get(STEP_AT[s]) for s in FIRST_ANSWER_STEPS]
    times = [t for t in found if isinstance(t, datetime)]
    return min(times) if times else None


def figures(
    requests: Iterable[Mapping[str, Any]], grievances: Iterable[Mapping[str, Any]], today: date
) -> DeskFigures:
    """The desk's figures over request rows (needs, kecamatan_code, status and
    the step times of `STEP_AT`) and complaint rows (kind, status, filed_at):
    the API's `serviceDeskSummary` and the monthly report's sheet both."""
    rows = list(requests)
    by_need: dict[str, int] = {}
    by_kecamatan: dict[str, int] = {}
    by_status: dict[str, int] = {}
    to_first: list[float] = []
    to_end: list[float] = []
    within = 0
    for row in rows:
        for need in row.get("needs") or ():
            by_need[str(need)] = by_need.get(str(need), 0) + 1
        area = str(row.get("kecamatan_code") or "")
        by_kecamatan[area] = by_kecamatan.get(area, 0) + 1
        status = str(row.get("status") or REGISTERED)
        by_status[status] = by_status.get(status, 0) + 1
        start = row.get(STEP_AT[REGISTERED])
        if not isinstance(start, datetime):
            continue
        first = first_answer_at(row)
        if first is not None:
            to_first.append(days_between(start, first))
        end = row.get(STEP_AT[ENDED])
        if isinstance(end, datetime):
            took = days_between(start, end)
            to_end.append(took)
            within += took <= END_SLA_DAYS
    complaints = list(grievances)
    kinds: dict[str, int] = {}
    escalated = 0
    for g in complaints:
        kinds[str(g.get("kind"))] = kinds.get(str(g.get("kind")), 0) + 1
        filed = g.get("filed_at")
        at = filed if isinstance(filed, datetime) else None
        escalated += escalation_level(str(g.get("kind")), str(g.get("status")), at, today) > 0
    return DeskFigures(
        requests=len(rows),
        by_need=dict(sorted(by_need.items())),
        by_kecamatan=dict(sorted(by_kecamatan.items())),
        by_status={s: by_status[s] for s in STEPS if s in by_status},
        median_days_to_first_answer=_median(to_first),
        median_days_to_end=_median(to_end),
        first_answered=len(to_first),
        ended=len(to_end),
        ended_within_sla=within,
        share_ended_within_sla=within / len(to_end) if to_end else None,
        grievances=len(complaints),
        grievances_by_kind=dict(sorted(kinds.items())),
        grievances_escalated=escalated,
    )


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


# --- social workers by area ------------------------------------------------------------
@dataclass(frozen=True)
class WorkerArea:
    """A social worker (the subject they sign in as) and an area they serve: a
    kelurahan, or a whole kecamatan when `kelurahan_code` is empty."""

    worker: str
    organization: str
    kecamatan_code: str
    kelurahan_code: str | None = None


def workers_for(
    areas: Iterable[WorkerArea], kelurahan_code: str | None, kecamatan_code: str | None
) -> list[WorkerArea]:
    """The workers who serve a kelurahan: those named for it, else those of
    its kecamatan (the kecamatan taken from the kelurahan code's first six
    digits when not given)."""
    known = list(areas)
    if kelurahan_code:
        exact = [a for a in known if a.kelurahan_code == kelurahan_code]
        if exact:
            return exact
    district = kecamatan_code or (kelurahan_code[:6] if kelurahan_code else None)
    return [a for a in known if not a.kelurahan_code and a.kecamatan_code == district]


def known_worker(areas: Iterable[WorkerArea], worker: str) -> bool:
    """Whether `worker` is a social worker of the worker areas (a request is
    assigned to no one else)."""
    return any(a.worker == worker for a in areas)


__all__ = [
    "ACTED",
    "AID_NOT_RECEIVED",
    "AID_TO_INELIGIBLE",
    "ANSWERED",
    "ASSESSED",
    "ASSIGNED",
    "CASEWORK_STEP",
    "CHANNELS",
    "DESK_ORGANIZATION",
    "ENDED",
    "END_NEEDS_REASON",
    "END_SLA_DAYS",
    "ESCALATED_TO",
    "ESCALATION_DAYS",
    "FILED",
    "FINDING_CHECK_DAYS",
    "FULFILLED",
    "GRIEVANCE_ACTIONS",
    "GRIEVANCE_KINDS",
    "GRIEVANCE_PREFIX",
    "GRIEVANCE_STATUSES",
    "IN_SERVICE",
    "NIK_DIGEST_VERSION",
    "NIK_SUFFIX_DIGITS",
    "NO_RULE_FINDING",
    "OUTCOMES",
    "PARTLY_FULFILLED",
    "PENDING_VERIFICATION",
    "PUBLIC_BURST",
    "PUBLIC_RATE_PER_MINUTE",
    "REFUSED",
    "REGISTERED",
    "REQUEST_PREFIX",
    "SERVICE_CONDUCT",
    "STATUS_CHECK_FAILURES_PER_DAY",
    "STEPS",
    "STEP_AT",
    "STEP_SLA_DAYS",
    "WEB_FORM_RETENTION_DAYS",
    "WRONG_DATA",
    "DeskFigures",
    "GrievanceKind",
    "WorkerArea",
    "casework_moves",
    "escalation_level",
    "figures",
    "finding_check_period",
    "grievance_due",
    "grievance_message",
    "known_worker",
    "may_advance",
    "may_assign",
    "may_end",
    "mobile_number",
    "new_number",
    "next_step_sentence",
    "nik_digest",
    "nik_matches",
    "nik_suffix",
    "normalise_number",
    "office_day",
    "office_midnight",
    "office_today",
    "request_due",
    "request_message",
    "request_overdue",
    "status_sentence",
    "verifies",
    "workers_for",
]
