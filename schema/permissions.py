"""What each role may see and do: THE role table of the hub, as data.

`hub.security.principal` re-exports `POLICIES` as its `ROLE_POLICIES` (schema/
never imports hub/, so the table lives here, and the hub's test asserts the
two names are one object). Resolvers and the Cypher scope ask the policy's
flags (`policy.masks_identifiers`, ...) rather than compare role names.

NIK (Nomor Induk Kependudukan) is the 16-digit identity number of a person;
KK (Kartu Keluarga) is the 16-digit family-card number of a household.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any, Final, Protocol

from domain.service_desk import GRIEVANCE_KINDS
from domain.shapes import Scope
from schema.errors import Forbidden, InputError

#: Cells (group counts) under this size are suppressed for aggregate-only roles.
SMALL_CELL_THRESHOLD: Final = 5


class Principal(Protocol):
    """The caller, as the auth layer puts it in the context."""

    @property
    def organization(self) -> str: ...
    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Policy:
    can_see_personal: bool
    """Named people and households (names, addresses, identifiers) are visible."""
    sees_special_category: bool
    """Special-category PPKS (health, criminal, sexual, drugs, trafficking,
    violence) and assessments are visible on named people."""
    aggregates_only: bool
    """Only counts and rates, with cells under `min_cell_size` suppressed."""
    masks_identifiers: bool
    """NIK, KK and phone numbers are shown masked (`3273**********01`)."""
    relationship_scoped: bool
    """Sees only households opened to it: it serves them, was referred them,
    holds a consent or a Dinsos-confirmed link for a member, or made them of
    its own records. A record it submits about a known person shows it that
    person as it sent them, not the household."""
    audit_only: bool
    """Reads the audit log and nothing else."""
    can_write: bool
    """May submit records and services, refer, enrol and file change requests."""
    casework: bool = False
    """May record assessments and decide review pairs (social workers, Dinsos)."""
    reads_audit_log: bool = False
    sets_budgets: bool = False
    """May change a funder's budget (`setBudget`): Dinsos administrators."""
    own_funding_only: bool = False
    """Services it records are funded by itself (a foundation's own money)."""
    names_other_providers: bool = True
    """Other organizations are named on what they hold or did: their source records
    (source, record key and id), services, enrolments, match evidence and funding.
    When False only counts, programs, dates and amounts of others show (see
    `Provenance` and README, Protection)."""
    min_cell_size: int = 0
    description: str = ""

    @property
    def masks_nik_kk(self) -> bool:
        return self.masks_identifiers


_NONE: Final = Policy(
    False, False, False, True, True, True, False, description="An unknown role: nothing."
)

POLICIES: Final = MappingProxyType(
    {
        "dinsos_admin": Policy(
            can_see_personal=True,
            sees_special_category=True,
            aggregates_only=False,
            masks_identifiers=False,
            relationship_scoped=False,
            audit_only=False,
            can_write=True,
            casework=True,
            reads_audit_log=True,
            sets_budgets=True,
            description="Dinas Sosial staff: everything, including "
            "special-category PPKS, and the audit log.",
        ),
        "social_worker": Policy(
            can_see_personal=True,
            sees_special_category=True,
            aggregates_only=False,
            masks_identifiers=False,
            relationship_scoped=False,
            audit_only=False,
            can_write=True,
            casework=True,
            description="Pekerja sosial: case work on named people, "
            "including special-category PPKS and assessments.",
        ),
        "agency": Policy(
            can_see_personal=True,
            sees_special_category=False,
            aggregates_only=False,
            masks_identifiers=True,
            relationship_scoped=True,
            audit_only=False,
            can_write=True,
            names_other_providers=False,
            description="A partner agency: households it serves, was referred, "
            "or holds consent or a confirmed link for; NIK, KK "
            "and phone masked.",
        ),
        "foundation": Policy(
            can_see_personal=True,
            sees_special_category=False,
            aggregates_only=False,
            masks_identifiers=True,
            relationship_scoped=True,
            audit_only=False,
            can_write=True,
            own_funding_only=True,
            names_other_providers=False,
            description="A foundation (yayasan): households it serves, was "
            "referred, or holds consent or a confirmed link for; "
            "NIK, KK and phone masked; its own services only.",
        ),
        "analyst": Policy(
            can_see_personal=False,
            sees_special_category=False,
            aggregates_only=True,
            masks_identifiers=True,
            relationship_scoped=False,
            audit_only=False,
            can_write=False,
            min_cell_size=SMALL_CELL_THRESHOLD,
            description="Aggregates only, with cells under 5 suppressed; no named people.",
        ),
        "auditor": Policy(
            can_see_personal=False,
            sees_special_category=False,
            aggregates_only=False,
            masks_identifiers=True,
            relationship_scoped=False,
            audit_only=True,
            can_write=False,
            reads_audit_log=True,
            description="The audit log only.",
        ),
    }
)


