"""One role table: the hub's ROLE_POLICIES is schema.permissions.POLICIES."""

from __future__ import annotations

import schema.permissions
from domain.roles import ROLE_NAMES as ROLES
from hub.security import ROLE_POLICIES, Principal, mask_nik


def test_the_hub_uses_the_schemas_role_table() -> None:
    assert ROLE_POLICIES is schema.permissions.POLICIES
    assert tuple(schema.permissions.POLICIES) == ROLES  # one policy per role, in order
    assert mask_nik is schema.permissions.mask_nik
    for role in ROLES:
        who = Principal(f"key:{role}", "ORG", role, "api_key")
        assert who.policy is schema.permissions.policy_for(who)
        assert who.policy.description


def test_casework_and_audit_reading_are_in_the_table() -> None:
    assert {r for r in ROLES if ROLE_POLICIES[r].casework} == {"dinsos_admin", "social_worker"}
    assert {r for r in ROLES if ROLE_POLICIES[r].reads_audit_log} == {"dinsos_admin", "auditor"}
    assert {r for r in ROLES if ROLE_POLICIES[r].can_write} == {
        "dinsos_admin",
        "social_worker",
        "agency",
        "foundation",
    }
