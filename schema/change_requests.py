# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Change requests through their lifecycle: file, verify, approve, apply or
reject (who may take which step: `schema.permissions.CHANGE_REQUEST_STEPS`),
and the list by status. Every step is audited, journaled before the graph is
changed (kinds `change_request.*`), and published on the household."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Final

import strawberry

from domain.rows import ChangeRequest as ChangeRequestRow
from journal import kinds
from schema import inputs
from schema.audit import Purpose, personal, read_page, rows_read, wrote
from schema.context import Context
from schema.errors import InputError, NotFound
from schema.journaling import append, claim, fact
from schema.pagination import Connection
from schema.permissions import (
    CHANGE_REQUEST_REJECTED,
    require_change_mover,
    require_change_step,
    require_four_eyes,
    require_write,
)
from schema.targets import resolve
from schema.types.change_request import (
    ChangeKind,
    ChangeRequest,
    ChangeRequestInput,
    ChangeRequestStatus,
    corrections,
)

Info = strawberry.Info[Context, None]

#: status a step makes -> (the journal's kind, the row's who / when fields)
_STEP: Final[dict[str, tuple[str, str, str]]] = {
    "VERIFIED": (kinds.CHANGE_REQUEST_VERIFIED, "verified_by", "verified_at"),
    "APPROVED": (kinds.CHANGE_REQUEST_APPROVED, "approved_by", "approved_at"),
    "APPLIED": (kinds.CHANGE_REQUEST_APPLIED, "applied_by", "applied_at"),
    CHANGE_REQUEST_REJECTED: (kinds.CHANGE_REQUEST_REJECTED, "rejected_by", "rejected_at"),
}


def _who(info: Info) -> str:
    principal = info.context.principal
    return str(getattr(principal, "subject", None) or principal.organization)


async def _move(
    info: Info, request_id: str, target: str, extra: dict[str, Any] | None = None
) -> ChangeRequest:
    """Move a request to `target` (the next status or REJECTED): check the
    step, journal it, then change the graph (and, for APPLIED, the data)."""
    require_change_mover(info.context.principal)
    repo = info.context.repository
    current = (await repo.change_requests_by_id([request_id], info.context.scope))[0]
    if current is None:
        raise NotFound("change request", request_id)
    status = str(current.get("status") or "FILED")
    require_change_step(info.context.principal, status, target)
    who = _who(info)
    if target == "APPROVED":
        require_four_eyes(current.get("verified_by"), who, "the request was verified", "approves")
    kind, by, at = _STEP[target]
    now = inputs.now()
    update: dict[str, Any] = {
        "status": target,
        by: who,
        at: now,
        "history": [*(current.get("history") or [status]), target],
        **(extra or {}),
    }
    row = ChangeRequestRow.from_mapping({**current, **update})
    # one step out of each status: whoever claims it in the journal first moves it
    if not await claim(
        info,
        fact(
            info,
            kind,
            row,
            households=[current.get("household_id")],
            persons=[current.get("person_id")],
            key=f"{request_id}:from:{status}",
        ),
    ):
        raise InputError("id", f"the request moved on meanwhile; it is no longer {status}.")
    moved = await repo.move_change_request(status, row)
    if moved is None:  # another step won the race; nothing was changed here
        raise InputError("id", f"the request moved on meanwhile; it is no longer {status}.")
    if target == "APPLIED":
        moved = await repo.apply_change_request(ChangeRequestRow.from_mapping(moved)) or moved
    wrote(info, persons=[moved.get("person_id")], households=[moved.get("household_id")])
    return ChangeRequest.from_row(moved).shown_to(info.context.policy)