def policy_for(principal: Any) -> Policy:
    """The policy of the principal's role; an unknown role may do nothing."""
    return POLICIES.get(str(getattr(principal, "role", None)), _NONE)


def scope_for(principal: Any, opened: Sequence[str] = ()) -> Scope:
    """What the principal may see; `opened` are persons whose households consent
    or a confirmed link open to its organization (ignored for unscoped roles)."""
    policy = policy_for(principal)
    scoped = policy.relationship_scoped
    return {
        "organization": str(getattr(principal, "organization", "")) if scoped else None,
        "special_category": policy.sees_special_category,
        "opened": list(opened) if scoped else [],
    }


class ConsentCategory(Enum):
    """What a consent receipt may cover (ISO/IEC TS 27560's data categories, as
    the household view shows them)."""

    IDENTITY = "IDENTITY"
    """The person's own name and identifiers."""
    HOUSEHOLD = "HOUSEHOLD"
    """The other members and the address."""
    PROBLEMS = "PROBLEMS"
    """PPKS problems (special categories stay hidden from scoped roles)."""
    PROGRAMS = "PROGRAMS"
    """Enrolments."""
    SERVICES = "SERVICES"
    """The service history."""


CONSENT_CATEGORIES: Final = tuple(c.value for c in ConsentCategory)

#: A consent opens a person's household to an organization only when it covers
#: all of these, the parts of the household view; a narrower consent is kept as
#: a receipt and opens nothing.
HOUSEHOLD_VIEW_CATEGORIES: Final = frozenset({"HOUSEHOLD", "PROBLEMS", "PROGRAMS", "SERVICES"})


@dataclass(frozen=True)
class Provenance:
    """Which organizations a caller may see named on records, services, enrolments,
    match evidence and funding: every one, or only its own.

    The rule (README, Protection): an agency or foundation learns enough to avoid
    duplicated aid (that others hold records on a person or served a household, how
    many, and the programs, dates and amounts of that aid), never who serves whom
    (another organization's name, source, record key or record id)."""

    organization: str
    names_others: bool

    def shows(self, owner: object) -> bool:
        """Whether something held or done by `owner` (an organization id) may name it."""
        return self.names_others or (owner is not None and str(owner) == self.organization)

    def name(self, value: str | None, owner: object) -> str | None:
        """`value` (an organization, a source, a record key) when `owner` may be named."""
        return value if self.shows(owner) else None

    def funder(self, code: str | None, is_organization: object) -> str | None:
        """A funder: a kind of budget (APBN, FOUNDATION, ZAKAT) always shows; a funder
        that is an organization (its own money) is named like any organization."""
        return self.name(code, code) if is_organization else code


def provenance_for(principal: Any) -> Provenance:
    return Provenance(
        organization=str(getattr(principal, "organization", "")),
        names_others=policy_for(principal).names_other_providers,
    )


def _role(principal: Any) -> str:
    return str(getattr(principal, "role", "unknown"))


def require_personal(principal: Any) -> Policy:
    policy = policy_for(principal)
    if not policy.can_see_personal:
        raise Forbidden(
            f"the {_role(principal)} role cannot read named people or households; "
            "ask for aggregates (coverageGaps counts, povertyIndicators, programs, "
            "funders) instead."
        )
    return policy


def require_aggregates(principal: Any) -> Policy:
    policy = policy_for(principal)
    if policy.audit_only or not (policy.aggregates_only or policy.can_see_personal):
        raise Forbidden(f"the {_role(principal)} role cannot read aggregates.")
    return policy


