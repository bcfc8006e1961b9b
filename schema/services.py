"""What the resolvers need from the rest of the hub, as Protocols.

schema/ never imports hub/ or graph/: `hub/` builds the implementations and
puts them in the request context (see `schema.context`). `graph.repository.
GraphRepository` satisfies `Repository` structurally; linkage's realtime linker
is wrapped by hub/ into an `Intake`, and its review store into a `ReviewDecider`.

Rows read are `domain.shapes`' (plain dicts with the graph's snake_case keys);
rows written are the typed rows of `domain.rows`. Implementations signal
"the store is down" by raising a `ConnectionError` (graph's GraphUnavailable is
one); the API turns that into a SERVICE_UNAVAILABLE error.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from domain.rows import (
    ChangeRequest,
    Grievance,
    ReferralMove,
    ReportedFinding,
    ServiceRequest,
    WrittenRow,
)
from domain.shapes import AuditPage, Page, Row, Scope
from domain.thresholds import POOR_DECILE_MAX


class ServiceDeskStore(Protocol):
    """The front desk's requests and complaints (graph.service_desk): rows with
    the fields of `domain.rows.ServiceRequest` and `Grievance`. Reads by id
    take the id or the public number."""

    async def unknown_needs(self, codes: Sequence[str]) -> list[str]: ...
    async def register_service_request(self, row: ServiceRequest) -> Row: ...
    async def service_requests_by_id(
        self, ids: Sequence[str], scope: Scope
    ) -> list[Row | None]: ...
    async def service_requests(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str] = (),
        assigned_to: str | None = None,
        kelurahan_code: str | None = None,
        household: str | None = None,
        overdue: bool | None = None,
        today: date,
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def move_service_request(self, expected: str, row: ServiceRequest) -> Row | None: ...
    async def verify_service_request(self, row: ServiceRequest) -> Row | None: ...
    async def open_service_requests(self, household_id: str) -> list[Row]: ...
    async def open_requests_by_worker(self, workers: Sequence[str]) -> dict[str, int]: ...
    async def service_request_for_status(self, number: str) -> Row | None: ...
    async def file_grievance(self, row: Grievance) -> Row: ...
    async def grievances_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]: ...
    async def grievances(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str] = (),
        kinds: Sequence[str] = (),
        hidden_kinds: Sequence[str] = (),
        household: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def move_grievance(self, expected: str, row: Grievance) -> Row | None: ...
    async def record_reported_finding(self, row: ReportedFinding) -> Row: ...
    async def reported_findings_by_id(
        self, ids: Sequence[str], scope: Scope
    ) -> list[Row | None]: ...
    async def reported_findings(
        self,
        scope: Scope,
        *,
        household: str | None = None,
        hidden_kinds: Sequence[str] = (),
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def service_desk_facts(self, start: datetime, end: datetime) -> Row:
        """`requests` and `grievances` registered or filed in [start, end)."""
        ...


class Repository(ServiceDeskStore, Protocol):
    """Reads and writes of the one-data graph. Batched reads return lists
    aligned with the ids they were given."""

    async def households(self, ids: Sequence[str], scope: Scope) -> list[Row | None]: ...
    async def persons(self, ids: Sequence[str], scope: Scope) -> list[Row | None]: ...
    async def granted(self, household_ids: Sequence[str], scope: Scope) -> list[bool]: ...
    async def person_problems(self, person_ids: Sequence[str], scope: Scope) -> list[list[Row]]: ...
    async def household_parts(
        self, household_ids: Sequence[str], parts: Sequence[str], scope: Scope
    ) -> list[dict[str, Any] | None]:
        """Parts of each household's 360° view (`household`, `members`,
        `household_problems`, `current_programs`, `service_history`,
        `assessments`, `referrals`), one statement for all: a dict of the
        parts asked for per household, None where it is not visible."""
        ...

    async def referrals_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]: ...
    async def referrals(
        self,
        scope: Scope,
        *,
        organization: str | None,
        statuses: Sequence[str],
        waiting: Sequence[str],
        moved_before: date | None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def service_directory(
        self, ppks: str | None, kelurahan_code: str | None
    ) -> list[Row]: ...
    async def source_records(self, person_ids: Sequence[str], scope: Scope) -> list[list[Row]]: ...
    async def search_persons(
        self,
        text: str,
        scope: Scope,
        *,
        kelurahan: str | None = None,
        rt: str | None = None,
        rw: str | None = None,
        offset: int = 0,
        limit: int = 20,
        statuses: Sequence[str] = ("active",),
    ) -> Page: ...
    async def find_households(
        self,
        scope: Scope,
        *,
        filters: Mapping[str, Any],
        sort: str = "HOUSEHOLD_ID",
        descending: bool = False,
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def duplicated_aid(
        self,
        scope: Scope,
        *,
        start: date,
        end: date,
        offset: int = 0,
        limit: int = 20,
        household_id: str | None = None,
    ) -> Page: ...
    async def problems(self, scope: Scope) -> list[Row]: ...
    async def mark_enrolments(self, marks: Sequence[Mapping[str, Any]]) -> int: ...
    async def follow_ups(
        self,
        scope: Scope,
        *,
        social_worker: str,
        due: date | None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def targeting_facts(
        self, scope: Scope, *, start: date, end: date, ids: Sequence[str] | None = None
    ) -> list[Row]:
        """Per active visible household (or those of `ids`): household_id,
        kelurahan_code, kecamatan_code, decile, members ([{birth_date, status,
        ppks}]), services in [start, end] and enrolled (active program codes)."""
        ...

    async def eligibility_facts(self, ids: Sequence[str], scope: Scope) -> list[Row | None]:
        """Per id, None unless an active household the caller may see: household_id,
        decile and members ([{birth_date, status, ppks}])."""
        ...

    async def city_targeting_facts(self, scope: Scope, *, start: date, end: date) -> list[Row]:
        """Per active visible household, what the whole city's findings read:
        household_id, kelurahan_code, kecamatan_code, decile, births (ISO date or
        None per active member), problems (PPKS codes per active member with
        one), served (programs with a service in [start, end]) and enrolled."""
        ...

    async def programs_paid(
        self, scope: Scope, programs: Sequence[str], *, start: date, end: date
    ) -> dict[str, dict[str, float]]:
        """By program, per active visible household with an amount from it in
        [start, end]: the sum of those amounts (a missing one counts 0)."""
        ...

    async def graph_stamp(self) -> Hashable:
        """A value that changes whenever the graph changes other than through
        an API write (a load generation begun or published, an erasure)."""
        ...

    async def programs(self, scope: Scope) -> list[Row]: ...
    async def funders(self, scope: Scope) -> list[Row]: ...
    async def program_funders(self, codes: Sequence[str]) -> dict[str, str | None]: ...
    async def visible_households(self, scope: Scope) -> list[str]: ...
    async def write(self, rows: Sequence[WrittenRow]) -> None:
        """Upsert typed rows (`domain.rows`), in order."""
        ...

    async def advance_referral(
        self, move: ReferralMove, scope: Scope, from_status: str
    ) -> Row | None:
        """Move a referral out of `from_status`; None when it is no longer in it."""
        ...

    async def file_change_request(self, row: ChangeRequest) -> Row: ...
    async def change_requests(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str],
        kinds: Sequence[str],
        household: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> Page: ...
    async def change_requests_by_id(self, ids: Sequence[str], scope: Scope) -> list[Row | None]: ...
    async def move_change_request(self, expected: str, row: ChangeRequest) -> Row | None: ...
    async def apply_change_request(self, row: ChangeRequest) -> Row | None: ...


class Analytics(Protocol):
    """City figures computed where the monthly report computes them (hub/ wires
    `reports.analytics` on the published staging generation and the journal),
    so the API and the report give one figure, not two.

    `poverty` returns, per area of `level` (KECAMATAN or KELURAHAN), a row with:
    code, name, population (None when the reference data has none), households,
    people (active persons), poor_people (in households at or below
    `poor_decile` or listed by P3KE) and by_decile ([{decile, households}]);
    counted only among `households` when given (a scoped caller's).

    `coverage_gaps` returns `counts` ([{kecamatan_code, kelurahan_code, ppks,
    households}]) and `households` ([{household_id, unmet_ppks}], by id): the
    households with an active person with a PPKS problem and no active program
    that addresses it, in `area` (a kecamatan or kelurahan code) and of `ppks`
    when given, special-category problems only when `special_category`.

    `targets` returns what the poverty rate is weighed against: baseline and
    target (fractions), population (the city's), population_year and
    population_source (the population file's version).

    `budgets` returns `budgets` ([{funder, program, year, quota_households,
    amount, spent, households}], of `year` when given: what was spent on each
    from the recorded services) and `quarantined` ([{row, reason}], the budgets
    file's rows left out). `funding_pool` returns the year's pool against the
    cost of serving every household in need: year, pool, need_cost, payable,
    share_of_need_covered (None without need) and programs ([{program,
    households_in_need, cost_per_household, need_cost, budget, payable}]);
    see reports.budgets for the definitions. Budgets are the budgets file's
    with the journal's `budget.set` facts applied (reports.budgets.in_force).

    `poverty_trend` returns, per report month from `first` to `last` (YYYY-MM;
    by default the twelve months up to the current one) and per area of
    `level` (CITY, KECAMATAN, KELURAHAN; only `area`, at its own level, when
    given), a row with: month, code, level, population,
    people, poor_people, rate and known (False for a month before the hub's
    first load, whose figures are None); see reports.trend. Raises ValueError
    for months or an area it cannot give."""

    async def poverty(
        self,
        *,
        level: str,
        poor_decile: int = POOR_DECILE_MAX,
        households: Sequence[str] | None = None,
    ) -> list[Row]: ...
    async def coverage_gaps(
        self,
        *,
        area: str | None = None,
        ppks: str | None = None,
        special_category: bool = True,
        households: Sequence[str] | None = None,
    ) -> dict[str, Any]: ...
    async def targets(self) -> Row: ...
    async def budgets(self, *, year: int | None = None) -> Row: ...
    async def funding_pool(self, *, year: int) -> Row: ...
    async def poverty_trend(
        self,
        *,
        first: str | None = None,
        last: str | None = None,
        level: str = "CITY",
        area: str | None = None,
        households: Sequence[str] | None = None,
    ) -> list[Row]: ...
    async def budget_problem(
        self, *, funder: str, program: str, year: int, quota_households: int, amount: float
    ) -> str:
        """Why such a budget may not be set ("" when it may): the budgets file's rules."""
        ...

    async def budget_history(self, *, funder: str, program: str, year: int) -> list[Row]:
        """The budget's values, oldest first: [{quota_households, amount, source
        ('file' or 'api'), set_at, set_by, reason}]."""
        ...


class ProgramCycles(Protocol):
    """Program cycles and their frozen rosters (`schema.cycles`); the hub keeps
    them in `$HUB_HOME/cycles.sqlite` (hub.cycles).

    A cycle row has: cycle_id, program, name, period_start, period_end, status
    (DRAFT, APPROVED, DISTRIBUTED, CLOSED), rule_version, opened_by, opened_at,
    approved_by, approved_at, households and members (the frozen roster's, None
    while a draft), distributed_by, distributed_at, paid_on, funder,
    paid_households, paid_amount, closed_by, closed_at and close_note. A roster
    entry is `domain.cycles.RosterEntry.to_json`'s text."""

    async def open(self, cycle: Mapping[str, Any]) -> Row: ...
    async def approve(
        self,
        cycle_id: str,
        approved_by: str,
        approved_at: datetime,
        rule_version: str,
        roster: Sequence[str],
    ) -> Row | None:
        """Freeze `roster` (entries' JSON, drawn by `rule_version`) with the cycle
        and mark it APPROVED, only if it is still a DRAFT (else None: nothing is
        changed)."""
        ...

    async def distribute(
        self,
        cycle_id: str,
        distributed_by: str,
        distributed_at: datetime,
        paid_on: date,
        funder: str | None,
        payouts: Sequence[tuple[str, float, str]],
    ) -> Row | None:
        """Record the payouts (household, amount, its service's id) and mark the
        cycle DISTRIBUTED, only if it is APPROVED (else None)."""
        ...

    async def close_cycle(
        self, cycle_id: str, closed_by: str, closed_at: datetime, note: str
    ) -> Row | None:
        """Mark a DISTRIBUTED cycle CLOSED (else None)."""
        ...

    async def payouts(self, cycle_id: str) -> dict[str, float]:
        """What each household was paid when the cycle was distributed."""
        ...

    async def cycles(self, *, program: str | None, offset: int, limit: int) -> Page: ...
    async def cycle(self, cycle_id: str) -> Row | None: ...
    async def roster(self, cycle_id: str, *, offset: int, limit: int | None) -> list[str]:
        """The frozen entries, by household id (all of them when `limit` is None)."""
        ...


@dataclass(frozen=True)
class Notification:
    """One SMS or WhatsApp message to a resident: to `phone`, about the request
    or complaint `reference` (its public number), at a status change."""

    phone: str
    text: str
    reference: str
    status: str


class Notifier(Protocol):
    """Sends residents' messages (hub.notify: an outbox table, or a gateway
    webhook). It never raises for a failed send: it records the failure."""

    async def send(self, message: Notification) -> None: ...


class StatusCheckLocks(Protocol):
    """Cek status' wrong checks per number (hub.status_check.FailedChecks): past
    a day's allowance a number answers nothing until Dinsos unlocks it."""

    async def unlock(self, number: str) -> bool:
        """Forget the number's wrong checks; whether it had any."""
        ...


class Intake(Protocol):
    """Real-time linkage of one submitted record (linkage's realtime API).

    Returns at least: record_key, person_id, household_id, match_probability,
    and `new_person` / `new_household` (bool) telling whether the linker made
    new identities (then the API writes them to the graph)."""

    async def submit(self, record: Mapping[str, Any], organization: str) -> Row: ...


class ReviewDecider(Protocol):
    """The clerical review queue. `decide` stores a reviewer's same / not-same
    decision on an uncertain pair (it sticks across later linkage runs) and
    returns it. `open_pairs` lists the open pairs, costliest first, less those
    decided since: rows with pair_id, record_key_l, record_key_r,
    match_probability, cost, to_check (comparison names), evidence (linkage's
    list of comparisons) and records ({record_key: the record as staged, with
    its person_id and household_id})."""

    async def open_pairs(self, *, offset: int, limit: int) -> Page: ...

    async def decide(
        self, record_key_l: str, record_key_r: str, same: bool, reviewer: str, note: str | None
    ) -> Row: ...


class AccessGrants(Protocol):
    """Consent receipts (ISO/IEC TS 27560 in spirit) and Dinsos link
    confirmations: what opens a person's household to an organization beyond
    its own services and referrals. The hub keeps them in SQLite; another
    store (PostgreSQL) plugs in by implementing this.

    A receipt row has: receipt_id, person_id, organization, categories (list),
    purpose, legal_basis, method, recorded_by, recorded_at, valid_from,
    valid_until, withdrawn_at, withdrawn_by, withdrawal_reason, note. A link
    row: link_id, person_id, organization, confirmed_by, confirmed_at, basis,
    note, revoked_at, revoked_by."""

    def opened_persons(self, organization: str, at: datetime) -> list[str]:
        """Persons whose households are opened to the organization at `at`:
        a confirmed, unrevoked link, or a consent in force (not withdrawn,
        `valid_from` <= at < `valid_until`) covering the household view.
        Synchronous: it is asked once per request, when the scope is made."""
        ...

    async def record_consent(self, receipt: Mapping[str, Any]) -> Row: ...
    async def withdraw_consent(
        self,
        receipt_id: str,
        withdrawn_by: str,
        reason: str | None,
        at: datetime,
        organization: str | None = None,
    ) -> Row | None:
        """Withdraw a receipt in force (when `organization` is given, only one
        given to it); None when there is no such receipt."""
        ...

    async def consents(
        self, *, person_id: str | None, organization: str | None, offset: int, limit: int
    ) -> Page: ...
    async def confirm_link(self, link: Mapping[str, Any]) -> Row: ...
    async def revoke_link(self, link_id: str, revoked_by: str, at: datetime) -> Row | None: ...
    async def links(
        self, *, person_id: str | None, organization: str | None, offset: int, limit: int
    ) -> Page: ...


class SubmissionGuard(Protocol):
    """Watches `submitRecord`: a budget per organization, and alerts on
    unusual patterns (many NIKs and no services, many misses, many matches).
    Alert rows have: alert_id, organization, kind, count, threshold,
    window_hours, raised_at, detail."""

    def admit(self, organization: str) -> float:
        """0.0 when the organization may submit now; else seconds to wait."""
        ...

    async def submitted(
        self,
        organization: str,
        *,
        person_id: str,
        household_id: str,
        nik_given: bool,
        matched: bool,
        at: datetime,
    ) -> list[Row]:
        """Note a linked submission; returns the alerts it raised (new ones only)."""
        ...

    async def served(self, organization: str, household_id: str, at: datetime) -> None:
        """Note a service the organization recorded for a household."""
        ...

    async def alerts(self, *, organization: str | None, offset: int, limit: int) -> Page: ...


@dataclass(frozen=True)
class AuditEntry:
    """One read or write of personal data, as the API hands it to the audit log."""

    subject: str
    organization: str
    role: str
    operation: str
    """`read:<field path>` or `write:<mutation>`, e.g. `read:household.members`."""
    person_ids: tuple[str, ...] = ()
    household_ids: tuple[str, ...] = ()
    purpose: str | None = None


class PurposeResolver(Protocol):
    """The purpose registry (UU PDP): a stated purpose (`code` or `code: note`)
    -> what the audit log records (with the purpose's legal basis), or None
    when it is not registered and must be refused."""

    def resolve(self, stated: str) -> str | None: ...
    def codes(self) -> Sequence[str]: ...


class AuditSink(Protocol):
    """The append-only audit log (hub's hash-chained AuditLog, adapted).

    `record` appends a request's entries at once; `entries` pages the log
    newest first, optionally only events involving one person, and returns
    rows with: seq, ts, subject, organization, role, operation, person_ids,
    household_ids, purpose, hash. Paging is over a snapshot: only events up
    to seq `as_of` (when None, the newest now), which the page returns as
    `as_of`; the log is append-only, so later pages of a snapshot never shift
    while new events (such as reading the log) arrive."""

    async def record(self, entries: Sequence[AuditEntry]) -> None: ...
    async def entries(
        self, *, person_id: str | None, offset: int, limit: int, as_of: int | None = None
    ) -> AuditPage: ...


#: Standardises a free-text name into search tokens ("Moch. Soepriatna" ->
#: ["muhammad", "supriatna"]); linkage's standardisation plugs in here.
NameNormaliser = Callable[[str], Sequence[str]]

__all__ = [
    "AccessGrants",
    "Analytics",
    "AuditEntry",
    "AuditSink",
    "Intake",
    "NameNormaliser",
    "Notification",
    "Notifier",
    "PurposeResolver",
    "Repository",
    "ReviewDecider",
    "ServiceDeskStore",
    "StatusCheckLocks",
    "SubmissionGuard",
]
