"""The roles a caller may hold. What each may see is `schema.permissions.POLICIES`."""

from __future__ import annotations

from typing import Final, Literal, get_args

Role = Literal["dinsos_admin", "social_worker", "agency", "foundation", "analyst", "auditor"]
#: Every role name, in the order the policy table lists them.
ROLE_NAMES: Final[tuple[Role, ...]] = get_args(Role)

__all__ = ["ROLE_NAMES", "Role"]