def require_budget_reader(principal: Any) -> Policy:
    """Budgets, spending and the funding pool: analysts and Dinsos roles."""
    policy = policy_for(principal)
    if not (policy.aggregates_only or policy.casework):
        raise Forbidden(
            f"the {_role(principal)} role cannot read budgets; they are for analysts "
            "and Dinsos staff."
        )
    return policy


def require_write(principal: Any) -> Policy:
    policy = policy_for(principal)
    if not policy.can_write:
        raise Forbidden(f"the {_role(principal)} role cannot change data.")
    return policy


def require_casework(principal: Any) -> Policy:
    """Assessments and review decisions: social workers and Dinsos only."""
    policy = policy_for(principal)
    if not policy.casework:
        raise Forbidden(
            f"the {_role(principal)} role cannot do this: only social workers and "
            "Dinsos staff record assessments and decide review pairs."
        )
    return policy


def hidden_grievance_kinds(principal: Any) -> tuple[str, ...]:
    """The complaint kinds the caller may not read at all: those for Dinsos'
    administrators only (`domain.service_desk.GrievanceKind.administrators_only`)."""
    if _role(principal) == "dinsos_admin":
        return ()
    return tuple(k.code for k in GRIEVANCE_KINDS.values() if k.administrators_only)


def sees_eligibility(policy: Policy) -> bool:
    """Whether a household's eligibility and targeting findings show: their
    conditions name a disabled member (special-category health data), and an
    outcome gives it away by inference, so only for those who see that."""
    return policy.can_see_personal and policy.sees_special_category


def require_eligibility(principal: Any) -> Policy:
    """Named targeting findings: social workers and Dinsos only (`sees_eligibility`)."""
    policy = policy_for(principal)
    if not sees_eligibility(policy):
        raise Forbidden(
            f"the {_role(principal)} role cannot read households' eligibility: its "
            "conditions name disabilities, which only social workers and Dinsos see. "
            "Ask targetingSummary for counts by area instead."
        )
    return policy


def require_city_aggregates(principal: Any) -> Policy:
    """Counts over the whole city (targeting summary, eligibility what-if): analysts
    and Dinsos; not a relationship-scoped organization, whose few households
    would let a count name one."""
    policy = require_aggregates(principal)
    if policy.relationship_scoped:
        raise Forbidden(
            f"the {_role(principal)} role cannot read city-wide targeting figures; "
            "they are for analysts and Dinsos."
        )
    return policy


def require_alert_reader(principal: Any) -> Policy:
    """Consent receipts, link confirmations and submission alerts: Dinsos
    roles and the auditor."""
    policy = policy_for(principal)
    if not (policy.casework or policy.reads_audit_log):
        raise Forbidden(
            f"the {_role(principal)} role cannot read consent receipts, link "
            "confirmations or submission alerts; they are for Dinsos staff and "
            "the auditor."
        )
    return policy


def require_audit_reader(principal: Any) -> Policy:
    policy = policy_for(principal)
    if not policy.reads_audit_log:
        raise Forbidden(
            f"the {_role(principal)} role cannot read the audit log; it is for "
            "the auditor and Dinsos administrators."
        )
    return policy


#: The change-request lifecycle, one home for who may take which step: a
#: request in the status on the left moves to the status given, by one of the
#: roles given; whoever may take a request's next step may reject it instead,
#: with a reason. FILED -> VERIFIED (a social worker checks it against the
#: family and the records) -> APPROVED (Dinsos) -> APPLIED (Dinsos applies it
#: to the data); REJECTED ends it at any step.
CHANGE_REQUEST_STEPS: Final[Mapping[str, tuple[str, frozenset[str]]]] = MappingProxyType(
    {
        "FILED": ("VERIFIED", frozenset({"social_worker", "dinsos_admin"})),
        "VERIFIED": ("APPROVED", frozenset({"dinsos_admin"})),
        "APPROVED": ("APPLIED", frozenset({"dinsos_admin"})),
    }
)
CHANGE_REQUEST_REJECTED: Final = "REJECTED"


def require_change_step(principal: Any, current: str, target: str) -> None:
    """May the principal move a change request that is `current` to `target`
    (the next status, or REJECTED)? Raises Forbidden, or InputError for a
    move the lifecycle does not have."""
    require_step(CHANGE_REQUEST_STEPS, "change request", principal, current, target)