async def file_request(info: Info, request: ChangeRequestInput) -> ChangeRequest:
    """File a change request (the caller may write): `fileChangeRequest`, and a
    complaint acted on as one (`schema.service_desk`)."""
    require_write(info.context.principal)
    if (
        request.household_id is None
        and request.person_id is None
        and request.kind is not ChangeKind.USULAN
    ):
        raise InputError(
            "request.householdId", f"name the household or person to {request.kind.value}."
        )
    await resolve(info, "request", request)
    fixes = corrections(request.kind, request.changes, request.household_id, request.person_id)
    now = inputs.now()
    row = ChangeRequestRow(
        request_id=f"chg-{uuid.uuid4()}",
        kind=request.kind.value,
        household_id=request.household_id,
        person_id=request.person_id,
        reason=inputs.required_text("request.reason", request.reason),
        status="FILED",
        history=("FILED",),
        organization=str(info.context.principal.organization),
        filed_at=now,
        filed_by=_who(info),
        changes=None if fixes is None else json.dumps(fixes),
    )
    await append(
        info,
        [
            fact(
                info,
                kinds.CHANGE_REQUEST_FILED,
                row,
                households=[request.household_id],
                persons=[request.person_id],
            )
        ],
    )
    stored = await info.context.repository.file_change_request(row)
    wrote(info, persons=[request.person_id], households=[request.household_id])
    return ChangeRequest.from_row(stored).shown_to(info.context.policy)


@strawberry.type
class ChangeRequestMutations:
    @strawberry.mutation(
        description="File a change request: usulan (propose), perbaikan "
        "(correct) or penonaktifan (deactivate)."
    )
    async def file_change_request(self, info: Info, request: ChangeRequestInput) -> ChangeRequest:
        return await file_request(info, request)

    @strawberry.mutation(
        description="Verify a filed change request against the family and "
        "the records (social workers, Dinsos)."
    )
    async def verify_change_request(self, info: Info, id: strawberry.ID) -> ChangeRequest:
        return await _move(info, id, "VERIFIED")

    @strawberry.mutation(
        description="Approve a verified change request (Dinsos "
        "administrators; not the one who verified it). The "
        "month's approved requests go to Kemensos in the "
        "monthly report."
    )
    async def approve_change_request(self, info: Info, id: strawberry.ID) -> ChangeRequest:
        return await _move(info, id, "APPROVED")

    @strawberry.mutation(
        description="Apply an approved change request to the data (Dinsos "
        "administrators): a perbaikan's corrections are set on "
        "the person or household and noted there; a "
        "penonaktifan marks the person (or every member) "
        "withdrawn; an usulan marks the household proposed."
    )
    async def apply_change_request(self, info: Info, id: strawberry.ID) -> ChangeRequest:
        return await _move(info, id, "APPLIED")

    @strawberry.mutation(
        description="Reject a change request with a reason, at any step "
        "before it is applied (whoever may take its next step)."
    )
    async def reject_change_request(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> ChangeRequest:
        text = inputs.required_text("reason", reason)
        return await _move(info, id, CHANGE_REQUEST_REJECTED, {"rejection_reason": text})


@strawberry.type
class ChangeRequestQueries:
    @strawberry.field(
        description="Change requests, newest first, by status and kind: Dinsos "
        "roles see all, an agency or foundation those it filed."
    )
    async def change_requests(
        self,
        info: Info,
        status: ChangeRequestStatus | None = None,
        kind: ChangeKind | None = None,
        first: int = 20,
        after: str | None = None,
        household: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the requests about this household."),
        ] = None,
        purpose: Purpose = None,
    ) -> Connection[ChangeRequest]:
        policy = personal(info, purpose)
        return await read_page(
            info,
            first,
            after,
            lambda offset, limit: info.context.repository.change_requests(
                info.context.scope,
                statuses=[status.value] if status else [],
                kinds=[kind.value] if kind else [],
                household=household,
                offset=offset,
                limit=limit,
            ),
            lambda r: ChangeRequest.from_row(r).shown_to(policy),
        )

    @strawberry.field(
        description="One change request by id: Dinsos roles any, an agency or "
        "foundation one it filed (another's does not exist for it)."
    )
    async def change_request(
        self, info: Info, id: strawberry.ID, purpose: Purpose = None
    ) -> ChangeRequest:
        policy = personal(info, purpose)
        row = (await info.context.repository.change_requests_by_id([id], info.context.scope))[0]
        if row is None:
            raise NotFound("change request", id)
        rows_read(info, [row])
        return ChangeRequest.from_row(row).shown_to(policy)


__all__ = ["ChangeRequestMutations", "ChangeRequestQueries", "file_request"]
