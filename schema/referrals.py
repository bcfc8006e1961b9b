# strawberry.field(description=...) is typed as returning Any; the resolvers are typed.
# mypy: disable-error-code="untyped-decorator"
"""Referrals: the list an organization works from (its inbox and what it
sent, overdue ones by the hub's one rule, `domain.thresholds`), the service
directory a referral's receiver is picked from, who may move a referral, and
referring one onward (`referOnward`). Making a referral and its other moves
are in `schema.mutation`.

Every move out of a status is claimed in the journal under
`<referral id>:from:<status>` (`schema.journaling.claim`): of two moves racing
out of one status, one wins and the other is refused, and the graph moves a
referral only out of the status it was read in."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Final

import strawberry

from domain import rows
from domain.shapes import Row
from domain.thresholds import REFERRAL_WAITING, referral_waiting_since_before
from journal import Fact, NewFact, kinds
from schema import inputs
from schema.audit import Purpose, personal, rows_read, wrote
from schema.context import Context
from schema.errors import Forbidden, InputError, NotFound
from schema.journaling import claim, fact, keyed
from schema.pagination import Connection, connection, window
from schema.permissions import Policy, require_write
from schema.service_desk import follow_casework
from schema.targets import visible_household
from schema.types.referral import (
    NOTE_REQUIRED,
    SENDER_MOVES,
    TRANSITIONS,
    Referral,
    ReferralStatus,
)

Info = strawberry.Info[Context, None]

ONWARD: Final = ReferralStatus.REFERRED_ONWARD.value


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


def status_of(referral: Row) -> str:
    return str(referral.get("status") or "OPEN")


def step_key(referral: Row) -> str:
    """The journal key of the one move out of the referral's status."""
    return f"{referral['referral_id']}:from:{status_of(referral)}"


def onward_key(referral_id: str) -> str:
    """The journal key of the one onward referral made from a referral."""
    return f"{referral_id}:onward"


def may_move(policy: Policy, org: str, referral: Row, status: str) -> None:
    """A scoped organization answers referrals sent to it and cancels those it
    sent; it does not accept its own referral for the receiver."""
    if not policy.relationship_scoped:
        return
    side = "from_org" if status in SENDER_MOVES else "to_org"
    if referral.get(side) != org:
        who = "the organization that sent it" if side == "from_org" else "the receiving one"
        raise Forbidden(f"only {who} moves a referral to {status}.")


def check_step(referral: Row, status: str) -> None:
    """Refuse a move the referral's status does not allow (`Referral.nextStatuses`)."""
    allowed = TRANSITIONS.get(status_of(referral), frozenset())
    if status not in allowed:
        raise InputError(
            "status",
            f"a referral that is {status_of(referral)} can move to "
            f"{', '.join(sorted(allowed)) or 'nothing'}, not {status}.",
        )


def check_note(status: str, note: str | None) -> None:
    if status in NOTE_REQUIRED and not (note or "").strip():
        raise InputError(
            "note",
            f"a referral moved to {status} says in the note why, what came "
            "of it or where it went; write it in the note.",
        )


def moved_on(referral: Row) -> InputError:
    return InputError(
        "id", f"the referral moved on meanwhile; it is no longer {status_of(referral)}."
    )


async def referral_by_id(info: Info, id: str) -> Row:
    """The referral, if the caller may see it (from or to its organization)."""
    found = (await info.context.repository.referrals_by_id([id], info.context.scope))[0]
    if found is None:
        raise NotFound("referral", id)
    return found


@strawberry.type(
    description="A referral referred onward: `referral`, now REFERRED_ONWARD, and "
    "`onward`, the referral made from its receiver to the next organization."
)
class OnwardReferral:
    referral: Referral
    onward: Referral


def _onward_move(current: Row, onward: rows.Referral) -> rows.ReferralMove:
    """The original's move to REFERRED_ONWARD, naming the referral it became."""
    return rows.ReferralMove(
        referral_id=current["referral_id"],
        household_id=current["household_id"],
        from_org=current.get("from_org"),
        to_org=current.get("to_org"),
        program=current.get("program"),
        status=ONWARD,
        updated_at=onward.updated_at or inputs.now(),
        note=onward.note,
        history=(*(current.get("history") or [status_of(current)]), ONWARD),
        onward_to=onward.referral_id,
        onward_org=onward.to_org,
    )


def _same_request(stored: Fact, asked: NewFact) -> bool:
    """Whether the onward referral stored is the one asked for again (the same
    form submitted twice, or again after it failed half-way): the same person,
    receiver, program and note (as the journal keeps it)."""
    if (stored.actor, stored.organization) != (asked.actor, asked.organization):
        return False
    ours, theirs = dict(asked.payload), stored.payload
    return all(ours.get(k) == theirs.get(k) for k in ("to_org", "program")) and (
        (ours.get("row") or {}).get("note") == (theirs.get("row") or {}).get("note")
    )


