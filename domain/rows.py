"""The typed rows that cross a package boundary: each entity the API writes to
the graph, defined once. schema/ builds them (mutations) and journals them
(`schema.journaling`), graph/ writes them (`GraphRepository.write`) and
hub.journal_replay reads them back from the journal and writes the same rows.

A row's `ENTITY` is its name in the journal (a fact's `table`) and in the
graph loader's tables; `KEYS` are the fields that identify it. Every field but
the keys has a default, so a row can be rebuilt from a journal's JSON, which
keeps what it was given (`from_mapping`). `Household` is also the one list of
a household's fields: the graph loader stores `HOUSEHOLD_PROPERTIES`, the
repository reads `HOUSEHOLD_FIELDS`, the GraphQL type shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from types import UnionType
from typing import Any, ClassVar, Final, Self, TypeAlias, get_args, get_type_hints


@dataclass(frozen=True, kw_only=True)
class GraphRow:
    """What every row has: its entity's name, its keys, its fields as a dict."""

    ENTITY: ClassVar[str]
    KEYS: ClassVar[tuple[str, ...]]

    def as_dict(self) -> dict[str, Any]:
        """The row's fields, lists as lists (the graph and JSON take those)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @property
    def key(self) -> str:
        """The id the row is known by (`household_id:program` for an enrolment)."""
        key = self.key_of(self.as_dict())
        assert key is not None, f"a {self.ENTITY} row without its keys"
        return key

    @classmethod
    def key_of(cls, data: Mapping[str, Any]) -> str | None:
        """The id of a row given as a mapping; None when a key is missing."""
        parts = [data.get(k) for k in cls.KEYS]
        return None if any(p in (None, "") for p in parts) else ":".join(map(str, parts))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def typed(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        """The row's fields found in `data`, dates and times read back from the
        ISO text JSON keeps them as, lists as tuples; other keys left out."""
        hints = _hints(cls)
        return {
            name: _parsed(hints[name], data[name]) for name in cls.field_names() if name in data
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Self:
        """The row from a mapping (a journal's JSON, a graph row): see `typed`."""
        return cls(**cls.typed(data))


@dataclass(frozen=True, kw_only=True)
class Household(GraphRow):
    """A household: one family card (KK) at one address, as linked. Adding a
    field: see README, "Adding a household field"."""

    ENTITY: ClassVar[str] = "households"
    KEYS: ClassVar[tuple[str, ...]] = ("household_id",)
    household_id: str
    no_kk: str | None = None
    address: str | None = None
    street: str | None = None
    house_number: str | None = None
    rt: str | None = None
    rw: str | None = None
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    welfare_decile: int | None = None
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class Person(GraphRow):
    ENTITY: ClassVar[str] = "persons"
    KEYS: ClassVar[tuple[str, ...]] = ("person_id",)
    person_id: str
    household_id: str | None = None
    full_name: str | None = None
    name_tokens: str | None = None
    nik: str | None = None
    no_kk: str | None = None
    birth_date: date | None = None
    birth_place: str | None = None
    sex: str | None = None
    relationship: str | None = None
    phone: str | None = None
    status: str | None = None
    ppks: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SourceRecord(GraphRow):
    """A record as a source (or the API, `via_api`) holds it, linked to its person."""

    ENTITY: ClassVar[str] = "source_records"
    KEYS: ClassVar[tuple[str, ...]] = ("record_key",)
    record_key: str
    source: str | None = None
    organization: str | None = None
    source_record_id: str | None = None
    person_id: str | None = None
    full_name: str | None = None
    nik: str | None = None
    no_kk: str | None = None
    birth_date: date | None = None
    address: str | None = None
    rt: str | None = None
    rw: str | None = None
    kelurahan: str | None = None
    match_probability: float | None = None
    loaded_at: datetime | None = None
    via_api: bool = False


@dataclass(frozen=True, kw_only=True)
class MatchEvidence(GraphRow):
    """Why two records are one person: the link's probability, weight and
    evidence (JSON text)."""

    ENTITY: ClassVar[str] = "match_evidence"
    KEYS: ClassVar[tuple[str, ...]] = ("record_key_l", "record_key_r")
    record_key_l: str
    record_key_r: str
    match_probability: float | None = None
    match_weight: float | None = None
    evidence: str | None = None


@dataclass(frozen=True, kw_only=True)
class Service(GraphRow):
    """A service or benefit delivered to a household (and maybe one member).
    `link_pending`: delivered to a household the organization sees only
    through its own submissions, so it opens nothing (no SERVES)."""

    ENTITY: ClassVar[str] = "services"
    KEYS: ClassVar[tuple[str, ...]] = ("service_id",)
    service_id: str
    household_id: str | None = None
    person_id: str | None = None
    program: str | None = None
    service_date: date | None = None
    amount: float | None = None
    funder: str | None = None
    organization: str | None = None
    source: str | None = None
    record_key: str | None = None
    link_pending: bool = False


@dataclass(frozen=True, kw_only=True)
class Enrolment(GraphRow):
    ENTITY: ClassVar[str] = "enrolments"
    KEYS: ClassVar[tuple[str, ...]] = ("household_id", "program")
    household_id: str
    program: str
    since: date | None = None
    until: date | None = None
    active: bool | None = None
    organization: str | None = None
    override_reason: str | None = None
    """Why a social worker or Dinsos enrolled a household its program's rule
    finds not eligible (see `enrolHousehold`); None when it is eligible."""


@dataclass(frozen=True, kw_only=True)
class Assessment(GraphRow):
    """A social worker's assessment; `ppks` (the problems found) is special
    category data. Its intervention plan: `plan` in words, `goals`, the
    `programs` (catalogue codes) matched to the problems and the
    `follow_up_on` date. An edit is a new version that `revises` the one it
    replaces, which is kept."""

    ENTITY: ClassVar[str] = "assessments"
    KEYS: ClassVar[tuple[str, ...]] = ("assessment_id",)
    assessment_id: str
    household_id: str | None = None
    person_id: str | None = None
    assessed_on: date | None = None
    social_worker: str | None = None
    organization: str | None = None
    plan: str | None = None
    notes: str | None = None
    ppks: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    follow_up_on: date | None = None
    version: int = 1
    revises: str | None = None


@dataclass(frozen=True, kw_only=True)
class Referral(GraphRow):
    """A referral of a household to another organization, as created.
    `from_scoped`: made by a relationship-scoped organization (it opens
    nothing once its household is merged). Referred onward (`referOnward`):
    the referral it was made from (`onward_from`), and on that one the
    referral it became (`onward_to`) and its receiver (`onward_org`)."""

    ENTITY: ClassVar[str] = "referrals"
    KEYS: ClassVar[tuple[str, ...]] = ("referral_id",)
    referral_id: str
    household_id: str | None = None
    from_org: str | None = None
    to_org: str | None = None
    program: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    note: str | None = None
    history: tuple[str, ...] = ()
    from_scoped: bool | None = None
    onward_from: str | None = None
    onward_to: str | None = None
    onward_org: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReferralMove(GraphRow):
    """A referral moved to its next status: what changes, journaled as a
    referral's row (a replay folds it into the referral it moves). Referred
    onward, it names the referral it became and that one's receiver."""

    ENTITY: ClassVar[str] = "referrals"
    KEYS: ClassVar[tuple[str, ...]] = ("referral_id",)
    referral_id: str
    status: str
    updated_at: datetime
    household_id: str | None = None
    from_org: str | None = None
    to_org: str | None = None
    program: str | None = None
    note: str | None = None
    history: tuple[str, ...] = ()
    onward_to: str | None = None
    onward_org: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeRequest(GraphRow):
    """A change request (usulan, perbaikan, penonaktifan) as it stands:
    `changes` is the corrections as JSON text, `effect` what applying it did."""

    ENTITY: ClassVar[str] = "change_requests"
    KEYS: ClassVar[tuple[str, ...]] = ("request_id",)
    request_id: str
    kind: str | None = None
    household_id: str | None = None
    person_id: str | None = None
    reason: str | None = None
    status: str | None = None
    history: tuple[str, ...] = ()
    organization: str | None = None
    changes: str | None = None
    filed_at: datetime | None = None
    filed_by: str | None = None
    verified_at: datetime | None = None
    verified_by: str | None = None
    approved_at: datetime | None = None
    approved_by: str | None = None
    applied_at: datetime | None = None
    applied_by: str | None = None
    rejected_at: datetime | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None
    effect: str | None = None


@dataclass(frozen=True, kw_only=True)
class ServiceRequest(GraphRow):
    """A resident's request at the front desk (permohonan) as it stands (see
    `domain.service_desk`). `phone` (the contact), `nik_check` (a salted
    digest of the applicant's NIK's last digits, with `nik_salt`) and
    `applicant` (what a web-form applicant typed, as JSON, kept only until the
    front desk verifies them) stay out of the journal
    (`schema.journaling.IDENTIFYING`)."""

    ENTITY: ClassVar[str] = "service_requests"
    KEYS: ClassVar[tuple[str, ...]] = ("service_request_id",)
    service_request_id: str
    number: str | None = None
    household_id: str | None = None
    person_id: str | None = None
    kelurahan_code: str | None = None
    kecamatan_code: str | None = None
    needs: tuple[str, ...] = ()
    channel: str | None = None
    note: str | None = None
    status: str | None = None
    history: tuple[str, ...] = ()
    organization: str | None = None
    registered_by: str | None = None
    received_at: datetime | None = None
    registered_at: datetime | None = None
    assigned_to: str | None = None
    assigned_at: datetime | None = None
    assessed_at: datetime | None = None
    in_service_at: datetime | None = None
    ended_at: datetime | None = None
    step_note: str | None = None
    outcome: str | None = None
    outcome_reason: str | None = None
    grievance_id: str | None = None
    phone: str | None = None
    nik_check: str | None = None
    nik_salt: str | None = None
    applicant: str | None = None


@dataclass(frozen=True, kw_only=True)
class Grievance(GraphRow):
    """A complaint (pengaduan) as it stands: `household_id` is None for an
    anonymous one; `action` what it became (`linked_id` the change request or
    service request made of it); `answer` what the resident reads."""

    ENTITY: ClassVar[str] = "grievances"
    KEYS: ClassVar[tuple[str, ...]] = ("grievance_id",)
    grievance_id: str
    number: str | None = None
    kind: str | None = None
    household_id: str | None = None
    anonymous: bool = False
    text: str | None = None
    status: str | None = None
    history: tuple[str, ...] = ()
    organization: str | None = None
    filed_by: str | None = None
    filed_at: datetime | None = None
    action: str | None = None
    linked_id: str | None = None
    acted_by: str | None = None
    acted_at: datetime | None = None
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None
    phone: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReportedFinding(GraphRow):
    """A targeting finding a complaint reported (a grievance acted on as
    TARGETING_FINDING): the household's targeting check (`domain.targeting`)
    run then, over [period_start, period_end] with eligibility judged on
    period_end. `findings` holds what the check found, as JSON (a list of
    `domain.targeting.finding_record`s; empty: no rule finding, to be checked in
    the field); the complaint's number is its evidence."""

    ENTITY: ClassVar[str] = "reported_findings"
    KEYS: ClassVar[tuple[str, ...]] = ("reported_finding_id",)
    reported_finding_id: str
    grievance_id: str | None = None
    grievance_number: str | None = None
    grievance_kind: str | None = None
    household_id: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    findings: str | None = None
    rules_version: str | None = None
    organization: str | None = None
    reported_by: str | None = None
    reported_at: datetime | None = None


def rt_rw(value: Any) -> str | None:
    """An RT or RW as the graph stores it: three digits ('3' -> '003'); None
    for none. Every reader matching a given RT/RW (a search, a DCI filter)
    pads it so."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    return text.zfill(3) if text.isdigit() else text


#: A household's fields, in order; the first is its key.
HOUSEHOLD_FIELDS: Final[tuple[str, ...]] = Household.field_names()
#: What the graph stores on a household besides its key.
HOUSEHOLD_PROPERTIES: Final[tuple[str, ...]] = tuple(
    f for f in HOUSEHOLD_FIELDS if f not in Household.KEYS
)

#: The rows `GraphRepository.write` takes (a referral's move and a change
#: request have their own statements).
WrittenRow: TypeAlias = (
    Household | Person | SourceRecord | MatchEvidence | Service | Enrolment | Assessment | Referral
)

#: The rows the API journals, by entity (a journal fact's `table`).
JOURNALED: Final[dict[str, type[GraphRow]]] = {
    row.ENTITY: row
    for row in (
        Service,
        Enrolment,
        Assessment,
        Referral,
        ChangeRequest,
        ServiceRequest,
        Grievance,
        ReportedFinding,
    )
}


_HINTS: dict[type[GraphRow], dict[str, Any]] = {}


def _hints(cls: type[GraphRow]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _parsed(hint: Any, value: Any) -> Any:
    kinds = get_args(hint) if isinstance(hint, UnionType) else (hint,)
    if isinstance(value, str):
        if datetime in kinds:
            return datetime.fromisoformat(value)
        if date in kinds:
            return date.fromisoformat(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


__all__ = [
    "HOUSEHOLD_FIELDS",
    "HOUSEHOLD_PROPERTIES",
    "JOURNALED",
    "Assessment",
    "ChangeRequest",
    "Enrolment",
    "GraphRow",
    "Grievance",
    "Household",
    "MatchEvidence",
    "Person",
    "Referral",
    "ReferralMove",
    "ReportedFinding",
    "Service",
    "ServiceRequest",
    "SourceRecord",
    "WrittenRow",
    "rt_rw",
]
