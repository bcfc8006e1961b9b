# strawberry.mutation(description=...) is typed as returning Any; the resolver is typed.
# mypy: disable-error-code="untyped-decorator"
"""Lifting Cek status' lock on a number (`hub.status_check.FailedChecks`): a
number that took a day's allowance of wrong NIK digits answers nothing until
the next office day, which also shuts out the resident whose request it is.
When they come to the desk with their KTP, a Dinsos administrator unlocks it;
the audit log keeps who did, and for which number."""

from __future__ import annotations

import strawberry

from domain import service_desk as desk
from schema.context import Context
from schema.errors import Forbidden, ServiceError
from schema.services import AuditEntry

Info = strawberry.Info[Context, None]

#: the one role that lifts a lock: the public page is Dinsos' door
UNLOCKER = "dinsos_admin"


@strawberry.type
class StatusCheckMutations:
    @strawberry.mutation(
        description="Forget today's wrong Cek status checks of a request number, so "
        "its resident can check it again today (after the desk has seen their KTP). "
        "Dinsos administrators only; audited. True when the number had wrong checks."
    )
    async def unlock_status_check(self, info: Info, number: str) -> bool:
        principal = info.context.principal
        if getattr(principal, "role", None) != UNLOCKER:
            raise Forbidden(
                f"the {getattr(principal, 'role', 'unknown')} role cannot unlock Cek status; "
                "ask a Dinsos administrator."
            )
        locks = info.context.services.status_checks
        if locks is None:
            raise ServiceError("Cek status keeps no failure counts on this hub.")
        key = desk.normalise_number(number)
        had = await locks.unlock(key)
        sink = info.context.services.audit
        if sink is not None:
            await sink.record(
                [
                    AuditEntry(
                        subject=str(getattr(principal, "subject", None) or principal.organization),
                        organization=str(principal.organization),
                        role=str(principal.role),
                        operation="write:unlockStatusCheck",
                        purpose=f"unlock cek status {key}: "
                        + ("wrong checks forgotten" if had else "no wrong checks"),
                    )
                ]
            )
        return had


__all__ = ["UNLOCKER", "StatusCheckMutations"]