async def _finish(info: Info, current: Row, onward: rows.Referral) -> OnwardReferral:
    """Move the original and make the onward referral in the graph, once the
    journal holds both; each step is skipped when done already, so a repeat
    after a failure completes what was begun."""
    repo, scope = info.context.repository, info.context.scope
    rid, hid = current["referral_id"], str(current["household_id"])
    if status_of(current) == ONWARD:
        moved: Row | None = current
    else:
        moved = await repo.advance_referral(
            _onward_move(current, onward), scope, status_of(current)
        )
        if moved is None:  # a repeat of this request may have moved it meanwhile
            moved = (await repo.referrals_by_id([rid], scope))[0]
    if moved is None or moved.get("onward_to") != onward.referral_id:
        raise moved_on(current)
    made = (await repo.referrals_by_id([onward.referral_id], scope))[0]
    if made is None:
        await repo.write([onward])
        made = onward.as_dict()
    wrote(info, households=[hid])
    await follow_casework(info, hid, "referral")
    policy = info.context.policy
    return OnwardReferral(
        referral=Referral.from_row(moved).shown_to(policy),
        onward=Referral.from_row(made).shown_to(policy),
    )


@strawberry.type
class ReferralMutations:
    @strawberry.mutation(
        description="Refer a referral sent to you onward, in one step: a new referral of "
        "the household from your organization (the receiver) to `toOrganization`, "
        "naming the one it came from (`onwardFrom`), and this one moved to "
        "REFERRED_ONWARD, naming the new one (`onwardTo`, `onwardOrganization`). "
        "Allowed when its `nextStatuses` has REFERRED_ONWARD, for its receiver (or "
        "Dinsos); `note` says why. Of two moves racing out of one status one wins; the "
        "same request sent again (a form submitted twice) returns the onward referral "
        "it made instead of a second one."
    )
    async def refer_onward(
        self,
        info: Info,
        id: strawberry.ID,
        to_organization: str,
        note: str,
        program: str | None = None,
    ) -> OnwardReferral:
        policy = require_write(info.context.principal)
        current = await referral_by_id(info, id)
        may_move(policy, str(info.context.principal.organization), current, ONWARD)
        to_org = inputs.required_text("toOrganization", to_organization)
        if to_org == current.get("to_org"):
            raise InputError(
                "toOrganization",
                f"{to_org} has this referral already; refer it onward to another organization.",
            )
        check_note(ONWARD, note)
        at = inputs.now()
        hid = str(current["household_id"])
        onward = rows.Referral(
            referral_id=f"ref-{uuid.uuid4()}",
            household_id=hid,
            from_org=current.get("to_org"),
            to_org=to_org,
            program=(program or "").strip() or None,
            status="OPEN",
            created_at=at,
            updated_at=at,
            note=note.strip(),
            history=("OPEN",),
            from_scoped=policy.relationship_scoped,
            onward_from=current["referral_id"],
        )
        made = fact(
            info,
            kinds.REFERRAL_CREATED,
            onward,
            households=[hid],
            key=onward_key(current["referral_id"]),
        )
        if ONWARD in TRANSITIONS.get(status_of(current), frozenset()):
            # the onward referral opens the household to `to_org`: only one the caller
            # may see goes on, as createReferral's (a scoped sender's referral on a
            # household merged since opens nothing, graph.lifecycle `merged_from`)
            await visible_household(info, "id", hid)
            step = fact(
                info,
                kinds.REFERRAL_MOVED,
                _onward_move(current, onward),
                households=[hid],
                key=step_key(current),
            )
            # the original's step first: a second onward or another move loses here
            if await claim(info, step, also=[made]):
                return await _finish(info, current, onward)
        stored = await keyed(info, onward_key(current["referral_id"]))
        if stored is None or not _same_request(stored, made):
            check_step(current, ONWARD)
            raise moved_on(current)
        kept = rows.Referral.typed(stored.payload["row"])
        onward = dataclasses.replace(
            onward,
            referral_id=kept["referral_id"],
            created_at=kept.get("created_at"),
            updated_at=kept.get("updated_at"),
        )
        return await _finish(info, current, onward)


__all__ = [
    "DirectoryEntry",
    "DirectoryProgram",
    "OnwardReferral",
    "ReferralMutations",
    "ReferralQueries",
    "check_note",
    "check_step",
    "may_move",
    "moved_on",
    "referral_by_id",
    "step_key",
]
