"""Who is calling, and what their role lets them see.

The role table is data: resolvers and Cypher builders ask the policy
(`principal.policy.masks_nik_kk`, ...) rather than compare role names.

NIK (Nomor Induk Kependudukan) is the 16-digit national identity number of a
person; KK (Kartu Keluarga) is the 16-digit family-card number of a household.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from hub.security.errors import UnknownRoleError

Role = Literal["dinsos_admin", "social_worker", "agency", "foundation", "analyst", "auditor"]
AuthMethod = Literal["api_key", "jwt"]

# Cells (group counts) under this size are suppressed for aggregate-only roles.
SMALL_CELL_THRESHOLD = 5


@dataclass(frozen=True)
class RolePolicy:
    description: str
    can_see_personal: bool
    """Named people and households (names, addresses, identifiers) are visible."""
    sees_special_category: bool
    """Special-category PPKS (health, criminal, sexual, drugs, trafficking,
    violence) and assessments are visible on named people."""
    aggregates_only: bool
    """Only counts and rates, with cells under `min_cell_size` suppressed."""
    masks_nik_kk: bool
    relationship_scoped: bool
    """Sees only households it serves, submitted, or was referred."""
    audit_only: bool
    """Reads the audit log and nothing else."""
    can_write: bool
    """May submit or change records (households, referrals, assessments)."""
    min_cell_size: int = 0


ROLE_POLICIES: Mapping[Role, RolePolicy] = MappingProxyType(
    {
        "dinsos_admin": RolePolicy(
            "Dinas Sosial staff with full access, including special-category PPKS.",
            can_see_personal=True,
            sees_special_category=True,
            aggregates_only=False,
            masks_nik_kk=False,
            relationship_scoped=False,
            audit_only=False,
            can_write=True,
        ),
        "social_worker": RolePolicy(
            "Pekerja sosial: case work on named people, including special-category PPKS.",
            can_see_personal=True,
            sees_special_category=True,
            aggregates_only=False,
            masks_nik_kk=False,
            relationship_scoped=False,
            audit_only=False,
            can_write=True,
        ),
        "agency": RolePolicy(
            "A government agency: only households it serves, submitted or was referred; "
            "NIK and KK masked.",
            can_see_personal=True,
            sees_special_category=False,
            aggregates_only=False,
            masks_nik_kk=True,
            relationship_scoped=True,
            audit_only=False,
            can_write=True,
        ),
        "foundation": RolePolicy(
            "A foundation (yayasan) or NGO: only households it serves, submitted or was "
            "referred; NIK and KK masked.",
            can_see_personal=True,
            sees_special_category=False,
            aggregates_only=False,
            masks_nik_kk=True,
            relationship_scoped=True,
            audit_only=False,
            can_write=True,
        ),
        "analyst": RolePolicy(
            "Aggregates only, with cells under 5 suppressed; no named people.",
            can_see_personal=False,
            sees_special_category=False,
            aggregates_only=True,
            masks_nik_kk=True,
            relationship_scoped=False,
            audit_only=False,
            can_write=False,
            min_cell_size=SMALL_CELL_THRESHOLD,
        ),
        "auditor": RolePolicy(
            "Reads the audit log only.",
            can_see_personal=False,
            sees_special_category=False,
            aggregates_only=False,
            masks_nik_kk=True,
            relationship_scoped=False,
            audit_only=True,
            can_write=False,
        ),
    }
)

ROLES: tuple[Role, ...] = tuple(ROLE_POLICIES)


def parse_role(value: str) -> Role:
    for role in ROLES:
        if value == role:
            return role
    raise UnknownRoleError(f"Unknown role {value!r}: use one of {', '.join(ROLES)}.")


@dataclass(frozen=True)
class Principal:
    subject: str
    """`key:<key_id>` for API keys, the token's `sub` for staff JWTs."""
    organization: str
    role: Role
    auth_method: AuthMethod
    key_id: str | None = None

    @property
    def policy(self) -> RolePolicy:
        return ROLE_POLICIES[self.role]

    @property
    def rate_limit_key(self) -> str:
        return self.key_id or self.subject


def mask_middle(value: str | None, keep_start: int, keep_end: int) -> str | None:
    """Replace every character but the first `keep_start` and last `keep_end`
    with `*`; values too short to keep anything are masked whole."""
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


__all__ = [
    "ROLES",
    "ROLE_POLICIES",
    "SMALL_CELL_THRESHOLD",
    "AuthMethod",
    "Principal",
    "Role",
    "RolePolicy",
    "mask_kk",
    "mask_middle",
    "mask_nik",
    "mask_phone",
    "parse_role",
]
