"""What each role may see and do, as data.

The flags match `hub.security.principal.RolePolicy`; when the principal in the
context carries a `policy` with these flags, it wins over this table, so the
protection layer stays the single source of truth once it is wired in.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Protocol

from schema.errors import Forbidden
from schema.services import Scope


class Principal(Protocol):
    """The caller, as the auth layer puts it in the context."""

    @property
    def organization(self) -> str: ...
    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Policy:
    can_see_personal: bool
    sees_special_category: bool
    aggregates_only: bool
    masks_nik_kk: bool
    relationship_scoped: bool
    audit_only: bool
    can_write: bool
    min_cell_size: int = 0


_NONE = Policy(False, False, False, True, True, True, False)

POLICIES: Final = MappingProxyType({
    #                     personal special aggr  mask  scoped audit write
    "dinsos_admin": Policy(True, True, False, False, False, False, True),
    "social_worker": Policy(True, True, False, False, False, False, True),
    "agency": Policy(True, False, False, True, True, False, True),
    "foundation": Policy(True, False, False, True, True, False, True),
    "analyst": Policy(False, False, True, True, False, False, False, min_cell_size=5),
    "auditor": _NONE,
})

_FLAGS: Final = tuple(Policy.__dataclass_fields__)


def policy_for(principal: Any) -> Policy:
    """The principal's own policy when it has one with our flags, else ours by role;
    an unknown role may do nothing."""
    own = getattr(principal, "policy", None)
    if own is not None and all(hasattr(own, f) for f in _FLAGS):
        return Policy(**{f: getattr(own, f) for f in _FLAGS})
    role = getattr(principal, "role", None)
    return POLICIES.get(str(role), _NONE)


def scope_for(principal: Any) -> Scope:
    policy = policy_for(principal)
    return {
        "organization": str(principal.organization) if policy.relationship_scoped else None,
        "special_category": policy.sees_special_category,
    }


def require_personal(principal: Any) -> Policy:
    policy = policy_for(principal)
    if not policy.can_see_personal:
        raise Forbidden(f"the {getattr(principal, 'role', 'unknown')} role cannot read "
                        "named people or households; ask for aggregates instead.")
    return policy


def require_aggregates(principal: Any) -> Policy:
    policy = policy_for(principal)
    if policy.audit_only or not (policy.aggregates_only or policy.can_see_personal):
        raise Forbidden(f"the {getattr(principal, 'role', 'unknown')} role cannot read "
                        "aggregates.")
    return policy


def require_write(principal: Any) -> Policy:
    policy = policy_for(principal)
    if not policy.can_write:
        raise Forbidden(f"the {getattr(principal, 'role', 'unknown')} role cannot change data.")
    return policy


def require_casework(principal: Any) -> Policy:
    """Assessments and review decisions: social workers and Dinsos only."""
    policy = policy_for(principal)
    if not (policy.sees_special_category and policy.can_write):
        raise Forbidden("only social workers and Dinsos staff may do this.")
    return policy


def mask(value: str | None, policy: Policy) -> str | None:
    """NIK/KK as `3273**********01` for roles that must not see them whole."""
    if value is None or not policy.masks_nik_kk:
        return value
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def suppress(count: int, policy: Policy) -> int | None:
    """A count, or None when it is a small cell the role must not see."""
    if policy.min_cell_size and 0 < count < policy.min_cell_size:
        return None
    return count


__all__ = ["POLICIES", "Policy", "Principal", "mask", "policy_for", "require_aggregates",
           "require_casework", "require_personal", "require_write", "scope_for", "suppress"]