def require_step(
    steps: Mapping[str, tuple[str, frozenset[str]]],
    noun: str,
    principal: Any,
    current: str,
    target: str,
) -> None:
    """The one check of a lifecycle table (`CHANGE_REQUEST_STEPS`,
    `PROGRAM_CYCLE_STEPS`): a `noun` that is `current` moves to its next status
    (or is REJECTED) by one of that step's roles."""
    step = steps.get(current)
    if step is None:
        raise InputError("id", f"a {noun} that is {current} is closed; it moves no further.")
    following, roles = step
    if target not in (following, CHANGE_REQUEST_REJECTED):
        raise InputError(
            "id",
            f"a {noun} that is {current} moves to {following} "
            f"or {CHANGE_REQUEST_REJECTED}, not {target}.",
        )
    if _role(principal) not in roles:
        raise Forbidden(
            f"the {_role(principal)} role cannot move a {current} {noun}: "
            f"{' or '.join(sorted(roles))} does."
        )


def require_four_eyes(done_by: object, who: str, done: str, step: str) -> None:
    """Four eyes: whoever did the earlier step (`done`, e.g. "the request was
    verified") may not take `step` too (e.g. "approves")."""
    if done_by is not None and str(done_by) == who:
        raise InputError("id", f"{done} by you; another person {step} it (four eyes).")


#: A program cycle's lifecycle (`schema.cycles`): a social worker or Dinsos
#: opens a DRAFT (its roster drawn live), a Dinsos administrator other than the
#: opener approves it, which freezes the roster (APPROVED); a Dinsos
#: administrator other than the approver records what was paid out against it
#: (DISTRIBUTED), and one other than that recorder closes it (CLOSED).
PROGRAM_CYCLE_STEPS: Final[Mapping[str, tuple[str, frozenset[str]]]] = MappingProxyType(
    {
        "DRAFT": ("APPROVED", frozenset({"dinsos_admin"})),
        "APPROVED": ("DISTRIBUTED", frozenset({"dinsos_admin"})),
        "DISTRIBUTED": ("CLOSED", frozenset({"dinsos_admin"})),
    }
)


def require_budget_setter(principal: Any) -> Policy:
    """Changing a budget (`setBudget`): Dinsos administrators only."""
    policy = policy_for(principal)
    if not policy.sets_budgets:
        raise Forbidden(
            f"the {_role(principal)} role cannot change budgets; Dinsos administrators do."
        )
    return policy


def require_change_mover(principal: Any) -> None:
    """Only the roles that take some step of the lifecycle move change requests."""
    if not any(_role(principal) in roles for _, roles in CHANGE_REQUEST_STEPS.values()):
        raise Forbidden(
            f"the {_role(principal)} role cannot verify, approve, apply or reject "
            "change requests; social workers and Dinsos do."
        )


def mask_middle(value: str | None, keep_start: int, keep_end: int) -> str | None:
    """Every character but the first `keep_start` and last `keep_end` as `*`;
    values too short to keep anything are masked whole."""
    if value is None:
        return None
    text = "".join(value.split())
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def mask_nik(nik: str | None) -> str | None:
    """`3273012345670001` -> `3273**********01` (the city code and two digits stay)."""
    return mask_middle(nik, 4, 2)


def mask_kk(kk: str | None) -> str | None:
    return mask_middle(kk, 4, 2)


def mask_phone(phone: str | None) -> str | None:
    """`081234567890` -> `0812*****890`."""
    return mask_middle(phone, 4, 3)


def mask(value: str | None, policy: Policy) -> str | None:
    """NIK/KK as `3273**********01` for roles that must not see them whole."""
    return mask_nik(value) if policy.masks_identifiers else value


def mask_contact(value: str | None, policy: Policy) -> str | None:
    return mask_phone(value) if policy.masks_identifiers else value


