# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Reading referrals: the list an organization works from (its inbox and what
it sent, overdue ones by the hub's one rule, `domain.thresholds`), and the
service directory a referral's receiver is picked from. Making and moving a
referral are mutations (`schema.mutation`)."""

from __future__ import annotations

import strawberry

from domain.thresholds import REFERRAL_WAITING, referral_waiting_since_before
from schema import inputs
from schema.audit import Purpose, personal, rows_read
from schema.context import Context
from schema.errors import Forbidden
from schema.pagination import Connection, connection, window
from schema.permissions import require_write
from schema.types.referral import Referral, ReferralStatus

Info = strawberry.Info[Context, None]


@strawberry.type(description="A program an organization delivers, as the directory lists it.")
class DirectoryProgram:
    code: str
    name: str | None


@strawberry.type(
    description="An organization a household can be referred to, and the programs it "
    "has delivered (those addressing the problem asked for, in the area asked for)."
)
class DirectoryEntry:
    organization: str
    name: str | None
    type: str | None
    programs: list[DirectoryProgram]


@strawberry.type
class ReferralQueries:
    @strawberry.field(
        description="Referrals newest first: from or to `organization` (yours, unless "
        "you see all), in `status`; `overdue: true` keeps those waiting for the "
        "receiver past the hub's limit. An agency or foundation sees only referrals "
        "from or to itself."
    )
    async def referrals(
        self,
        info: Info,
        organization: str | None = None,
        status: list[ReferralStatus] | None = None,
        overdue: bool = False,
        first: int = 20,
        after: str | None = None,
        purpose: Purpose = None,
    ) -> Connection[Referral]:
        policy = personal(info, purpose)
        scoped = info.context.scope["organization"]
        if scoped is not None and organization not in (None, scoped):
            raise Forbidden("you may list only your own organization's referrals.")
        offset, limit = window(first, after)
        page = await info.context.repository.referrals(
            info.context.scope,
            organization=organization,
            statuses=[s.value for s in status or []],
            waiting=sorted(REFERRAL_WAITING),
            moved_before=referral_waiting_since_before(inputs.now().date()) if overdue else None,
            offset=offset,
            limit=limit,
        )
        rows_read(info, page["rows"])
        return connection(
            page["rows"], page["total"], offset, lambda r: Referral.from_row(r).shown_to(policy)
        )

    @strawberry.field(
        description="Where a household can be referred: organizations and the programs "
        "they deliver, narrowed to a problem (PPKS code) and a kelurahan (code). "
        "For roles that may refer."
    )
    async def service_directory(
        self, info: Info, ppks: str | None = None, kelurahan_code: str | None = None
    ) -> list[DirectoryEntry]:
        require_write(info.context.principal)
        rows = await info.context.repository.service_directory(
            (ppks or "").strip() or None, (kelurahan_code or "").strip() or None
        )
        return [
            DirectoryEntry(
                organization=str(r["id"]),
                name=r.get("name"),
                type=r.get("type"),
                programs=[
                    DirectoryProgram(code=p["code"], name=p.get("name")) for p in r["programs"]
                ],
            )
            for r in rows
        ]


__all__ = ["DirectoryEntry", "DirectoryProgram", "ReferralQueries"]
