"""Who is calling, and what their role lets them see.

The role table is data, kept once in `schema.permissions.POLICIES` and
re-exported here as ROLE_POLICIES: resolvers and Cypher scopes ask the policy
(`principal.policy.masks_identifiers`, ...) rather than compare role names.

NIK (Nomor Induk Kependudukan) is the 16-digit national identity number of a
person; KK (Kartu Keluarga) is the 16-digit family-card number of a household.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from domain.roles import ROLE_NAMES, Role
from hub.security.errors import UnknownRoleError
from schema.permissions import (
    POLICIES,
    SMALL_CELL_THRESHOLD,
    mask_kk,
    mask_middle,
    mask_nik,
    mask_phone,
)
from schema.permissions import Policy as RolePolicy

AuthMethod = Literal["api_key", "jwt", "service"]
"""`service`: the hub's own identity for a page without sign-in (the console's
public request form, hub/console.py), never a credential from outside."""

ROLE_POLICIES: Mapping[str, RolePolicy] = POLICIES
"""The one role table; it lives in schema.permissions (schema/ cannot import hub/)."""


def parse_role(value: str) -> Role:
    for role in ROLE_NAMES:
        if value == role:
            return role
    raise UnknownRoleError(f"Unknown role {value!r}: use one of {', '.join(ROLE_NAMES)}.")


@dataclass(frozen=True)
class Principal:
    subject: str
    """`key:<key_id>` for API keys, the token's `sub` for staff JWTs."""
    organization: str
    role: Role
    auth_method: AuthMethod
    key_id: str | None = None
    expires_at: float | None = None
    """When the credential stops being accepted (a staff JWT's `exp`, Unix seconds);
    None for an API key, which holds until it is revoked."""

    @property
    def policy(self) -> RolePolicy:
        return ROLE_POLICIES[self.role]

    @property
    def rate_limit_key(self) -> str:
        return self.key_id or self.subject


__all__ = [
    "ROLE_POLICIES",
    "SMALL_CELL_THRESHOLD",
    "AuthMethod",
    "Principal",
    "RolePolicy",
    "mask_kk",
    "mask_middle",
    "mask_nik",
    "mask_phone",
    "parse_role",
]