#: In free text (notes, purposes): a NIK or KK (16 digits) and a phone number
#: (0 or +62, then 8 and 9 to 12 more digits), spaces, dots or dashes allowed between.
_TEXT_IDENTIFIERS: Final = (
    (re.compile(r"(?<!\d)\d(?:[ .-]?\d){15}(?!\d)"), mask_nik),
    (re.compile(r"(?<![\d+])(?:\+?62|0)[ .-]?8(?:[ .-]?\d){7,11}(?!\d)"), mask_phone),
)


def mask_text(text: str | None, policy: Policy) -> str | None:
    """Free text someone wrote (a referral note, a purpose), with any NIK, KK or phone
    number in it masked for roles that must not see them whole."""
    if text is None or not policy.masks_identifiers:
        return text
    for pattern, masker in _TEXT_IDENTIFIERS:
        text = pattern.sub(_masked_match(masker), text)
    return text


def _masked_match(masker: Callable[[str | None], str | None]) -> Callable[[re.Match[str]], str]:
    def masked(match: re.Match[str]) -> str:
        return masker("".join(ch for ch in match.group() if ch.isdigit())) or ""

    return masked


def _as_is(value: Any) -> Any:
    return value


#: Every value match evidence carries (linkage's standardised columns, the
#: `values` of each comparison; see `linkage.explain.COMPARISON_VALUES`), with how
#: a role that masks identifiers sees it: masked, or as it is. A value under a key
#: not declared here is withheld from those roles (null), so a new column is hidden
#: until it is declared; tests/linkage checks that every column is.
EVIDENCE_VALUES: Final[Mapping[str, Callable[[Any], Any]]] = MappingProxyType(
    {
        "nik_clean": mask_nik,
        "kk_clean": mask_kk,
        "phone_clean": mask_phone,
        "name_clean": _as_is,
        "birth_date": _as_is,
        "nik_birth_date": _as_is,
        "sex": _as_is,
        "home_key": _as_is,
    }
)
#: What each comparison of the evidence says besides its values (no personal data).
EVIDENCE_KEYS: Final = ("comparison", "level", "match_weight")


def mask_evidence(evidence: Any, policy: Policy) -> Any:
    """Match evidence (a list of comparisons, as linkage writes it) as the role may
    see it: identifiers masked per EVIDENCE_VALUES, undeclared values and anything
    not in that shape withheld."""
    if not policy.masks_identifiers:
        return evidence
    if not isinstance(evidence, list):
        return None
    return [_masked_comparison(c) for c in evidence if isinstance(c, Mapping)]


def _masked_comparison(comparison: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: comparison[k] for k in EVIDENCE_KEYS if k in comparison}
    values = comparison.get("values")
    if isinstance(values, Mapping):
        out["values"] = {str(k): _masked_value(str(k), v) for k, v in values.items()}
    return out


def _masked_value(key: str, value: Any) -> Any:
    show = EVIDENCE_VALUES.get(key)
    if show is None:
        return None
    if isinstance(value, list):
        return [_shown(show, v) for v in value]
    return _shown(show, value)


def _shown(show: Callable[[Any], Any], value: Any) -> Any:
    if value is None or show is _as_is:
        return value
    return show(str(value))


def suppress(count: int, policy: Policy) -> int | None:
    """A count, or None when it is a small cell the role must not see."""
    if policy.min_cell_size and 0 < count < policy.min_cell_size:
        return None
    return count


__all__ = [
    "CONSENT_CATEGORIES",
    "EVIDENCE_KEYS",
    "EVIDENCE_VALUES",
    "HOUSEHOLD_VIEW_CATEGORIES",
    "POLICIES",
    "PROGRAM_CYCLE_STEPS",
    "SMALL_CELL_THRESHOLD",
    "ConsentCategory",
    "Policy",
    "Principal",
    "Provenance",
    "hidden_grievance_kinds",
    "mask",
    "mask_contact",
    "mask_evidence",
    "mask_kk",
    "mask_middle",
    "mask_nik",
    "mask_phone",
    "mask_text",
    "policy_for",
    "provenance_for",
    "require_aggregates",
    "require_alert_reader",
    "require_audit_reader",
    "require_budget_reader",
    "require_budget_setter",
    "require_casework",
    "require_city_aggregates",
    "require_eligibility",
    "require_four_eyes",
    "require_personal",
    "require_step",
    "require_write",
    "scope_for",
    "sees_eligibility",
    "suppress",
]
